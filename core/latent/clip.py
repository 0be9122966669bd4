"""The step-grid form of a MIDI+CC performance that the latent model reads and writes.

A clip is ``steps`` grid steps long. The grid is counted in quarter notes: ``steps_per_beat``
= 16 is a 1/64-note grid. Per step it holds

* ``onsets[steps, 128]``: a note of that MIDI pitch starts on this step;
* ``active[steps, 128]``: a note of that pitch sounds during this step (onset steps included);
* ``cc[steps, n_cc]``: each controller of the configured CC list, normalised to 0–1
  (MIDI value / 127), held from one event to the next;
* ``cc_present[n_cc]``: the controller appears in the clip's source file (curves of absent
  controllers are zeros and are left out of every CC metric and loss).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameter

N_PITCHES = 128
"""MIDI pitches 0–127."""

DEFAULT_CC_NUMBERS = tuple(range(1, 11))
"""The user's mapping: CC1 cutoff, CC2 resonance, CC3 LFO rate, CC4 LFO amount, CC5 attack,
CC6 decay, CC7 drive, CC8 reverb send, CC9 delay send, CC10 custom."""

CC_NAMES = {1: "cutoff", 2: "resonance", 3: "lfo rate", 4: "lfo amount", 5: "attack",
            6: "decay", 7: "drive", 8: "reverb send", 9: "delay send", 10: "custom"}
"""What each default controller drives in the built-in synth and in the user's mapping."""


@dataclass(frozen=True)
class GridSpec:
    """The step grid of a model: ``steps_per_beat`` steps per quarter note, ``bars`` bars of
    ``beats_per_bar`` quarter notes per clip, and the CC numbers modelled (in order)."""

    steps_per_beat: int = 16
    bars: int = 4
    beats_per_bar: int = 4
    cc_numbers: tuple[int, ...] = DEFAULT_CC_NUMBERS

    def __post_init__(self) -> None:
        if not 1 <= self.steps_per_beat <= 96:
            raise InvalidParameter(f"steps_per_beat must be 1–96, got {self.steps_per_beat}")
        if not 1 <= self.bars <= 64:
            raise InvalidParameter(f"bars must be 1–64, got {self.bars}")
        if not 1 <= self.beats_per_bar <= 32:
            raise InvalidParameter(f"beats_per_bar must be 1–32, got {self.beats_per_bar}")
        ccs = tuple(int(c) for c in self.cc_numbers)
        if not ccs or len(set(ccs)) != len(ccs) or not all(0 <= c <= 127 for c in ccs):
            raise InvalidParameter(
                f"cc_numbers must be distinct controller numbers 0–127, got {list(ccs)}")
        object.__setattr__(self, "cc_numbers", ccs)

    @property
    def steps(self) -> int:
        """Steps per clip."""
        return self.steps_per_beat * self.beats_per_bar * self.bars

    @property
    def beats(self) -> int:
        """Quarter notes per clip."""
        return self.beats_per_bar * self.bars

    @property
    def n_cc(self) -> int:
        """Number of modelled controllers."""
        return len(self.cc_numbers)

    def to_dict(self) -> dict[str, object]:
        """Plain data for configs and checkpoints."""
        return {"steps_per_beat": self.steps_per_beat, "bars": self.bars,
                "beats_per_bar": self.beats_per_bar, "cc_numbers": list(self.cc_numbers)}


@dataclass(frozen=True)
class Note:
    """A note on the grid: ``start`` step (inclusive), ``end`` step (exclusive), MIDI
    ``pitch`` and ``velocity``."""

    start: int
    end: int
    pitch: int
    velocity: int = 100


@dataclass(frozen=True, eq=False)
class GridClip:
    """One clip on the grid (see the module docstring for the arrays' meaning).

    ``source`` names the file (and segment) it came from, ``tag`` a free label (the style
    for generated clips, the file's name otherwise), ``bpm`` its tempo.
    """

    onsets: np.ndarray
    active: np.ndarray
    cc: np.ndarray
    cc_present: np.ndarray
    bpm: float = 120.0
    source: str = ""
    tag: str = ""
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        """Length in steps."""
        return int(self.onsets.shape[0])

    def notes(self, velocity: int = 100) -> list[Note]:
        """The notes: each onset lasts while its pitch stays active (until the next onset of
        that pitch at the latest), at least one step."""
        return rolls_to_notes(self.onsets, self.active, velocity=velocity)


def notes_to_rolls(notes: list[Note] | tuple[Note, ...], steps: int) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """``(onsets, active)`` bool arrays ``[steps, 128]`` of ``notes`` (clipped to the clip)."""
    onsets = np.zeros((steps, N_PITCHES), dtype=bool)
    active = np.zeros((steps, N_PITCHES), dtype=bool)
    for note in notes:
        if 0 <= note.start < steps and 0 <= note.pitch < N_PITCHES:
            onsets[note.start, note.pitch] = True
            active[note.start:max(note.start + 1, min(note.end, steps)), note.pitch] = True
    return onsets, active


def rolls_to_notes(onsets: np.ndarray, active: np.ndarray, *, velocity: int = 100) -> list[Note]:
    """Notes from onset and activity rolls ``[steps, 128]``, sorted by start then pitch."""
    onsets = np.asarray(onsets, dtype=bool)
    active = np.asarray(active, dtype=bool) | onsets
    steps = onsets.shape[0]
    notes: list[Note] = []
    for start, pitch in zip(*np.nonzero(onsets), strict=True):
        end = start + 1
        while end < steps and active[end, pitch] and not onsets[end, pitch]:
            end += 1
        notes.append(Note(int(start), int(end), int(pitch), int(velocity)))
    notes.sort(key=lambda n: (n.start, n.pitch))
    return notes


def hold_curve(events: list[tuple[int, float]], steps: int) -> np.ndarray:
    """A controller curve ``[steps]`` from ``(step, value)`` events: each value holds until the
    next event; before the first event the first value holds. Later events on the same step
    win. Empty ``events`` gives zeros."""
    curve = np.zeros(steps, dtype=np.float32)
    if not events:
        return curve
    ordered = sorted(events, key=lambda e: e[0])
    positions = np.array([min(max(s, 0), steps) for s, _ in ordered])
    values = np.array([v for _, v in ordered], dtype=np.float32)
    index = np.searchsorted(positions, np.arange(steps), side="right") - 1
    curve[:] = values[np.maximum(index, 0)]
    return curve
