"""Beat grid, swing and humanisation of generated clips. Times in seconds, positions in beats.

Swing moves the second note of every swung pair: with long/short ratio ``r`` the pair's
off-beat sits ``r / (1 + r)`` of the pair's length after its start (``r = 1`` straight,
``r = 2`` triplet shuffle). Positions between grid points are warped piecewise-linearly, so
16ths inside a swung 8th pair move proportionally and pair boundaries never move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import InvalidParameter


@dataclass(frozen=True, eq=False)
class Grid:
    """The beat grid of a clip.

    ``beat_times[k]`` is the time in seconds of beat *k* counted from the clip's first bar
    (intro included); the array holds one more entry than there are beats: the end of the last
    bar. ``beats_per_bar`` is the labelled beats per bar.
    """

    beat_times: np.ndarray
    beats_per_bar: int

    @property
    def beats(self) -> int:
        """Number of beats in the grid."""
        return len(self.beat_times) - 1

    def time(self, beat: np.ndarray | float) -> np.ndarray:
        """Time in seconds of fractional ``beat`` positions (linear within each beat)."""
        index = np.arange(len(self.beat_times), dtype=np.float64)
        return np.interp(beat, index, self.beat_times)

    def beat(self, time: np.ndarray | float) -> np.ndarray:
        """Fractional beat position at ``time`` seconds (inverse of :meth:`time`)."""
        index = np.arange(len(self.beat_times), dtype=np.float64)
        return np.interp(time, self.beat_times, index)

    def bar_start(self, bar: int) -> float:
        """Time in seconds of the downbeat of ``bar`` (0-based, intro included)."""
        return float(self.beat_times[bar * self.beats_per_bar])


def build_grid(bpm: float, bars: int, beats_per_bar: int, *, start: float = 0.0,
               tempo_change: tuple[int, float] | None = None) -> Grid:
    """A grid of ``bars`` bars at ``bpm`` beats per minute beginning at ``start`` seconds.

    ``tempo_change`` ``(bar, new_bpm)`` switches the tempo at the downbeat of ``bar``.
    """
    if bpm <= 0 or bars < 1 or beats_per_bar < 1:
        raise InvalidParameter(f"bad grid: bpm {bpm}, bars {bars}, beats per bar {beats_per_bar}")
    n = bars * beats_per_bar
    period = np.full(n, 60.0 / bpm)
    if tempo_change is not None:
        bar, new_bpm = tempo_change
        if not 0 < bar < bars or new_bpm <= 0:
            raise InvalidParameter(f"tempo change {tempo_change} must fall inside {bars} bars")
        period[bar * beats_per_bar:] = 60.0 / new_bpm
    return Grid(start + np.concatenate(([0.0], np.cumsum(period))), beats_per_bar)


def swing_span(unit: int) -> float:
    """Length in (quarter-note) beats of a swung pair of ``unit`` notes (8 → 1.0, 16 → 0.5)."""
    if unit not in (8, 16):
        raise InvalidParameter(f"swing applies to 8th or 16th notes, got 1/{unit}")
    return 8.0 / unit


def swing(positions: np.ndarray, ratio: float, unit: int) -> np.ndarray:
    """Swing beat ``positions`` with long/short ``ratio`` on ``unit`` (8 or 16) note pairs."""
    if not 0.5 <= ratio <= 4.0:
        raise InvalidParameter(f"swing ratio must be within 0.5–4, got {ratio}")
    span = swing_span(unit)
    pos = np.asarray(positions, dtype=np.float64)
    pair = np.floor(pos / span + 1e-9)
    frac = np.clip(pos / span - pair, 0.0, 1.0)
    a = ratio / (1.0 + ratio)
    warped = np.where(frac < 0.5, frac * 2.0 * a, a + (frac - 0.5) * 2.0 * (1.0 - a))
    return (pair + warped) * span


def humanize(times: np.ndarray, std_ms: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian timing jitter (``std_ms`` milliseconds, clipped at ±3 σ) to ``times``."""
    if std_ms <= 0:
        return np.asarray(times, dtype=np.float64)
    jitter = np.clip(rng.normal(0.0, 1.0, len(times)), -3.0, 3.0) * std_ms / 1000.0
    return np.maximum(0.0, np.asarray(times, dtype=np.float64) + jitter)


def jitter_velocities(velocities: np.ndarray, std: float,
                      rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian jitter (``std`` MIDI steps) to ``velocities``; integers clipped to 1–127."""
    v = np.asarray(velocities, dtype=np.float64)
    if std > 0:
        v = v + rng.normal(0.0, std, len(v))
    return np.clip(np.round(v), 1, 127).astype(int)
