"""Write quantised drum notes as a Standard MIDI File, and read such files back.

The file is type 1 at :data:`TICKS_PER_BEAT` = 480 ticks per quarter note:

* track 0 (conductor): track name, time signature and tempo at tick 0;
* track 1 (drums): track name, then every note on MIDI channel 10 (``channel=9`` in mido),
  note-on with the note's velocity and an explicit note-off (velocity 0).

Both tracks end (``end_of_track``) exactly at the loop end, ``bars × beats_per_bar × 480 × 4 /
denominator`` ticks, so a DAW imports a clip exactly that many bars long; the loop starts at
bar 1 beat 1 = tick 0. Note positions are in beats = quarter notes (480 ticks). An empty note
list gives a valid file of that exact length with no notes.

Files are written atomically and never replace an existing file unless ``overwrite=True``
(:class:`core.errors.OutputExists`); other write failures raise :class:`MidiFileError`
naming the path.
"""

from __future__ import annotations

import io
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import mido

from core.errors import InvalidParameter, OutputExists, PathError
from core.fileutil import write_output
from core.midi.drum_maps import drum_map as resolve_drum_map
from core.midi.quantize import QuantizedNote
from core.results import TimeSignature
from core.vocabulary import DRUM_INSTRUMENTS, GM_DRUM_NOTES

__all__ = ["DRUM_CHANNEL", "TICKS_PER_BEAT", "MidiClip", "MidiFileError", "MidiNote",
           "drum_midi_bytes", "read_drum_midi", "summarize", "write_drum_midi"]

TICKS_PER_BEAT = 480
"""MIDI resolution: ticks per quarter note (PPQ)."""
DRUM_CHANNEL = 9
"""MIDI channel 10 (General MIDI percussion), numbered from 0 as mido does."""
NOTE_LENGTHS = ("fixed", "to_next")
_MIN_BPM, _MAX_BPM = 4.0, 1000.0  # a MIDI tempo holds at most 16 777 215 µs per beat (3.6 BPM)
_MAX_BARS = 10_000


class MidiFileError(PathError):
    """A MIDI file cannot be written or read. ``path`` names it and ``reason`` says why."""


def summarize(notes: Iterable[QuantizedNote]) -> dict[str, int]:
    """Number of notes per instrument, in :data:`DRUM_INSTRUMENTS` order (only those present)."""
    counts = Counter(note.instrument for note in notes)
    return {name: counts[name] for name in DRUM_INSTRUMENTS if counts[name]}


def drum_midi_bytes(notes: Sequence[QuantizedNote], *, bpm: float, bars: int,
                    beats_per_bar: int = 4, denominator: int = 4,
                    drum_map: Mapping[str, int] | str | os.PathLike[str] = GM_DRUM_NOTES,
                    track_name: str = "Breakroom drums",
                    note_length: Literal["fixed", "to_next"] = "fixed",
                    fixed_length_ticks: int = 60) -> bytes:
    """The Standard MIDI File for ``notes``, as bytes; parameters as :func:`write_drum_midi`."""
    end_tick = _loop_ticks(bpm, bars, beats_per_bar, denominator)
    if note_length not in NOTE_LENGTHS:
        raise InvalidParameter(
            f"note_length must be one of {', '.join(NOTE_LENGTHS)}, got {note_length!r}")
    if (isinstance(fixed_length_ticks, bool) or not isinstance(fixed_length_ticks, int)
            or fixed_length_ticks < 1):
        raise InvalidParameter(
            f"fixed_length_ticks must be a whole number of ticks >= 1, got {fixed_length_ticks!r}")
    notes_map = (drum_map if isinstance(drum_map, Mapping) and _is_complete(drum_map)
                 else resolve_drum_map(drum_map))
    events = _note_events(notes, notes_map, end_tick, note_length, fixed_length_ticks)

    conductor = mido.MidiTrack([
        mido.MetaMessage("track_name", name=track_name, time=0),
        mido.MetaMessage("time_signature", numerator=beats_per_bar, denominator=denominator,
                         time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
        mido.MetaMessage("end_of_track", time=end_tick),
    ])
    drums = mido.MidiTrack([mido.MetaMessage("track_name", name=track_name, time=0)])
    now = 0
    for tick, _order, kind, pitch, velocity in events:
        drums.append(mido.Message(kind, channel=DRUM_CHANNEL, note=pitch, velocity=velocity,
                                  time=tick - now))
        now = tick
    drums.append(mido.MetaMessage("end_of_track", time=end_tick - now))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT, tracks=[conductor, drums])
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def write_drum_midi(path: str | os.PathLike[str], notes: Sequence[QuantizedNote], *,
                    bpm: float, bars: int, beats_per_bar: int = 4, denominator: int = 4,
                    drum_map: Mapping[str, int] | str | os.PathLike[str] = GM_DRUM_NOTES,
                    track_name: str = "Breakroom drums",
                    note_length: Literal["fixed", "to_next"] = "fixed",
                    fixed_length_ticks: int = 60, overwrite: bool = False) -> Path:
    """Write ``notes`` as a drum MIDI file of exactly ``bars`` bars and return its path.

    Parameters
    ----------
    path : path-like
        Destination ``.mid`` file; its folder must exist.
    notes : sequence of QuantizedNote
        Positions in beats (quarter notes) from the loop start, all before the loop end.
    bpm : float
        Tempo in quarter-note beats per minute (4–1000), written as the file's tempo.
    bars : int
        Length of the loop in bars; the file ends exactly there.
    beats_per_bar, denominator : int
        Time signature (4/4 by default); a bar is ``beats_per_bar × 4 / denominator`` quarter
        notes.
    drum_map : mapping, preset name or map file
        Instrument → MIDI note; default General MIDI. A mapping that leaves instruments out
        is completed with their General MIDI notes; see :func:`core.midi.drum_maps.drum_map`.
    track_name : str
        Name of the conductor track and of the drum track.
    note_length : str
        ``fixed``: each note lasts ``fixed_length_ticks`` (60 ticks = a 1/32 note), cut short at
        the next note of the same pitch or the loop end; ``to_next``: each note lasts until
        the next note of the same pitch, or the loop end (at least 1 tick).
    overwrite : bool
        Replace an existing file (else :class:`OutputExists`).

    Notes of different instruments mapped to the same MIDI note at the same tick become one
    note with the highest velocity. Velocities are rounded and clamped to 1–127.

    Raises
    ------
    InvalidParameter
        A parameter is out of range or a note lies outside the loop.
    ConfigError
        ``drum_map`` names a map file that is missing or malformed.
    OutputExists
        ``path`` exists and ``overwrite`` is false; the file is left untouched.
    MidiFileError
        The file cannot be written (folder missing, permission denied, disk full, …).
    """
    dest = Path(path)
    if not overwrite and (dest.exists() or dest.is_symlink()):
        raise OutputExists(dest)
    data = drum_midi_bytes(notes, bpm=bpm, bars=bars, beats_per_bar=beats_per_bar,
                           denominator=denominator, drum_map=drum_map, track_name=track_name,
                           note_length=note_length, fixed_length_ticks=fixed_length_ticks)
    return write_output(dest, data, overwrite=overwrite, what="the MIDI file",
                        error=MidiFileError)


def _is_complete(notes: Mapping[str, int]) -> bool:
    """Whether ``notes`` maps every instrument to a MIDI note (then it is used as given)."""
    return all(isinstance(notes.get(name), int) and 0 <= notes[name] <= 127
               for name in DRUM_INSTRUMENTS)


def _loop_ticks(bpm: float, bars: int, beats_per_bar: int, denominator: int) -> int:
    """Validate tempo, length and meter; the loop length in ticks."""
    if (isinstance(bpm, bool) or not isinstance(bpm, (int, float)) or not math.isfinite(bpm)
            or not _MIN_BPM <= bpm <= _MAX_BPM):
        raise InvalidParameter(f"bpm must be within {_MIN_BPM:g}–{_MAX_BPM:g}, got {bpm!r}")
    if isinstance(bars, bool) or not isinstance(bars, int) or not 1 <= bars <= _MAX_BARS:
        raise InvalidParameter(f"bars must be a whole number 1–{_MAX_BARS}, got {bars!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool)
               for v in (beats_per_bar, denominator)):
        raise InvalidParameter(
            f"time signature must be whole numbers, got {beats_per_bar!r}/{denominator!r}")
    TimeSignature(beats_per_bar, denominator)  # raises InvalidParameter when invalid
    return bars * beats_per_bar * TICKS_PER_BEAT * 4 // denominator


def _note_events(notes: Sequence[QuantizedNote], notes_map: Mapping[str, int], end_tick: int,
                 note_length: str, fixed_length_ticks: int,
                 ) -> list[tuple[int, int, str, int, int]]:
    """Sorted ``(tick, order, kind, pitch, velocity)`` events; note-offs before note-ons."""
    onsets: dict[tuple[int, int], int] = {}  # (pitch, tick) -> velocity
    loop_beats = end_tick / TICKS_PER_BEAT
    for note in notes:
        if note.instrument not in notes_map:
            raise InvalidParameter(f"drum map has no MIDI note for {note.instrument!r}")
        if not math.isfinite(note.beat) or not 0 <= note.beat < loop_beats:
            raise InvalidParameter(
                f"{note.instrument} note at beat {note.beat:g} lies outside the loop "
                f"(0–{loop_beats:g} beats); quantise with the same loop length")
        tick = min(round(note.beat * TICKS_PER_BEAT), end_tick - 1)
        velocity = min(max(round(note.velocity), 1), 127)
        key = (int(notes_map[note.instrument]), tick)
        onsets[key] = max(onsets.get(key, 0), velocity)

    by_pitch: dict[int, list[int]] = {}
    for pitch, tick in sorted(onsets):
        by_pitch.setdefault(pitch, []).append(tick)
    events: list[tuple[int, int, str, int, int]] = []
    for pitch, ticks in by_pitch.items():
        for i, tick in enumerate(ticks):
            limit = ticks[i + 1] if i + 1 < len(ticks) else end_tick
            length = limit - tick if note_length == "to_next" else min(fixed_length_ticks,
                                                                         limit - tick)
            length = max(length, 1)
            events.append((tick, 1, "note_on", pitch, onsets[(pitch, tick)]))
            events.append((tick + length, 0, "note_off", pitch, 0))
    events.sort()
    return events


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class MidiNote:
    """A note read from a MIDI file: start ``tick`` and ``beat`` (quarter notes), MIDI
    ``note`` and ``velocity``, ``channel`` (0-based; 9 = drums) and ``duration_ticks``."""

    tick: int
    beat: float
    note: int
    velocity: int
    channel: int
    duration_ticks: int


@dataclass(frozen=True)
class MidiClip:
    """What :func:`read_drum_midi` finds in a file.

    ``bpm``: the first tempo (120 if none); ``time_signature``: the first one as
    ``(numerator, denominator)`` or ``None``; ``length_ticks``: the latest end of any track
    (its ``end_of_track``); ``notes`` sorted by tick then note.
    """

    type: int
    ticks_per_beat: int
    bpm: float
    time_signature: tuple[int, int] | None
    length_ticks: int
    track_names: tuple[str, ...]
    notes: tuple[MidiNote, ...]

    @property
    def length_beats(self) -> float:
        """Length in quarter notes."""
        return self.length_ticks / self.ticks_per_beat


def read_drum_midi(path: str | os.PathLike[str]) -> MidiClip:
    """Read a MIDI file (any type) back into notes with their positions, for checks and
    round trips. Raises :class:`MidiFileError` naming the file if it cannot be read or is not
    a valid MIDI file."""
    file = Path(path)
    try:
        midi = mido.MidiFile(file)
    except FileNotFoundError:
        raise MidiFileError(file, "MIDI file not found") from None
    except PermissionError:
        raise MidiFileError(file, "cannot read the MIDI file (permission denied)") from None
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise MidiFileError(file, f"not a valid MIDI file ({exc})") from None
    bpm: float | None = None
    meter: tuple[int, int] | None = None
    names: list[str] = []
    notes: list[MidiNote] = []
    length = 0
    for track in midi.tracks:
        tick = 0
        playing: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, note) -> (tick, vel)
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo" and bpm is None:
                bpm = mido.tempo2bpm(msg.tempo)
            elif msg.type == "time_signature" and meter is None:
                meter = (msg.numerator, msg.denominator)
            elif msg.type == "track_name":
                names.append(msg.name)
            elif msg.type == "note_on" and msg.velocity > 0:
                key = (msg.channel, msg.note)
                if key in playing:  # retriggered before its note-off: end the first one here
                    notes.append(_note(midi, key, *playing.pop(key), tick))
                playing[key] = (tick, msg.velocity)
            elif msg.type in ("note_on", "note_off"):
                key = (msg.channel, msg.note)
                if key in playing:
                    notes.append(_note(midi, key, *playing.pop(key), tick))
        for key, (start, velocity) in playing.items():
            notes.append(_note(midi, key, start, velocity, tick))
        length = max(length, tick)
    notes.sort(key=lambda n: (n.tick, n.note))
    return MidiClip(type=midi.type, ticks_per_beat=midi.ticks_per_beat,
                    bpm=120.0 if bpm is None else bpm, time_signature=meter,
                    length_ticks=length, track_names=tuple(names), notes=tuple(notes))


def _note(midi: mido.MidiFile, key: tuple[int, int], start: int, velocity: int,
          end: int) -> MidiNote:
    channel, pitch = key
    return MidiNote(tick=start, beat=start / midi.ticks_per_beat, note=pitch, velocity=velocity,
                    channel=channel, duration_ticks=end - start)
