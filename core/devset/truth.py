"""Ground truth of a generated clip: what a perfect analysis would report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.results import DrumHit, TimeSignature


@dataclass(frozen=True)
class GroundTruth:
    """Labels of one generated clip. Times in seconds from the clip start.

    ``tempo_bpm`` is the tempo a producer would label (the notated tempo: 174 for drum & bass,
    140 for half-time dubstep); with a tempo change it is the tempo of the first section and
    ``tempo_changes`` lists ``(time, bpm)`` from the change on. ``hits`` carry confidence 1.0.
    ``swing_8th``/``swing_16th`` are long/short ratios (1.0 straight) where swing was applied.
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


@dataclass(frozen=True, eq=False)
class Clip:
    """A generated clip: stereo ``samples`` [2, frames] float32 at ``sample_rate`` Hz, its
    ``truth``, a unique ``name`` and (for full mixes) the isolated ``drums`` stem."""

    name: str
    samples: np.ndarray
    sample_rate: int
    truth: GroundTruth
    drums: np.ndarray | None = None

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[1] / self.sample_rate
