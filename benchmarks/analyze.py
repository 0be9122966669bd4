"""Benchmark the analysis pipeline (``python main.py analyze``'s core) on generated tracks.

Run ``.venv/bin/python benchmarks/analyze.py [--minutes 5] [--long-minutes 60]``.
Measures, on generated music with a known tempo: whole-pipeline speed (decode, loudness, rhythm,
drums, groove) of a 5-minute track in × real time, the tempo found for several tempos, and the
peak memory of analysing a 60-minute file in a child process (it must stream, not load the whole
file).

Prints a Markdown table and ends with one line::

    SUMMARY analyze_5min_s=… analyze_x_realtime=… tempo_abs_err_bpm_max=… \
analyze_60min_peak_rss_mb=… analyze_60min_s=…
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from benchmarks.generated_audio import write_music  # noqa: E402
from core.analysis.pipeline import analyze_file  # noqa: E402

TEMPOS = (87.0, 128.0, 140.0, 174.0)

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core.analysis.pipeline import analyze_file

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith(key + ":"))

baseline = status("VmRSS")
started = time.perf_counter()
result = analyze_file(sys.argv[2])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "peak_mb": status("VmHWM"), "baseline_mb": baseline,
                  "duration": result.duration,
                  "bpm": result.tempo_bpm}))
"""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table and SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--long-minutes", type=float, default=60.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="breakroom-bench-") as tmp:
        folder = Path(tmp)
        track = write_music(folder / "track.wav", args.minutes, bpm=174.0)
        analyze_file(track)  # warm-up (imports, filter design)
        started = time.perf_counter()
        result = analyze_file(track)
        seconds = time.perf_counter() - started
        errors = {}
        for bpm in TEMPOS:
            clip = write_music(folder / f"clip_{bpm:g}.wav", 0.5, bpm=bpm)
            found = analyze_file(clip).tempo_bpm
            errors[bpm] = (found, abs(found - bpm) if found else float("inf"))
        long_track = write_music(folder / "long.wav", args.long_minutes, bpm=128.0)
        done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(long_track)],
                              capture_output=True, text=True, check=True)
        long = json.loads(done.stdout.strip().splitlines()[-1])
    speed = result.duration / seconds
    rows = [(f"analyze {args.minutes:g} min stereo 44.1 kHz WAV", f"{seconds:.2f} s "
             f"({speed:.0f}× real time)"),
            (f"analyze {args.long_minutes:g} min WAV in a child: time",
             f"{long['seconds']:.1f} s ({long['duration'] / long['seconds']:.0f}× real time)"),
            (f"analyze {args.long_minutes:g} min WAV in a child: peak RSS",
             f"{long['peak_mb']:.0f} MB ({long['baseline_mb']:.0f} MB after imports)"),
            *((f"tempo, {bpm:g} BPM clip (30 s)",
               f"{found:.2f} BPM (error {err:.2f})") for bpm, (found, err) in errors.items())]
    print("| measurement | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    worst = max(err for _, err in errors.values())
    print(f"SUMMARY analyze_5min_s={seconds:.3f} analyze_x_realtime={speed:.1f} "
          f"tempo_abs_err_bpm_max={worst:.3f} analyze_60min_peak_rss_mb={long['peak_mb']:.1f} "
          f"analyze_60min_s={long['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
