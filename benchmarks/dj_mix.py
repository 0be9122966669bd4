"""Benchmark tempo sections on a generated DJ mix whose cuts, tempos and beats are known.

Run ``.venv/bin/python benchmarks/dj_mix.py [--seconds-per-track 60]``.

Six tracks from ``core.devset`` (synth kits, full mixes) are joined back to back: house 124,
drum & bass 174, dubstep 140, hip-hop 90, techno 132, drum & bass 170 BPM. The mix is written
as a WAV and analysed by the real pipeline (``analyze_file``, drum model on). Reported per
track: the tempo of the section that covers the track's middle, and how far the section
boundary lies from where the track's last bar ends (s); for the whole mix, beat F-measure
(±70 ms) against the true beats, and the analysis time (after a warm-up run).

Prints a Markdown table and ends with one line::

    SUMMARY dj_mix_sections=… dj_mix_tempo_correct=… dj_mix_boundary_err_max_s=… \
dj_mix_beat_f=… dj_mix_seconds=…
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import mir_eval
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from core.analysis.pipeline import analyze_file  # noqa: E402
from core.devset import ClipSpec, render_clip  # noqa: E402

TRACKS = (("house", 124.0, "synth:0"), ("dnb", 174.0, "synth:2"), ("dubstep", 140.0, "synth:1"),
          ("hiphop", 90.0, "synth:3"), ("techno", 132.0, "synth:2"), ("dnb", 170.0, "synth:0"))
"""(style, BPM, kit) of each track, in mix order."""


def build_mix(seconds_per_track: float) -> tuple[np.ndarray, int, list[float], list[float],
                                                  np.ndarray]:
    """The mix [channels, frames], its rate (Hz), each track's start and last-bar end (s),
    and every true beat (s)."""
    parts, starts, ends, beats = [], [0.0], [], []
    rate = 0
    for style, bpm, kit in TRACKS:
        bars = max(4, round(seconds_per_track * bpm / 240.0))
        clip = render_clip(ClipSpec(style=style, bpm=bpm, bars=bars, kit=kit, seed=3,
                                    mix="full", drum_to_rest_db=0.0))
        rate = clip.sample_rate
        parts.append(clip.samples)
        beats.extend(starts[-1] + np.asarray(clip.truth.beats))
        ends.append(starts[-1] + float(clip.truth.bars_end))
        starts.append(starts[-1] + clip.samples.shape[-1] / rate)
    return np.concatenate(parts, axis=-1), rate, starts, ends, np.asarray(beats)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints a Markdown table and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds-per-track", type=float, default=60.0)
    args = parser.parse_args(argv)
    mix, rate, starts, ends, truth = build_mix(args.seconds_per_track)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "mix.wav"
        sf.write(str(wav), mix.T, rate, subtype="PCM_16")
        analyze_file(wav)  # warm-up: imports, model load, filter design
        started = time.perf_counter()
        result = analyze_file(wav)
        elapsed = time.perf_counter() - started
    sections = result.tempo_sections
    print(f"### DJ mix: {len(TRACKS)} tracks of {args.seconds_per_track:g} s "
          f"({mix.shape[-1] / rate / 60:.1f} minutes)\n")
    print("| track | true BPM | section BPM | boundary − last bar end (s) |")
    print("|---|---|---|---|")
    correct, errors = 0, []
    for k, (style, bpm, _) in enumerate(TRACKS):
        middle = 0.5 * (starts[k] + ends[k])
        found = next((s.bpm for s in sections if s.start <= middle < s.end), None)
        ok = found is not None and abs(found - bpm) <= 0.04 * bpm
        correct += ok
        boundary = "–"
        if k < len(TRACKS) - 1:
            after = [s.start for s in sections if s.start > middle]
            if after:
                errors.append(after[0] - ends[k])
                boundary = f"{errors[-1]:+.2f}"
        shown = f"{found:.1f}" if found is not None else "none"
        print(f"| {style} | {bpm:g} | {shown} | {boundary} |")
    beat_f = mir_eval.beat.f_measure(truth, np.asarray(result.beats))
    worst = max((abs(e) for e in errors), default=float("nan"))
    print(f"\n{len(sections)} sections; tempo right on {correct}/{len(TRACKS)} tracks; "
          f"largest boundary error {worst:.2f} s; beat F {beat_f:.3f}; "
          f"analysis {elapsed:.2f} s")
    print(f"SUMMARY dj_mix_sections={len(sections)}"
          f" dj_mix_tempo_correct={correct / len(TRACKS):.3f}"
          f" dj_mix_boundary_err_max_s={worst:.3f} dj_mix_beat_f={beat_f:.3f}"
          f" dj_mix_seconds={elapsed:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
