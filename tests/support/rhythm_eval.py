"""Accuracy of the rhythm engine on generated clips (dev set): beats, downbeats, tempo.

``evaluate_rhythm(specs)`` renders each :class:`core.devset.generate.ClipSpec`, runs
:func:`core.analysis.rhythm.analyze_rhythm_audio` and scores it against the clip's truth:

* beat and downbeat F-measure (``mir_eval.beat.f_measure``, ±70 ms, no trimming);
* tempo Acc1 (within 4 % of the labelled tempo) and Acc2 (also at ×2, ×½, ×3, ×⅓); with a
  tempo change the labelled tempo is that of the first section and the estimate is the tempo
  section in force at the first labelled beat (the global tempo when there is none);
* octave errors: clips labelled 160–180 BPM whose estimate misses Acc1 but meets Acc2.

``summarise(rows)`` groups the rows (drums-only / full mix / all) and ``format_table`` prints
them. Run ``python -m tests.support.rhythm_eval dev 8`` for the dev split, 8 clips per style.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from core.analysis.rhythm import RhythmOptions, RhythmResult, analyze_rhythm_audio
from core.devset.truth import Clip, GroundTruth


@dataclass(frozen=True)
class RhythmScore:
    """Scores of one clip (see module docstring); ``seconds`` is the analysis time."""

    name: str
    style: str
    mix: str
    kit: str
    truth_bpm: float
    bpm: float | None
    beat_f: float
    downbeat_f: float
    acc1: bool
    acc2: bool
    octave_error: bool
    meter_ok: bool
    seconds: float


def _tempo_at(result: RhythmResult, time_s: float) -> float | None:
    for section in result.tempo_sections:
        if section.start <= time_s < section.end:
            return section.bpm
    return result.tempo.bpm if result.tempo else None


def score_clip(truth: GroundTruth, result: RhythmResult, *, name: str = "",
               seconds: float = 0.0) -> RhythmScore:
    """Score one analysis ``result`` against ``truth``."""
    import mir_eval

    ref_beats = np.asarray(truth.beats, dtype=float)
    ref_down = np.asarray(truth.downbeats, dtype=float)
    est_beats = np.asarray(result.beats, dtype=float)
    est_down = np.asarray(result.downbeats, dtype=float)
    beat_f = float(mir_eval.beat.f_measure(ref_beats, est_beats)) if len(ref_beats) else 0.0
    down_f = float(mir_eval.beat.f_measure(ref_down, est_down)) if len(ref_down) else 0.0
    first = float(ref_beats[0]) if len(ref_beats) else 0.0
    bpm = _tempo_at(result, first + 1e-3) if truth.tempo_changes else (
        result.tempo.bpm if result.tempo else None)
    label = truth.tempo_bpm
    acc1 = bpm is not None and abs(bpm - label) <= 0.04 * label
    acc2 = bpm is not None and any(abs(bpm - label * k) <= 0.04 * label * k
                                   for k in (1, 2, 0.5, 3, 1 / 3))
    octave = 160 <= label <= 180 and not acc1
    meter_ok = result.time_signature == truth.time_signature
    return RhythmScore(name, truth.style, truth.mix, "", label, bpm, beat_f, down_f, acc1,
                       acc2, octave, meter_ok, seconds)


def evaluate_clips(clips: Iterable[Clip], *, options: RhythmOptions | None = None
                   ) -> list[RhythmScore]:
    """Analyse and score already rendered clips."""
    rows = []
    for clip in clips:
        start = time.perf_counter()
        result = analyze_rhythm_audio(clip.samples, clip.sample_rate, options=options)
        elapsed = time.perf_counter() - start
        row = score_clip(clip.truth, result, name=clip.name, seconds=elapsed)
        rows.append(RhythmScore(**{**row.__dict__, "kit": clip.truth.kit}))
    return rows


def evaluate_rhythm(specs: Sequence, *, options: RhythmOptions | None = None
                    ) -> list[RhythmScore]:
    """Render ``specs`` (ClipSpecs) and score the rhythm analysis of each."""
    from core.devset.dataset import iter_clips

    return evaluate_clips(iter_clips(specs), options=options)


def summarise(rows: Sequence[RhythmScore]) -> dict[str, dict[str, float]]:
    """Mean scores of all rows and of the drums-only and full-mix rows."""
    groups = {"drums": [r for r in rows if r.mix == "drums"],
              "full": [r for r in rows if r.mix == "full"], "all": list(rows)}
    out = {}
    for name, group in groups.items():
        if not group:
            continue
        fast = [r for r in group if 160 <= r.truth_bpm <= 180]
        out[name] = {
            "clips": len(group),
            "beat_f": float(np.mean([r.beat_f for r in group])),
            "downbeat_f": float(np.mean([r.downbeat_f for r in group])),
            "acc1": float(np.mean([r.acc1 for r in group])),
            "acc2": float(np.mean([r.acc2 for r in group])),
            "meter": float(np.mean([r.meter_ok for r in group])),
            "octave_errors_160_180": float(sum(r.octave_error for r in fast)),
            "clips_160_180": float(len(fast)),
            "seconds_mean": float(np.mean([r.seconds for r in group])),
        }
    return out


def format_table(summary: dict[str, dict[str, float]]) -> str:
    """A plain-text table of :func:`summarise` output."""
    lines = ["group   clips  beatF  downF  Acc1   Acc2   meter  oct.err(160-180)  s/clip"]
    for name, s in summary.items():
        lines.append(f"{name:7s} {int(s['clips']):5d}  {s['beat_f']:.3f}  {s['downbeat_f']:.3f}"
                     f"  {s['acc1']:.3f}  {s['acc2']:.3f}  {s['meter']:.3f}"
                     f"  {int(s['octave_errors_160_180'])}/{int(s['clips_160_180'])}"
                     f"               {s['seconds_mean']:.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """``python -m tests.support.rhythm_eval [split] [clips_per_style]``: print the table and
    the clips that miss."""
    from core.devset.dataset import development_set

    split = argv[0] if argv else "dev"
    per_style = int(argv[1]) if len(argv) > 1 else 4
    rows = evaluate_rhythm(development_set(split, clips_per_style=per_style))
    for r in rows:
        if not r.acc1 or r.beat_f < 0.9 or r.downbeat_f < 0.8 or not r.meter_ok:
            print(f"  {r.name:55s} bpm={r.bpm} beatF={r.beat_f:.2f} downF={r.downbeat_f:.2f}"
                  f" meter_ok={r.meter_ok}")
    print(format_table(summarise(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
