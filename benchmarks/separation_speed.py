"""Separation speed and memory: Breakroom's streaming separator against Demucs' own API.

Run ``.venv/bin/python benchmarks/separation_speed.py [--seconds 60] [--minutes 1 3]
[--classic-minutes 10 60]``.

* **Overhead.** The ``htdemucs`` architecture with the released hyper-parameters (random
  weights: the same arithmetic as the trained model) separates the same clip through
  :func:`core.separation.pipeline.separate_file` (decode, chunking, overlap-add, resampling,
  24-bit FLAC writing) and through ``demucs.apply.apply_model`` on the clip already in memory
  (``shifts=0, split=True, overlap=0.25``), in the same run, best of ``--repeats``; the ratio
  should stay ≤ 1.05.
* **Memory.** Peak RSS of a child process separating generated music of several lengths with
  ``htdemucs`` (random weights) and with the offline ``classic`` separator: flat in the input's
  length means streaming works.

Prints Markdown tables and ends with one line::

    SUMMARY htdemucs_x_realtime=… demucs_api_x_realtime=… overhead_ratio=… \
htdemucs_peak_rss_mb_<n>min=… classic_peak_rss_mb_<n>min=… classic_x_realtime=…
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from benchmarks.generated_audio import write_music  # noqa: E402

RELEASED_HTDEMUCS = {"sources": ["drums", "bass", "other", "vocals"], "channels": 48,
                     "growth": 2, "nfft": 4096, "depth": 4, "dconv_mode": 3, "dconv_comp": 8,
                     "bottom_channels": 512, "t_layers": 5, "t_heads": 8,
                     "t_hidden_scale": 4.0, "segment": Fraction(39, 5), "samplerate": 44100}
"""Hyper-parameters of the published ``htdemucs`` (Demucs v4 release)."""

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch
from core.separation.pipeline import SeparationOptions, separate_file, make_separator

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(key + ":"))

model = sys.argv[3]
if model == "classic":
    sep = make_separator("classic", "cpu")
else:
    from benchmarks.separation_speed import random_htdemucs
    from core.separation.demucs_backend import DemucsSeparator
    sep = DemucsSeparator(random_htdemucs(), "cpu", "htdemucs (random weights)")
baseline = status("VmRSS")
started = time.perf_counter()
result = separate_file(sys.argv[2], SeparationOptions(out_dir=sys.argv[4], reuse=False),
                       separator=sep)
print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": status("VmHWM"),
                  "baseline_mb": baseline, "duration": result.duration}))
"""


def random_htdemucs() -> object:
    """The released ``htdemucs`` architecture with random weights (seeded), in eval mode."""
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    return HTDemucs(**RELEASED_HTDEMUCS).eval()


def overhead(folder: Path, seconds: float, repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` wall time (s) of Breakroom's path and of ``apply_model``."""
    import soundfile as sf
    import torch
    from demucs.apply import apply_model

    from core.separation.demucs_backend import DemucsSeparator
    from core.separation.pipeline import SeparationOptions, separate_file

    clip = write_music(folder / "clip.wav", seconds / 60.0, bpm=174.0)
    model = random_htdemucs()
    sep = DemucsSeparator(model, "cpu", "htdemucs (random weights)")
    ours, theirs = [], []
    for k in range(repeats):
        started = time.perf_counter()
        separate_file(clip, SeparationOptions(out_dir=str(folder / f"o{k}"), reuse=False),
                      separator=sep)
        ours.append(time.perf_counter() - started)
        data, _ = sf.read(clip, always_2d=True, dtype="float32")
        mix = torch.from_numpy(data.T.copy())
        started = time.perf_counter()
        ref = mix.mean(0)
        with torch.inference_mode():
            apply_model(model, ((mix - ref.mean()) / ref.std())[None], shifts=0, split=True,
                        overlap=0.25, progress=False)
        theirs.append(time.perf_counter() - started)
    return min(ours), min(theirs)


def peak_memory(folder: Path, model: str, minutes: float) -> dict:
    """Peak RSS (MB) and time of separating ``minutes`` of music in a fresh process."""
    track = write_music(folder / f"{model}-{minutes:g}.flac", minutes, fmt="FLAC",
                        bpm=128.0)
    out = folder / f"stems-{model}-{minutes:g}"
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(track), model, str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints tables and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--minutes", type=float, nargs="*", default=[1.0, 3.0])
    parser.add_argument("--classic-minutes", type=float, nargs="*", default=[10.0, 60.0])
    args = parser.parse_args(argv)
    summary: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="breakroom-sep-") as tmp:
        folder = Path(tmp)
        ours, theirs = overhead(folder, args.seconds, args.repeats)
        summary["htdemucs_x_realtime"] = args.seconds / ours
        summary["demucs_api_x_realtime"] = args.seconds / theirs
        summary["overhead_ratio"] = ours / theirs
        print(f"### htdemucs architecture (random weights), {args.seconds:g} s clip, CPU\n")
        print("| path | seconds | × real time |\n|---|---|---|")
        print(f"| Breakroom separate_file (decode, chunks, overlap-add, FLAC) | {ours:.1f} | "
              f"{args.seconds / ours:.2f} |")
        print(f"| demucs.apply.apply_model (in memory) | {theirs:.1f} | "
              f"{args.seconds / theirs:.2f} |")
        print(f"\noverhead ratio {ours / theirs:.3f}\n")
        print("### Peak memory (fresh process)\n")
        print("| separator | minutes | peak RSS MB | after imports MB | seconds | × real time |"
              "\n|---|---|---|---|---|---|")
        for model, lengths in (("htdemucs", args.minutes), ("classic", args.classic_minutes)):
            for minutes in lengths:
                r = peak_memory(folder, model, minutes)
                speed = r["duration"] / r["seconds"]
                print(f"| {model} | {minutes:g} | {r['peak_mb']:.0f} | {r['baseline_mb']:.0f} | "
                      f"{r['seconds']:.1f} | {speed:.1f} |")
                summary[f"{model}_peak_rss_mb_{minutes:g}min"] = r["peak_mb"]
                summary[f"{model}_x_realtime_{minutes:g}min"] = speed
    print("SUMMARY " + " ".join(f"{k}={v:.3f}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
