"""Separation benchmark: quality of the offline separator, and what separation buys the drums.

Run ``.venv/bin/python benchmarks/separation.py [--clips-per-style 1]``.

1. Quality: ``benchmarks/separation_quality.py`` (SDR per stem of the ``classic`` separator on
   generated full mixes at 0 dB drum-to-rest whose stems are known; unseen kits).
2. Drum transcription on the mix versus on the separated drum stem: 3-class onset F (±50 ms)
   of the drum model on the same unseen-kit full mixes, both ways.

Speed and memory (Demucs against its own API, peak RSS flat in the input length) are measured by
``benchmarks/separation_speed.py``. Ends with one line::

    SUMMARY sdr_drums_db=… sdr_bass_db=… drum_f3_mix=… drum_f3_separated=…
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from benchmarks import separation_quality  # noqa: E402
from benchmarks.rhythm_metrics import CLASSES_3, DrumScore  # noqa: E402
from core.analysis.drums import DrumOptions, transcribe_drums  # noqa: E402
from core.devset import development_set, iter_clips  # noqa: E402
from core.separation.classic_adapter import ClassicChunkSeparator  # noqa: E402
from core.separation.overlap_add import apply_chunked  # noqa: E402


def drum_gain(clips_per_style: int) -> tuple[float, float, int]:
    """3-class drum F on the mix and on the classic drum stem, unseen-kit full mixes."""
    sep = ClassicChunkSeparator()
    on_mix, on_stem = DrumScore(), DrumScore()
    specs = [s for s in development_set("unseen", clips_per_style=clips_per_style,
                                        seconds=20.0) if s.mix == "full"]
    for clip in iter_clips(specs):
        stems = apply_chunked(clip.samples, sep.separate, sep.chunk, sep.overlap)
        drums = stems[sep.stems.index("drums")]
        options = DrumOptions(backend="model")
        on_mix.add(clip.truth.hits, transcribe_drums(clip.samples, clip.sample_rate,
                                                     options=options).hits)
        on_stem.add(clip.truth.hits, transcribe_drums(drums, clip.sample_rate,
                                                      options=options).hits)
    return on_mix.f(CLASSES_3), on_stem.f(CLASSES_3), len(specs)


def main(argv: list[str] | None = None) -> int:
    """Run both parts; prints tables and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips-per-style", type=int, default=1)
    args = parser.parse_args(argv)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        separation_quality.main(["--clips-per-style", str(args.clips_per_style)])
    text = captured.getvalue()
    print("\n".join(line for line in text.splitlines() if not line.startswith("SUMMARY")))
    summary = dict(item.split("=") for item in next(
        line for line in text.splitlines() if line.startswith("SUMMARY")).split()[1:])
    f_mix, f_stem, n = drum_gain(args.clips_per_style)
    print(f"\n### Drum transcription on the mix vs on the separated drum stem ({n} unseen-kit "
          "full mixes)\n")
    print("| input | 3-class drum F |\n|---|---|")
    print(f"| full mix | {f_mix:.3f} |\n| classic drum stem | {f_stem:.3f} |")
    print(f"SUMMARY sdr_drums_db={summary['sdr_drums_db']} sdr_bass_db={summary['sdr_bass_db']} "
          f"sdr_other_db={summary['sdr_other_db']} drum_f3_mix={f_mix:.3f} "
          f"drum_f3_separated={f_stem:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
