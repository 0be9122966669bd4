"""Quantise drum hits onto a musical grid that follows the analysed beat grid.

Positions are measured in **beats** (one beat = one quarter note of the grid the analysis
found) by interpolating between the beat times, so a grid with tempo drift is followed beat by
beat instead of assuming one constant tempo. Beat ``i`` of the grid (``beats[i]`` seconds) is
position ``i``; before the first and after the last beat the neighbouring beat period is
extended linearly.

The loop window ``start``–``end`` (seconds) is taken at its nearest beats: the loop starts at
the beat nearest ``start`` (position 0 of the output, bar 1 beat 1 of the MIDI clip) and is a
whole number of beats long. A hit belongs to the grid slot nearest to it; hits whose slot lies
before the loop start or at/after the loop end are dropped — in particular a hit that
quantises to exactly the loop end belongs to the next repetition of the loop and is dropped,
not wrapped to the start. A hit just before the loop start that belongs to slot 0 is kept at
position 0.

Swing (``swing="keep"``) moves the grid slots with the groove, using the long/short ratio
convention of :mod:`core.analysis.groove`: with an 8th ratio ``r`` the off-beat 8th sits at
``r/(1+r)`` of the beat instead of ½; with a 16th ratio the off-beat 16th sits at the same
fraction of its (possibly swung) 8th. Triplet grids are never swung.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, overload

import numpy as np

from core.errors import InvalidParameter
from core.results import DrumHit
from core.vocabulary import DRUM_INSTRUMENTS, is_drum_instrument

__all__ = [
    "AUTO_GRIDS",
    "GRIDS",
    "QuantizeOptions",
    "QuantizedNote",
    "beats_to_seconds",
    "choose_grid",
    "grid_slots",
    "grid_step",
    "loop_span",
    "quantize_hits",
    "seconds_to_beats",
]

GRIDS = MappingProxyType({
    "1/4": Fraction(1), "1/8": Fraction(1, 2), "1/16": Fraction(1, 4), "1/32": Fraction(1, 8),
    "1/8T": Fraction(1, 3), "1/16T": Fraction(1, 6),
})
"""Grid name → step in beats (quarter notes); ``T`` = triplet."""

SWING_MODES = ("straight", "keep")
_EPS = 1e-9


def grid_step(grid: str) -> Fraction:
    """Step of ``grid`` (``"1/16"``, ``"1/8T"``, … case-insensitive) in beats.

    Raises :class:`InvalidParameter` listing the valid grids.
    """
    key = str(grid).strip().upper() if isinstance(grid, str) else None
    if key is None or key not in GRIDS:
        raise InvalidParameter(
            f"quantize grid must be one of {', '.join(GRIDS)}, got {grid!r}")
    return GRIDS[key]


@dataclass(frozen=True)
class QuantizeOptions:
    """How hits are moved onto the grid.

    Attributes
    ----------
    grid : str
        Note value of the grid: ``1/4``, ``1/8``, ``1/16``, ``1/32``, ``1/8T``, ``1/16T``.
    strength : float
        0–1: the fraction of the way each hit moves from where it was played to its grid slot
        (0 = as played, 1 = exactly on the grid). A percentage p is ``p / 100``.
    swing : str
        ``straight`` (a straight grid; the swing ratios are ignored) or ``keep`` (the grid slots
        are swung by ``swing_8th`` / ``swing_16th``, so the groove is kept).
    swing_8th, swing_16th : float or None
        Swing ratios long/short (1.0 straight, 2.0 triplet shuffle), e.g. from
        :class:`core.results.Groove`; ``None`` = straight. Used only with ``swing="keep"``.
    merge_duplicates : bool
        Several hits of one instrument on one grid slot become one note, the loudest (highest
        velocity; then highest confidence).
    velocity_compression : float
        0–1: pulls each instrument's velocities towards that instrument's mean velocity in
        the loop (0 = unchanged, 1 = all equal to the mean).
    """

    grid: str = "1/16"
    strength: float = 1.0
    swing: Literal["straight", "keep"] = "straight"
    swing_8th: float | None = None
    swing_16th: float | None = None
    merge_duplicates: bool = True
    velocity_compression: float = 0.0

    def __post_init__(self) -> None:
        grid_step(self.grid)
        _fraction("strength", self.strength, hint=" (a percentage p is p/100)")
        if self.swing not in SWING_MODES:
            raise InvalidParameter(
                f"swing must be one of {', '.join(SWING_MODES)}, got {self.swing!r}")
        for name in ("swing_8th", "swing_16th"):
            ratio = getattr(self, name)
            if ratio is not None and not (_is_number(ratio) and math.isfinite(ratio)
                                          and 0.0 < ratio <= 10.0):
                raise InvalidParameter(
                    f"{name} must be a long/short ratio above 0 and up to 10 "
                    f"(1.0 straight, 2.0 triplet), got {ratio!r}")
        _fraction("velocity_compression", self.velocity_compression)

    @property
    def step(self) -> Fraction:
        """Grid step in beats."""
        return grid_step(self.grid)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fraction(name: str, value: object, hint: str = "") -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0.0 <= value <= 1.0):
        raise InvalidParameter(f"{name} must be within 0–1{hint}, got {value!r}")


@dataclass(frozen=True)
class QuantizedNote:
    """One drum note of the loop.

    ``beat``: position in beats (quarter notes) from the loop start after quantising;
    ``original_beat``: where the hit was played, same units; ``velocity`` MIDI 1–127;
    ``confidence`` 0–1 from the detection.
    """

    beat: float
    instrument: str
    velocity: int
    confidence: float
    original_beat: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.beat) or self.beat < 0:
            raise InvalidParameter(f"note position must be >= 0 beats, got {self.beat}")
        if not is_drum_instrument(self.instrument):
            raise InvalidParameter(f"unknown drum instrument {self.instrument!r}")


# ----------------------------------------------------------------------- seconds <-> beats


def _beat_grid(beats: Sequence[float] | np.ndarray) -> np.ndarray:
    grid = np.asarray(beats, dtype=float).reshape(-1)
    if len(grid) < 2:
        raise InvalidParameter(f"a beat grid needs at least 2 beats, got {len(grid)}")
    if not np.all(np.isfinite(grid)):
        raise InvalidParameter("beat times must be finite numbers (seconds)")
    if np.any(np.diff(grid) <= 0):
        raise InvalidParameter("beat times must be strictly increasing (seconds)")
    return grid


@overload
def seconds_to_beats(times: float, beats: Sequence[float] | np.ndarray) -> float: ...
@overload
def seconds_to_beats(times: Sequence[float] | np.ndarray,
                     beats: Sequence[float] | np.ndarray) -> np.ndarray: ...
def seconds_to_beats(times: float | Sequence[float] | np.ndarray,
                     beats: Sequence[float] | np.ndarray) -> float | np.ndarray:
    """Beat position of ``times`` (s) on the grid ``beats`` (s): beat ``i`` is position ``i``.

    Piecewise linear between beats; before the first / after the last beat, linear with the
    first / last beat period. A float for a scalar, an array for a sequence.
    """
    grid = _beat_grid(beats)
    t = np.asarray(times, dtype=float)
    index = np.arange(len(grid), dtype=float)
    pos = np.interp(t, grid, index)
    pos = np.where(t < grid[0], (t - grid[0]) / (grid[1] - grid[0]), pos)
    pos = np.where(t > grid[-1], index[-1] + (t - grid[-1]) / (grid[-1] - grid[-2]), pos)
    return float(pos) if pos.ndim == 0 else pos


@overload
def beats_to_seconds(positions: float, beats: Sequence[float] | np.ndarray) -> float: ...
@overload
def beats_to_seconds(positions: Sequence[float] | np.ndarray,
                     beats: Sequence[float] | np.ndarray) -> np.ndarray: ...
def beats_to_seconds(positions: float | Sequence[float] | np.ndarray,
                     beats: Sequence[float] | np.ndarray) -> float | np.ndarray:
    """Time (s) of beat ``positions`` on the grid ``beats`` (s); inverse of
    :func:`seconds_to_beats`, extrapolated the same way."""
    grid = _beat_grid(beats)
    x = np.asarray(positions, dtype=float)
    last = len(grid) - 1
    t = np.interp(x, np.arange(len(grid), dtype=float), grid)
    t = np.where(x < 0, grid[0] + x * (grid[1] - grid[0]), t)
    t = np.where(x > last, grid[-1] + (x - last) * (grid[-1] - grid[-2]), t)
    return float(t) if t.ndim == 0 else t


def loop_span(beats: Sequence[float] | np.ndarray, start: float, end: float) -> tuple[int, int]:
    """The loop window ``start``–``end`` (s) on the beat grid: ``(first_beat, length_beats)``.

    ``first_beat`` is the index of the beat nearest ``start`` (extrapolated if the window
    starts before the grid); ``length_beats`` the whole number of beats to the beat nearest
    ``end``. Raises :class:`InvalidParameter` if the window is shorter than one beat.
    """
    if not (math.isfinite(start) and math.isfinite(end)) or end <= start:
        raise InvalidParameter(f"loop window must satisfy start < end (s), got {start}, {end}")
    first = round(seconds_to_beats(float(start), beats))
    length = round(seconds_to_beats(float(end), beats)) - first
    if length < 1:
        raise InvalidParameter(
            f"loop window {start:.3f}–{end:.3f} s is shorter than one beat of the grid")
    return first, length


# ----------------------------------------------------------------------------- the grid


def grid_slots(options: QuantizeOptions) -> np.ndarray:
    """Slot positions within one beat (0 … 1 inclusive, in beats) for ``options``."""
    step = options.step
    if options.swing == "straight" or step.denominator % 3 == 0 or step >= 1:
        count = int(1 / step)
        return np.array([float(Fraction(i) * step) for i in range(count + 1)])
    p8 = _swing_point(options.swing_8th)
    if step == Fraction(1, 2):
        return np.array([0.0, p8, 1.0])
    q16 = _swing_point(options.swing_16th)
    sixteenths = np.array([0.0, q16 * p8, p8, p8 + q16 * (1.0 - p8), 1.0])
    if step == Fraction(1, 4):
        return sixteenths
    mids = (sixteenths[:-1] + sixteenths[1:]) / 2.0  # 1/32: halves of each (swung) 16th
    return np.sort(np.concatenate([sixteenths, mids]))


def _swing_point(ratio: float | None) -> float:
    """Fraction of the pair where the off-beat sits for a long/short ``ratio``."""
    return 0.5 if ratio is None else ratio / (1.0 + ratio)


# --------------------------------------------------------------------------- quantising


def quantize_hits(hits: Iterable[DrumHit], beats: Sequence[float] | np.ndarray, start: float,
                  end: float, options: QuantizeOptions | None = None) -> list[QuantizedNote]:
    """Quantise the ``hits`` inside the loop ``start``–``end`` (s) onto the grid.

    Parameters
    ----------
    hits : iterable of DrumHit
        Detected hits (times in seconds from the start of the file).
    beats : sequence of float
        Beat times in seconds (the analysis beat grid, at least 2, strictly increasing).
    start, end : float
        The loop window in seconds; taken at its nearest beats (:func:`loop_span`).
    options : QuantizeOptions
        Grid, strength, swing, merging and velocity compression; defaults to
        ``QuantizeOptions()`` (1/16, full strength, straight).

    Returns
    -------
    list of QuantizedNote
        Sorted by position, then by instrument in :data:`DRUM_INSTRUMENTS` order. Positions
        are in beats from the loop start, within ``[0, length_beats)``.
    """
    opts = options or QuantizeOptions()
    hits = list(hits)
    grid = _beat_grid(beats)
    first, length = loop_span(grid, start, end)
    if not hits:
        return []
    rel = seconds_to_beats(np.array([h.time for h in hits]), grid) - first
    slots = grid_slots(opts)
    whole = np.floor(rel)
    nearest = np.argmin(np.abs((rel - whole)[:, None] - slots[None, :]), axis=1)
    slot = whole + slots[nearest]
    moved = rel + opts.strength * (slot - rel)

    chosen: dict[tuple[str, float], QuantizedNote] = {}
    notes: list[QuantizedNote] = []
    for hit, s, pos, orig in zip(hits, slot, moved, rel, strict=True):
        if s < -_EPS or s > length - _EPS:
            continue  # outside the loop; a hit on the loop end belongs to the next repetition
        note = QuantizedNote(beat=min(max(float(pos), 0.0), length - _EPS),
                             instrument=hit.instrument, velocity=hit.velocity,
                             confidence=hit.confidence, original_beat=float(orig))
        if not opts.merge_duplicates:
            notes.append(note)
            continue
        key = (hit.instrument, round(float(s), 6))
        kept = chosen.get(key)
        if kept is None or (note.velocity, note.confidence) > (kept.velocity, kept.confidence):
            chosen[key] = note
    if opts.merge_duplicates:
        notes = list(chosen.values())
    if opts.velocity_compression > 0:
        notes = _compress_velocities(notes, opts.velocity_compression)
    order = {name: i for i, name in enumerate(DRUM_INSTRUMENTS)}
    return sorted(notes, key=lambda n: (n.beat, order[n.instrument], -n.velocity))


def _compress_velocities(notes: list[QuantizedNote], amount: float) -> list[QuantizedNote]:
    """Move each velocity ``amount`` (0–1) of the way to its instrument's mean velocity."""
    by_instrument: dict[str, list[int]] = {}
    for note in notes:
        by_instrument.setdefault(note.instrument, []).append(note.velocity)
    means = {name: sum(v) / len(v) for name, v in by_instrument.items()}
    result = []
    for note in notes:
        mean = means[note.instrument]
        velocity = round(mean + (1.0 - amount) * (note.velocity - mean))
        result.append(QuantizedNote(note.beat, note.instrument, min(max(velocity, 1), 127),
                                    note.confidence, note.original_beat))
    return result


AUTO_GRIDS = ("1/16", "1/16T", "1/32")
"""Grids :func:`choose_grid` tries, coarsest first."""


def choose_grid(hits: Iterable[DrumHit], beats: Sequence[float] | np.ndarray, start: float,
                end: float, *, tolerance: float = 0.25) -> str:
    """The coarsest of :data:`AUTO_GRIDS` that keeps every hit of the loop.

    A grid keeps the hits when no two hits of one instrument fall on the same slot and 90 % of
    them lie within ``tolerance`` of a step from their slot (so a shuffle picks 1/16T and
    1/32 hi-hat rolls pick 1/32). Without hits the answer is 1/16.
    """
    grid = _beat_grid(beats)
    first, length = loop_span(grid, start, end)
    hits = list(hits)
    if not hits:
        return AUTO_GRIDS[0]
    rel = seconds_to_beats(np.array([h.time for h in hits]), grid) - first
    inside = (rel > -0.5) & (rel < length)
    rel = rel[inside]
    names = [h.instrument for h, keep in zip(hits, inside, strict=True) if keep]
    for name in AUTO_GRIDS:
        step = float(GRIDS[name])
        slot = np.round(rel / step)
        deviation = np.abs(rel - slot * step)
        unique = len(set(zip(names, slot.tolist(), strict=True)))
        if len(rel) == 0 or (unique == len(rel)
                             and float(np.percentile(deviation, 90)) <= tolerance * step):
            return name
    return AUTO_GRIDS[-1]
