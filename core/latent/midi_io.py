"""Read MIDI+CC performances from Standard MIDI Files and write grid clips back as MIDI.

Reading keeps every note (any channel) and the events of the configured controllers; times
are converted from ticks to grid steps (``steps_per_beat`` per quarter note), so the tempo
does not change the grid. Writing produces a type-1 file at 480 PPQ: a conductor track (tempo,
time signature) and one synth track with the notes and the CC automation (an event whenever
the 0–127 value changes).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from core.fileutil import write_output
from core.latent.clip import GridClip, GridSpec, Note
from core.latent.errors import LatentDataError

TICKS_PER_BEAT = 480
"""Resolution of written files (the usual DAW export), ticks per quarter note."""

MAX_MIDI_BYTES = 32 * 1024 * 1024
"""Larger files are refused before parsing (a performance clip is kilobytes)."""

MAX_BEATS = 100_000
"""Longer files are refused (about 7 hours at 240 BPM): almost surely damaged."""


@dataclass(frozen=True)
class MidiPerformance:
    """Notes and controller events of one file, on the step grid.

    ``notes`` in steps; ``cc_events[number]`` = ``[(step, value 0–1), …]`` for each configured
    controller found; ``cc_event_count`` counts those events; ``length_steps`` runs to the last
    event or end of track; ``bpm`` is the first tempo (120 when none), ``tempo_changes`` the
    number of later, different tempos; ``beats_per_bar`` from the first time signature.
    """

    path: str
    notes: tuple[Note, ...]
    cc_events: dict[int, list[tuple[int, float]]]
    cc_event_count: int
    length_steps: int
    steps_per_beat: int
    bpm: float
    tempo_changes: int
    beats_per_bar: float
    midi_type: int

    @property
    def length_beats(self) -> float:
        """Length in quarter notes."""
        return self.length_steps / self.steps_per_beat

    @property
    def seconds(self) -> float:
        """Length in seconds at the first tempo."""
        return self.length_beats * 60.0 / self.bpm


def _open(path: Path) -> mido.MidiFile:
    """Parse ``path`` with mido; every failure becomes a :class:`LatentDataError`."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise LatentDataError(path, "file not found") from None
    except OSError as exc:
        raise LatentDataError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if not path.is_file():
        raise LatentDataError(path, "is not a regular file")
    if size == 0:
        raise LatentDataError(path, "corrupt MIDI: the file is empty")
    if size > MAX_MIDI_BYTES:
        raise LatentDataError(path, f"file is {size / 2**20:.0f} MiB; a MIDI clip is at most "
                                    f"{MAX_MIDI_BYTES // 2**20} MiB")
    try:
        midi = mido.MidiFile(path, clip=True)
    except PermissionError:
        raise LatentDataError(path, "cannot read the file (permission denied)") from None
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError, …
        raise LatentDataError(path, f"corrupt MIDI: not a readable Standard MIDI File ({exc})"
                              ) from None
    if midi.type == 2:
        raise LatentDataError(path, "type-2 MIDI (independent sequences) is not supported; "
                                    "export the clip as type 0 or 1")
    if not midi.ticks_per_beat or midi.ticks_per_beat <= 0:
        raise LatentDataError(path, "corrupt MIDI: SMPTE time division is not supported")
    return midi


def read_performance(path: str | os.PathLike[str], *, steps_per_beat: int = 16,
                     cc_numbers: tuple[int, ...] = tuple(range(1, 11))) -> MidiPerformance:
    """Read the notes and CC automation of one MIDI file onto a ``steps_per_beat`` grid.

    Note starts and CC events are rounded to the nearest step, note ends too (at least one
    step long). Notes left hanging end at the end of their track.

    Raises
    ------
    LatentDataError
        Missing, unreadable, empty, oversized, corrupt or type-2 file, or one absurdly long.
    """
    file = Path(path)
    midi = _open(file)
    ppq = midi.ticks_per_beat
    wanted = set(cc_numbers)
    tempos: list[int] = []
    meter: tuple[int, int] | None = None
    notes: list[tuple[int, int, int, int]] = []
    cc_ticks: dict[int, list[tuple[int, int]]] = {}
    length = 0
    for track in midi.tracks:
        tick = 0
        playing: dict[tuple[int, int], tuple[int, int]] = {}
        for msg in track:
            tick += msg.time
            if tick > MAX_BEATS * ppq:
                raise LatentDataError(file, f"longer than {MAX_BEATS} beats; the file looks "
                                            "damaged")
            kind = msg.type
            if kind == "set_tempo":
                tempos.append(msg.tempo)
            elif kind == "time_signature" and meter is None:
                meter = (msg.numerator, msg.denominator)
            elif kind == "control_change" and msg.control in wanted:
                cc_ticks.setdefault(msg.control, []).append((tick, msg.value))
            elif kind == "note_on" and msg.velocity > 0:
                key = (msg.channel, msg.note)
                if key in playing:
                    start, vel = playing.pop(key)
                    notes.append((start, tick, msg.note, vel))
                playing[key] = (tick, msg.velocity)
            elif kind in ("note_on", "note_off"):
                key = (msg.channel, msg.note)
                if key in playing:
                    start, vel = playing.pop(key)
                    notes.append((start, tick, msg.note, vel))
        for (_channel, pitch), (start, vel) in playing.items():
            notes.append((start, tick, pitch, vel))
        length = max(length, tick)
    scale = steps_per_beat / ppq

    def step(t: int) -> int:
        return int(np.floor(t * scale + 0.5))

    grid_notes = tuple(sorted(
        (Note(step(s), max(step(s) + 1, step(e)), p, v) for s, e, p, v in notes),
        key=lambda n: (n.start, n.pitch)))
    cc_events = {number: [(step(t), v / 127.0) for t, v in events]
                 for number, events in cc_ticks.items()}
    first = tempos[0] if tempos else 500_000
    beats_per_bar = meter[0] * 4.0 / meter[1] if meter and meter[1] > 0 else 4.0
    return MidiPerformance(
        path=str(file), notes=grid_notes, cc_events=cc_events,
        cc_event_count=sum(len(e) for e in cc_ticks.values()),
        length_steps=int(np.ceil(length * scale)), steps_per_beat=steps_per_beat,
        bpm=round(float(mido.tempo2bpm(first)), 3),
        tempo_changes=sum(1 for t in tempos[1:] if t != first),
        beats_per_bar=beats_per_bar, midi_type=int(midi.type))


def clip_midi_bytes(clip: GridClip, grid: GridSpec, *, track_name: str = "Breakroom latent",
                    channel: int = 0) -> bytes:
    """A type-1, 480-PPQ Standard MIDI File of ``clip``: notes and the CC automation of the
    controllers present (a CC event on every step where its 0–127 value changes). The file is
    exactly the clip's length."""
    exact = TICKS_PER_BEAT % grid.steps_per_beat == 0
    per_step = TICKS_PER_BEAT // grid.steps_per_beat if exact else None
    end_tick = round(clip.steps * TICKS_PER_BEAT / grid.steps_per_beat)

    def tick(step: int) -> int:
        return step * per_step if per_step else round(step * TICKS_PER_BEAT / grid.steps_per_beat)

    events: list[tuple[int, int, mido.Message]] = []
    for note in clip.notes():
        events.append((tick(note.end), 0, mido.Message(
            "note_off", channel=channel, note=note.pitch, velocity=0)))
        events.append((tick(note.start), 2, mido.Message(
            "note_on", channel=channel, note=note.pitch, velocity=note.velocity)))
    values = np.clip(np.round(np.asarray(clip.cc) * 127.0), 0, 127).astype(int)
    for k, number in enumerate(grid.cc_numbers):
        if not bool(clip.cc_present[k]):
            continue
        previous = -1
        for s in range(clip.steps):
            if values[s, k] != previous:
                previous = int(values[s, k])
                events.append((tick(s), 1, mido.Message(
                    "control_change", channel=channel, control=number, value=previous)))
    events.sort(key=lambda e: (e[0], e[1]))
    bpm = float(min(max(clip.bpm, 4.0), 1000.0))
    numerator = grid.beats_per_bar
    conductor = mido.MidiTrack([
        mido.MetaMessage("track_name", name=track_name, time=0),
        mido.MetaMessage("time_signature", numerator=numerator, denominator=4, time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
        mido.MetaMessage("end_of_track", time=end_tick),
    ])
    synth = mido.MidiTrack([mido.MetaMessage("track_name", name=track_name, time=0)])
    now = 0
    for t, _order, msg in events:
        synth.append(msg.copy(time=t - now))
        now = t
    synth.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT, tracks=[conductor, synth])
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_clip_midi(path: str | os.PathLike[str], clip: GridClip, grid: GridSpec, *,
                    overwrite: bool = False) -> Path:
    """Write ``clip`` as a MIDI file (see :func:`clip_midi_bytes`); atomic, never replaces an
    existing file unless ``overwrite``.

    Raises
    ------
    core.errors.OutputExists
        The file exists and ``overwrite`` is false.
    LatentDataError
        The file cannot be written (names the path and the reason).
    """
    return write_output(path, clip_midi_bytes(clip, grid), overwrite=overwrite,
                        what="the MIDI file", error=LatentDataError)
