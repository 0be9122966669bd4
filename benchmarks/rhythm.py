"""Benchmark the rhythm engine and drum transcription on the generated development set.

Run ``.venv/bin/python benchmarks/rhythm.py [--clips-per-style 4] [--seconds 20]
[--splits dev,unseen]``.
Clips come from :mod:`core.devset` (deterministic, seeded): the ``dev`` split uses training kits,
the ``unseen`` split kits never used for training or tuning. Each clip is written as a WAV and
analysed by the real pipeline (``analyze_file``, as ``python main.py analyze`` does). Baselines in
the same tables: librosa's ``beat_track`` (tempo and beats) and the classic band-energy drum
rule. Scores: beat and downbeat F (±70 ms), tempo Acc1 (±4 %) and Acc2, octave errors on
160–180 BPM clips, drum onset F (±50 ms) for 3 and 5 classes (the 3-class figure with a
bootstrap 95 % interval over clips), swing error (points), speed.

Ends with one line ``SUMMARY …``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from benchmarks.rhythm_metrics import (  # noqa: E402
    CLASSES_3,
    CLASSES_5,
    DrumScore,
    beat_f,
    swing_points,
    tempo_correct,
)
from core.analysis.drums import DrumOptions, transcribe_drums  # noqa: E402
from core.analysis.pipeline import AnalysisOptions, analyze_file  # noqa: E402
from core.devset import ClipSpec, development_set, iter_clips, render_clip  # noqa: E402
from core.devset.truth import Clip  # noqa: E402

SYSTEMS = ("breakroom", "librosa beat_track", "classic drum rule")
THREE_VIEWS = "breakroom, 3 views"
"""The drum model with three views (``analysis.drum_views: 3``; analysis uses one by default)."""


class Group:
    """Accumulated scores of one system on one group of clips."""

    def __init__(self) -> None:
        self.beat_f: list[float] = []
        self.downbeat_f: list[float] = []
        self.acc1: list[bool] = []
        self.acc2: list[bool] = []
        self.fast_octave_errors = 0
        self.fast_clips = 0
        self.drums = DrumScore()
        self.swing_err: list[float] = []
        self.seconds = 0.0
        self.audio_seconds = 0.0

    def add_rhythm(self, clip: Clip, bpm: float | None, beats, downbeats=None,
                   sections=()) -> None:
        """Score one clip's tempo and grid. With a tempo change the label is the first
        section's tempo, so the estimate is the tempo section in force at the first labelled
        beat (``sections``; the global ``bpm`` for a system without sections)."""
        t = clip.truth
        if t.tempo_changes and t.beats:
            at = t.beats[0] + 1e-3
            bpm = next((s.bpm for s in sections if s.start <= at < s.end), bpm)
        self.beat_f.append(beat_f(t.beats, beats))
        if downbeats is not None:
            self.downbeat_f.append(beat_f(t.downbeats, downbeats))
        self.acc1.append(tempo_correct(bpm, t.tempo_bpm))
        self.acc2.append(tempo_correct(bpm, t.tempo_bpm, octave=True))
        if 160 <= t.tempo_bpm <= 180:
            self.fast_clips += 1
            self.fast_octave_errors += int(not tempo_correct(bpm, t.tempo_bpm))


def group_name(split: str, clip: Clip) -> str:
    kits = "unseen kits" if split == "unseen" else "dev kits"
    mix = "drums only" if clip.truth.mix == "drums" else "full mix"
    return f"{mix}, {kits}"


def score_clip(clip: Clip, wav: Path, groups: dict, name: str) -> None:
    """Run every system on one clip and add its scores."""
    ours = groups[(name, "breakroom")]
    started = time.perf_counter()
    result = analyze_file(wav, options=AnalysisOptions(drums="model"))
    ours.seconds += time.perf_counter() - started
    ours.audio_seconds += clip.duration
    ours.add_rhythm(clip, result.tempo_bpm, result.beats, result.downbeats,
                    result.tempo_sections)
    ours.drums.add(clip.truth.hits, result.drum_hits)
    for truth_swing, est in ((clip.truth.swing_8th, result.groove and result.groove.swing_8th),
                             (clip.truth.swing_16th,
                              result.groove and result.groove.swing_16th)):
        if truth_swing is not None and est is not None:
            ours.swing_err.append(abs(swing_points(est) - swing_points(truth_swing)))
    mono = librosa.resample(clip.samples.mean(axis=0), orig_sr=clip.sample_rate,
                            target_sr=22050)
    tempo, beats = librosa.beat.beat_track(y=mono, sr=22050, units="time")
    groups[(name, "librosa beat_track")].add_rhythm(clip, float(np.atleast_1d(tempo)[0]), beats)
    classic = transcribe_drums(clip.samples, clip.sample_rate,
                               options=DrumOptions(backend="classic"))
    groups[(name, "classic drum rule")].drums.add(clip.truth.hits, classic.hits)
    if clip.truth.mix == "drums":  # as the pipeline hears a separated drum stem
        three = transcribe_drums(clip.samples, clip.sample_rate, options=DrumOptions(views=3))
        groups[(name, THREE_VIEWS)].drums.add(clip.truth.hits, three.hits)


def fmt(values, digits=3) -> str:
    return f"{np.mean(values):.{digits}f}" if len(values) else "–"


def print_tables(groups: dict, names: list[str]) -> dict[str, float]:
    print("\n### Tempo and beats\n")
    print("| clips | system | n | beat F | downbeat F | tempo Acc1 | tempo Acc2 | "
          "160–180 octave errors |\n|---|---|---|---|---|---|---|---|")
    for name in names:
        for system in ("breakroom", "librosa beat_track"):
            g = groups[(name, system)]
            print(f"| {name} | {system} | {len(g.acc1)} | {fmt(g.beat_f)} | "
                  f"{fmt(g.downbeat_f)} | {fmt(g.acc1)} | {fmt(g.acc2)} | "
                  f"{g.fast_octave_errors}/{g.fast_clips} |")
    print("\n### Drum hits (onset F, ±50 ms)\n")
    print("| clips | system | kick | snare/clap/rim | hi-hats | toms | ride/crash | "
          "3 classes | 3 classes, 95 % interval | 5 classes |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        for system in ("breakroom", THREE_VIEWS, "classic drum rule"):
            if (name, system) not in groups:
                continue
            d = groups[(name, system)].drums
            per = " | ".join(f"{d.classes[c].f():.3f}" for c in CLASSES_5)
            low, high = d.interval(CLASSES_3)
            print(f"| {name} | {system} | {per} | {d.f(CLASSES_3):.3f} | "
                  f"{low:.3f}–{high:.3f} | {d.f(CLASSES_5):.3f} |")
    print("\n(95 % interval: percentile bootstrap over the group's clips, 2000 draws.)")
    ours = [groups[(n, "breakroom")] for n in names]
    swing = [e for g in ours for e in g.swing_err]
    seconds = sum(g.seconds for g in ours)
    audio = sum(g.audio_seconds for g in ours)
    print(f"\nswing error: mean {fmt(swing, 2)} points, max "
          f"{max(swing) if swing else float('nan'):.2f} over {len(swing)} swing labels")
    print(f"speed: {60 * seconds / audio:.2f} s of analysis per minute of audio "
          f"(whole pipeline incl. decoding)")
    summary = {"seconds_per_minute": 60 * seconds / audio,
               "swing_err_mean_points": float(np.mean(swing)) if swing else float("nan")}
    for name in names:
        key = name.replace(", ", "_").replace(" ", "_")
        g = groups[(name, "breakroom")]
        summary[f"beat_f_{key}"] = float(np.mean(g.beat_f))
        summary[f"downbeat_f_{key}"] = float(np.mean(g.downbeat_f))
        summary[f"tempo_acc1_{key}"] = float(np.mean(g.acc1))
        summary[f"drum_f3_{key}"] = g.drums.f(CLASSES_3)
        summary[f"drum_f3_low_{key}"], summary[f"drum_f3_high_{key}"] = g.drums.interval(
            CLASSES_3)
        summary[f"drum_f5_{key}"] = g.drums.f(CLASSES_5)
        if (name, THREE_VIEWS) in groups:
            summary[f"drum_f3_3views_{key}"] = groups[(name, THREE_VIEWS)].drums.f(CLASSES_3)
    return summary


def five_minute_timing(folder: Path) -> tuple[float, float]:
    """Whole-pipeline time (s) and tempo found for a 5-minute 174 BPM drum & bass full mix."""
    bars = round(5 * 60 / (4 * 60 / 174.0))
    spec = ClipSpec(style="dnb", bpm=174.0, bars=bars, kit="synth:4", seed=5, mix="full",
                    drum_to_rest_db=0.0)
    clip = render_clip(spec)
    wav = folder / "five-minutes.wav"
    sf.write(str(wav), clip.samples.T, clip.sample_rate, subtype="PCM_16")
    analyze_file(wav)  # warm-up: imports, model load, filter design
    started = time.perf_counter()
    result = analyze_file(wav)
    return time.perf_counter() - started, result.tempo_bpm or 0.0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints Markdown tables and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips-per-style", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--splits", default="dev,unseen",
                        help="comma-separated devset splits to score (dev, unseen)")
    args = parser.parse_args(argv)
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    if not splits or any(s not in ("dev", "unseen") for s in splits):
        parser.error(f"--splits takes dev and/or unseen, got {args.splits!r}")
    groups: dict = defaultdict(Group)
    names: list[str] = []
    with tempfile.TemporaryDirectory(prefix="breakroom-rhythm-") as tmp:
        for split in splits:
            specs = development_set(split, clips_per_style=args.clips_per_style,
                                    seconds=args.seconds)
            for i, clip in enumerate(iter_clips(specs)):
                wav = Path(tmp) / f"{split}-{i}.wav"
                sf.write(str(wav), clip.samples.T, clip.sample_rate, subtype="PCM_24")
                name = group_name(split, clip)
                if name not in names:
                    names.append(name)
                score_clip(clip, wav, groups, name)
                wav.unlink()
                print(f"\r{split}: {i + 1}/{len(specs)} clips", end="", file=sys.stderr)
            print(file=sys.stderr)
        five_min_s, five_min_bpm = five_minute_timing(Path(tmp))
    summary = print_tables(groups, sorted(names))
    print(f"5-minute 174 BPM full mix: whole analysis {five_min_s:.2f} s, tempo "
          f"{five_min_bpm:.2f} BPM")
    summary["five_minute_track_s"] = five_min_s
    print("SUMMARY " + " ".join(f"{k}={v:.3f}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
