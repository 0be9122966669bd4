"""Benchmark core.audio: decode speed, probe time on long files, and streaming memory.

Run ``.venv/bin/python benchmarks/io.py [--minutes-decode 5] [--minutes-probe 60] [--out-dir DIR]``.
Test audio is generated (deterministic, music-like: chords, bass and noise bursts) into a
temporary folder that is removed afterwards unless ``--out-dir`` is given. Long files are written
block by block, so nothing near an hour of audio is ever held in memory.

Prints a Markdown table and ends with one line::

    SUMMARY decode_wav_x=… decode_flac_x=… decode_mp3_x=… probe_60min_wav_s=… \
probe_60min_flac_s=… stream_60min_peak_rss_mb=…
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

import soundfile as sf  # noqa: E402

from benchmarks.generated_audio import BLOCK_SECONDS, RATE, write_music  # noqa: E402
from core.audio import load, probe  # noqa: E402

STREAM_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core.audio import blocks

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")

baseline = status("VmRSS")
started = time.perf_counter()
frames = 0
for block in blocks(sys.argv[2], seconds=float(sys.argv[3])):
    frames += block.frames
elapsed = time.perf_counter() - started
print(json.dumps({"baseline_mb": baseline, "peak_mb": status("VmHWM"), "frames": frames,
                  "seconds": elapsed}))
"""


def write_mp3(folder: Path, wav: Path, minutes: float) -> tuple[Path, str]:
    """Write the MP3 test file with libsndfile when it can, else with ffmpeg."""
    path = folder / "decode.mp3"
    if "MP3" in sf.available_formats():
        return write_music(path, minutes, "MP3", "MPEG_LAYER_III"), "libsndfile"
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SystemExit("cannot write MP3: libsndfile lacks MP3 and ffmpeg is not installed")
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a",
                    "libmp3lame", "-b:a", "192k", str(path)], check=True)
    return path, "ffmpeg"


def median_time(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls of ``action``, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def decode_speed(path: Path, runs: int) -> float:
    """``load()`` speed in multiples of real time (median of ``runs``)."""
    seconds = probe(path).duration
    return seconds / median_time(lambda: load(path), runs)


def stream_memory(path: Path) -> dict[str, float]:
    """Stream ``path`` with ``blocks()`` in a child process and report its memory (MiB).

    The child reads its own ``VmHWM`` (peak RSS of its address space, reset by ``exec``) from
    ``/proc/self/status``. ``getrusage(RUSAGE_CHILDREN)`` is not used: on Linux it also counts
    the parent's pages at ``fork`` time, so it reports this (large) benchmark process instead.
    """
    done = subprocess.run([sys.executable, "-c", STREAM_CHILD, str(ROOT), str(path),
                           str(BLOCK_SECONDS)], capture_output=True, text=True, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["growth_mb"] = report["peak_mb"] - report["baseline_mb"]
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes-decode", type=float, default=5.0)
    parser.add_argument("--minutes-probe", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="keep the generated files here (default: a temporary folder)")
    return parser.parse_args(argv)


def say(text: str) -> None:
    """Progress note on stderr (the table and summary go to stdout)."""
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    """Generate the files, take every measurement, print the table; return the numbers."""
    mins, long_mins = args.minutes_decode, args.minutes_probe
    say(f"generating {mins:g} min WAV/FLAC/MP3 and {long_mins:g} min WAV/FLAC in {folder} …")
    wav = write_music(folder / "decode.wav", mins, "WAV", "PCM_16")
    flac = write_music(folder / "decode.flac", mins, "FLAC", "PCM_16")
    mp3, mp3_writer = write_mp3(folder, wav, mins)
    long_wav = write_music(folder / "long.wav", long_mins, "WAV", "PCM_16")
    long_flac = write_music(folder / "long.flac", long_mins, "FLAC", "PCM_16")
    for path in (long_wav, long_flac):
        if abs(probe(path).duration - long_mins * 60) > 1.0:
            raise SystemExit(f"{path} is not {long_mins:g} minutes long")
    say("measuring …")
    results = {
        "decode_wav_x": decode_speed(wav, args.runs),
        "decode_flac_x": decode_speed(flac, args.runs),
        "decode_mp3_x": decode_speed(mp3, args.runs),
        "probe_60min_wav_s": median_time(lambda: probe(long_wav), args.runs),
        "probe_60min_flac_s": median_time(lambda: probe(long_flac), args.runs),
    }
    stream = stream_memory(long_wav)
    results["stream_60min_peak_rss_mb"] = stream["peak_mb"]
    print_table(results, stream, args, mp3_writer, probe(mp3).backend)
    return results


def print_table(results: dict[str, float], stream: dict[str, float], args: argparse.Namespace,
                mp3_writer: str, mp3_reader: str) -> None:
    """Print the Markdown table of measurements and targets."""
    mins, long_mins = f"{args.minutes_decode:g}", f"{args.minutes_probe:g}"
    stream_speed = stream["frames"] / RATE / stream["seconds"]
    rows = [
        (f"decode {mins} min WAV (PCM_16) with load()", f"{results['decode_wav_x']:.0f}× real time",
         "≥ 100×"),
        (f"decode {mins} min FLAC with load()", f"{results['decode_flac_x']:.0f}× real time",
         "≥ 50×"),
        (f"decode {mins} min MP3 with load() (written by {mp3_writer}, read by {mp3_reader})",
         f"{results['decode_mp3_x']:.0f}× real time", "≥ 20×"),
        (f"probe() {long_mins} min WAV", f"{results['probe_60min_wav_s'] * 1000:.2f} ms",
         "< 200 ms"),
        (f"probe() {long_mins} min FLAC", f"{results['probe_60min_flac_s'] * 1000:.2f} ms",
         "< 200 ms"),
        (f"blocks() {long_mins} min WAV: peak RSS (VmHWM) of the streaming process",
         f"{stream['peak_mb']:.0f} MB", "—"),
        (f"blocks() {long_mins} min WAV: RSS growth over baseline after imports "
         f"({stream['baseline_mb']:.0f} MB)", f"{stream['growth_mb']:.0f} MB", "< 300 MB"),
        (f"blocks() {long_mins} min WAV: streaming speed", f"{stream_speed:.0f}× real time", "—"),
    ]
    print("| measurement | value | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        results = run(args, args.out_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="breakroom-bench-") as tmp:
            results = run(args, Path(tmp))
    print("SUMMARY " + " ".join(
        f"{key}={value:.6f}" if key.startswith("probe") else f"{key}={value:.1f}"
        for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
