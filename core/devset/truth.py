"""Ground truth of a generated clip: what a perfect analysis would report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.results import DrumHit, TimeSignature

BAR_ROLES: tuple[str, ...] = ("intro", "beat", "fill", "breakdown")
"""The roles a bar of a generated clip can have (see :class:`GroundTruth`)."""


@dataclass(frozen=True)
class GroundTruth:
    """Labels of one generated clip. Times in seconds from the clip start.

    ``tempo_bpm`` is the tempo a producer would label (the notated tempo: 174 for drum & bass,
    140 for half-time dubstep); with a tempo change it is the tempo of the first section and
    ``tempo_changes`` lists ``(time, bpm)`` from the change on. ``hits`` carry confidence 1.0.
    ``swing_8th``/``swing_16th`` are long/short ratios (1.0 straight) where swing was applied.

    The arrangement, bar by bar from the first downbeat of the clip (intro bars included):
    ``bar_starts`` are the bars' downbeat times (seconds) and ``bar_roles`` their roles, one
    of :data:`BAR_ROLES`: ``"intro"`` (no drums; pads only in a full mix), ``"beat"`` (the
    groove), ``"fill"`` (the groove ending with a fill), ``"breakdown"`` (drums silent; the
    accompaniment of a full mix plays on). ``bars_end`` is the time (seconds) at which the
    last bar ends. All three are empty/``None`` for truth written before they existed.
    """

    tempo_bpm: float
    beats: tuple[float, ...]
    downbeats: tuple[float, ...]
    time_signature: TimeSignature
    hits: tuple[DrumHit, ...]
    style: str
    kit: str
    mix: str  # "drums" (drums only) or "full" (with bass, pads, vocal-like sounds)
    drum_to_rest_db: float | None = None
    swing_8th: float | None = None
    swing_16th: float | None = None
    tempo_changes: tuple[tuple[float, float], ...] = ()
    humanized: bool = False
    bar_roles: tuple[str, ...] = ()
    bar_starts: tuple[float, ...] = ()
    bars_end: float | None = None

    def bar_span(self, bar: int) -> tuple[float, float]:
        """``(start, end)`` in seconds of ``bar`` (0-based, intro bars included).

        Raises
        ------
        IndexError
            ``bar`` is not a bar of the clip (or the truth has no bar times).
        """
        if not 0 <= bar < len(self.bar_starts) or self.bars_end is None:
            raise IndexError(f"bar {bar} is not one of the clip's {len(self.bar_starts)} bars")
        end = self.bar_starts[bar + 1] if bar + 1 < len(self.bar_starts) else self.bars_end
        return self.bar_starts[bar], end


@dataclass(frozen=True, eq=False)
class Clip:
    """A generated clip: stereo ``samples`` [2, frames] float32 at ``sample_rate`` Hz, its
    ``truth``, a unique ``name``, (for full mixes) the isolated ``drums`` stem and, when
    asked for (``render_clip(spec, with_parts=True)``), ``parts``: ``"drums"``, ``"bass"``,
    ``"pads"``, ``"vocal"`` as [2, frames] float32 arrays that sum to ``samples``."""

    name: str
    samples: np.ndarray
    sample_rate: int
    truth: GroundTruth
    drums: np.ndarray | None = None
    parts: Mapping[str, np.ndarray] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[1] / self.sample_rate
