"""Onset F-measure of drum transcriptions per instrument group (mir_eval, 50 ms window).

Evaluation groups the 13 instruments the way drum-transcription papers do:

* 3 classes: ``kick``; ``snare`` (snare, clap, rim); ``hihat`` (closed, pedal, open);
* 5 classes: the 3 plus ``tom`` (low, mid, high) and ``cymbal`` (ride, crash).

Within a group, hits closer than :data:`MERGE_WINDOW` (30 ms) count once — in the reference
and in the estimate alike — so a snare + clap layered on one beat is one event. Matching is
``mir_eval.util.match_events`` (the matcher of ``mir_eval.onset.f_measure``) with a 50 ms
window; counts are summed over clips before computing precision, recall and F.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.results import DrumHit

GROUPS_3: Mapping[str, tuple[str, ...]] = {
    "kick": ("kick",),
    "snare": ("snare", "clap", "rim"),
    "hihat": ("hihat_closed", "hihat_pedal", "hihat_open"),
}
GROUPS_5: Mapping[str, tuple[str, ...]] = {
    **GROUPS_3,
    "tom": ("tom_low", "tom_mid", "tom_high"),
    "cymbal": ("ride", "crash"),
}
GROUPS_13: Mapping[str, tuple[str, ...]] = {
    name: (name,) for name in (
        "kick", "snare", "clap", "rim", "hihat_closed", "hihat_pedal", "hihat_open", "ride",
        "crash", "tom_low", "tom_mid", "tom_high", "percussion")
}
WINDOW = 0.05
"""Matching tolerance, seconds."""
MERGE_WINDOW = 0.03
"""Hits of one group closer than this (s) are one event."""


def merged_times(times: Iterable[float], window: float = MERGE_WINDOW) -> np.ndarray:
    """Sorted times with any time closer than ``window`` to the last kept one dropped."""
    kept: list[float] = []
    for t in sorted(float(x) for x in times):
        if not kept or t - kept[-1] >= window:
            kept.append(t)
    return np.asarray(kept)


def group_times(hits: Iterable[DrumHit], members: Sequence[str]) -> np.ndarray:
    """Merged onset times (s) of the hits whose instrument is in ``members``."""
    return merged_times(h.time for h in hits if h.instrument in members)


@dataclass
class Counts:
    """Matched (``tp``), spurious (``fp``) and missed (``fn``) events."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, ref: np.ndarray, est: np.ndarray, window: float = WINDOW) -> None:
        """Match ``est`` against ``ref`` (onset times, s) and add the counts."""
        import mir_eval

        matched = len(mir_eval.util.match_events(ref, est, window)) if len(ref) and len(
            est) else 0
        self.tp += matched
        self.fp += len(est) - matched
        self.fn += len(ref) - matched

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f_measure(self) -> float:
        """F1; 1.0 when there was nothing to find and nothing was found."""
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


class GroupScores:
    """Accumulate per-group counts over clips.

    >>> scores = GroupScores(GROUPS_3)
    >>> scores.add(reference_hits, estimated_hits)
    >>> scores.summary()["mean_f"]
    """

    def __init__(self, groups: Mapping[str, Sequence[str]]) -> None:
        self.groups = dict(groups)
        self.counts = {name: Counts() for name in groups}

    def add(self, reference: Sequence[DrumHit], estimate: Sequence[DrumHit]) -> None:
        """Score one clip."""
        for name, members in self.groups.items():
            self.counts[name].add(group_times(reference, members), group_times(estimate, members))

    def summary(self) -> dict[str, object]:
        """Per-group F/P/R and event counts; ``mean_f`` (mean over groups with reference
        events) and ``micro_f`` (counts pooled over groups)."""
        per = {name: {"f": c.f_measure, "p": c.precision, "r": c.recall,
                      "n_ref": c.tp + c.fn, "n_est": c.tp + c.fp}
               for name, c in self.counts.items()}
        present = [name for name, c in self.counts.items() if c.tp + c.fn > 0]
        pooled = Counts(sum(c.tp for c in self.counts.values()),
                        sum(c.fp for c in self.counts.values()),
                        sum(c.fn for c in self.counts.values()))
        mean_f = float(np.mean([per[n]["f"] for n in present])) if present else 1.0
        return {"classes": per, "mean_f": mean_f, "micro_f": pooled.f_measure}
