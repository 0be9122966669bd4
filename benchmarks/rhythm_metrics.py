"""Scoring of rhythm and drum results against generated ground truth (mir_eval based).

Counts are accumulated over clips (true positives, references, estimates) so F-measures are
micro-averaged, not means of per-clip scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import mir_eval
import numpy as np

from core.results import DrumHit

CLASSES_3 = {"kick": ("kick",), "snare": ("snare", "clap", "rim"),
             "hihat": ("hihat_closed", "hihat_pedal", "hihat_open")}
CLASSES_5 = {**CLASSES_3, "tom": ("tom_low", "tom_mid", "tom_high"), "cymbal": ("ride", "crash")}
ONSET_WINDOW_S = 0.05
BEAT_WINDOW_S = 0.07
TEMPO_TOLERANCE = 0.04
_FACTORS_ACC2 = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)


def tempo_correct(estimate: float | None, reference: float, *, octave: bool = False) -> bool:
    """Acc1 (within 4 %) or, with ``octave``, Acc2 (also ×2, ×½, ×3, ×⅓)."""
    if not estimate:
        return False
    factors = _FACTORS_ACC2 if octave else (1.0,)
    return any(abs(estimate - reference * f) <= TEMPO_TOLERANCE * reference * f
               for f in factors)


def beat_f(reference: Sequence[float], estimate: Sequence[float]) -> float:
    """mir_eval beat F-measure (±70 ms), no trimming of the first seconds (short clips)."""
    ref, est = np.asarray(reference, float), np.asarray(estimate, float)
    if len(ref) == 0:
        return 1.0 if len(est) == 0 else 0.0
    return float(mir_eval.beat.f_measure(ref, est, f_measure_threshold=BEAT_WINDOW_S))


def swing_points(ratio: float | None) -> float | None:
    """Swing percentage ``100·r/(1+r)`` (50 straight, 66.7 triplet)."""
    return None if ratio is None else 100.0 * ratio / (1.0 + ratio)


@dataclass
class Counts:
    """Matched, reference and estimated event counts."""

    tp: int = 0
    ref: int = 0
    est: int = 0

    def add(self, reference: np.ndarray, estimate: np.ndarray) -> None:
        if len(reference) and len(estimate):
            self.tp += len(mir_eval.util.match_events(reference, estimate, ONSET_WINDOW_S))
        self.ref += len(reference)
        self.est += len(estimate)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.ref + other.ref, self.est + other.est)

    def f(self) -> float:
        """F-measure (1.0 when there is nothing to find and nothing found)."""
        if self.ref == 0 and self.est == 0:
            return 1.0
        return 2.0 * self.tp / (self.ref + self.est) if self.ref + self.est else 0.0


def _times(hits: Iterable[DrumHit], names: Sequence[str]) -> np.ndarray:
    return np.sort(np.array([h.time for h in hits if h.instrument in names], dtype=float))


@dataclass
class DrumScore:
    """Per-class counts of one system over a group of clips."""

    classes: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    per_clip: list[dict[str, Counts]] = field(default_factory=list)

    def add(self, reference: Sequence[DrumHit], estimate: Sequence[DrumHit]) -> None:
        clip = {}
        for name, members in CLASSES_5.items():
            counts = Counts()
            counts.add(_times(reference, members), _times(estimate, members))
            self.classes[name] = self.classes[name] + counts
            clip[name] = counts
        self.per_clip.append(clip)

    def interval(self, classes: Mapping[str, Sequence[str]], *, level: float = 0.95,
                 draws: int = 2000, seed: int = 0) -> tuple[float, float]:
        """Percentile-bootstrap interval of :meth:`f` over ``classes``, drawing clips with
        replacement (``level`` 0.95: the middle 95 % of ``draws`` re-scored groups). It says
        how far the F-measure of a group of clips this size moves with the choice of clips."""
        if not self.per_clip:
            return float("nan"), float("nan")
        pooled = [sum((clip[n] for n in classes), Counts()) for clip in self.per_clip]
        counts = np.array([[c.tp, c.ref, c.est] for c in pooled])
        rng = np.random.default_rng(seed)
        drawn = counts[rng.integers(0, len(counts), (draws, len(counts)))].sum(axis=1)
        denominator = drawn[:, 1] + drawn[:, 2]
        f = np.where(denominator > 0, 2.0 * drawn[:, 0] / np.maximum(denominator, 1), 1.0)
        tail = 100.0 * (1.0 - level) / 2.0
        low, high = np.percentile(f, [tail, 100.0 - tail])
        return float(low), float(high)

    def f(self, classes: Mapping[str, Sequence[str]]) -> float:
        """Micro-averaged F over ``classes`` (CLASSES_3 or CLASSES_5)."""
        return sum((self.classes[name] for name in classes), Counts()).f()
