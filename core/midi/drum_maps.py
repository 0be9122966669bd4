"""Drum maps: which MIDI note each of Breakroom's drum instruments is written to.

A drum map is a read-only mapping from every name in :data:`core.vocabulary.DRUM_INSTRUMENTS`
to a MIDI note number 0–127. :func:`drum_map` returns a built-in preset by name
(:data:`DRUM_MAP_PRESETS`) or loads a custom map from a YAML or JSON file of the form
``{instrument: note}``.

Custom files need to name only the instruments they change; every instrument they leave out
keeps its General MIDI note. Unknown instrument names and notes outside 0–127 are errors
(:class:`core.errors.ConfigError`, naming the file). Several instruments may share one note
(e.g. ``clap`` and ``snare`` on one pad); that is allowed and logged as a warning.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from core.errors import ConfigError, InvalidParameter
from core.vocabulary import DRUM_INSTRUMENTS, GM_DRUM_NOTES

__all__ = ["DEFAULT_DRUM_MAP", "DRUM_MAP_PRESETS", "drum_map", "load_drum_map_file",
           "validate_drum_map"]

log = logging.getLogger(__name__)

_FILE_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_FILE_BYTES = 1 << 20


def _ordered(notes: Mapping[str, int]) -> Mapping[str, int]:
    """A read-only copy of ``notes`` in :data:`DRUM_INSTRUMENTS` order."""
    return MappingProxyType({name: notes[name] for name in DRUM_INSTRUMENTS})


def _pad_order(first_note: int, order: tuple[str, ...]) -> Mapping[str, int]:
    """Instruments of ``order`` on consecutive notes from ``first_note`` (pad 1, pad 2, …)."""
    return _ordered({name: first_note + i for i, name in enumerate(order)})


GM: Mapping[str, int] = _ordered(GM_DRUM_NOTES)
"""General MIDI percussion keys (channel 10): kick 36, rim 37, snare 38, clap 39, closed hat 42,
pedal hat 44, open hat 46, crash 49, ride 51, toms 45/47/50, percussion 56 (cowbell).

Plays the right sounds on any GM or GS sound module or soundfont, and in DAW drum instruments
that follow GM note naming."""

ABLETON_DRUM_RACK: Mapping[str, int] = GM
"""Ableton Live Drum Rack. A Drum Rack has no fixed instrument layout: each kit decides what
sits on which pad, and an empty pad shows the GM instrument suggested for its note. Its
default 16-pad view spans C1–D#2 (MIDI 36–51, Live names note 36 "C1"). This preset is
exactly the ``gm`` map — all instruments except ``percussion`` land on that first view, and
``percussion`` (GM cowbell, 56) on the next bank up; use it with kits laid out in GM order."""

MASCHINE: Mapping[str, int] = _pad_order(36, (
    "kick", "snare", "clap", "rim", "hihat_closed", "hihat_pedal", "hihat_open", "ride",
    "crash", "tom_low", "tom_mid", "tom_high", "percussion"))
"""Native Instruments Maschine group. A group's MIDI root note is C1 (MIDI 36) by default, and
notes root … root+15 trigger sound slots 1–16. Maschine kits have no fixed instrument order,
so this preset puts Breakroom's instruments on slots 1–13 in this order: kick 36, snare 37,
clap 38, rim 39, closed hat 40, pedal hat 41, open hat 42, ride 43, crash 44, low/mid/high
tom 45/46/47, percussion 48; arrange the kit the same way (or load a custom map)."""

DRUM_MAP_PRESETS: Mapping[str, Mapping[str, int]] = MappingProxyType({
    "gm": GM,
    "ableton-drum-rack": ABLETON_DRUM_RACK,
    "maschine": MASCHINE,
})
"""Built-in drum maps by name; ``gm`` is the default."""

DEFAULT_DRUM_MAP = "gm"
"""Name of the preset used when no drum map is chosen."""


def drum_map(name_or_path: str | os.PathLike[str] | Mapping[str, int] | None = None,
             ) -> Mapping[str, int]:
    """The drum map for a preset name, a map file, or a mapping to validate.

    Parameters
    ----------
    name_or_path : str, path-like, mapping or None
        ``None`` → the default (``gm``); a name in :data:`DRUM_MAP_PRESETS` (case-insensitive);
        a path to a ``.yaml`` / ``.yml`` / ``.json`` file (any existing file is read as YAML,
        which also accepts JSON); or a mapping ``{instrument: note}`` checked like a file.

    Returns
    -------
    Mapping[str, int]
        Read-only, every instrument of :data:`DRUM_INSTRUMENTS` (in that order) → note 0–127.

    Raises
    ------
    InvalidParameter
        ``name_or_path`` is neither a preset name nor a map file; the message lists the presets.
    ConfigError
        A map file is missing, unreadable or malformed; the message names the file.
    """
    if name_or_path is None:
        return DRUM_MAP_PRESETS[DEFAULT_DRUM_MAP]
    if isinstance(name_or_path, Mapping):
        return validate_drum_map(name_or_path, source="drum map")
    if isinstance(name_or_path, str):
        key = name_or_path.strip().lower()
        if key in DRUM_MAP_PRESETS:
            return DRUM_MAP_PRESETS[key]
    path = Path(name_or_path)
    if path.suffix.lower() in _FILE_SUFFIXES or path.exists():
        return load_drum_map_file(path)
    raise InvalidParameter(
        f"unknown drum map {str(name_or_path)!r}: choose one of "
        f"{', '.join(DRUM_MAP_PRESETS)}, or give a .yaml/.json file of {{instrument: note}}")


def load_drum_map_file(path: str | os.PathLike[str]) -> Mapping[str, int]:
    """Read and validate a custom drum map file (YAML or JSON, ``{instrument: note}``).

    Instruments the file leaves out keep their General MIDI note. Raises
    :class:`ConfigError` naming the file when it is missing, unreadable, not a mapping, names
    an unknown instrument or gives a note that is not an integer 0–127.
    """
    file = Path(path)
    try:
        if file.stat().st_size > _MAX_FILE_BYTES:
            raise ConfigError(f"{file}: drum map file is too large (over 1 MiB)")
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: drum map file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a folder, not a drum map file") from None
    except PermissionError:
        raise ConfigError(f"{file}: cannot read the drum map file (permission denied)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the drum map file ({exc})") from None
    try:
        data: Any = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if file.suffix.lower() == ".json" else "YAML"
        detail = str(exc).replace("\n", " ")
        raise ConfigError(f"{file}: drum map is not valid {kind} ({detail})") from None
    if data is None:
        raise ConfigError(f"{file}: drum map file is empty; write {{instrument: note}} pairs")
    return validate_drum_map(data, source=str(file))


def validate_drum_map(data: object, *, source: str = "drum map") -> Mapping[str, int]:
    """Check ``data`` as ``{instrument: note}`` and complete it with General MIDI notes.

    ``source`` (a file name) starts every error message. Raises :class:`ConfigError` for a
    non-mapping, unknown instrument names (listing the valid ones) and notes that are not
    integers 0–127. Notes shared by several instruments are logged as a warning.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: a drum map must be a mapping of instrument: note, "
            f"got {type(data).__name__}")
    unknown = [str(name) for name in data if name not in GM_DRUM_NOTES]
    if unknown:
        raise ConfigError(
            f"{source}: unknown drum instrument(s) {', '.join(map(repr, unknown))}; "
            f"valid names are {', '.join(DRUM_INSTRUMENTS)}")
    notes = dict(GM_DRUM_NOTES)
    for name, note in data.items():
        if isinstance(note, bool) or not isinstance(note, int) or not 0 <= note <= 127:
            raise ConfigError(
                f"{source}: note of {name!r} must be a MIDI note number 0–127, got {note!r}")
        notes[name] = note
    result = _ordered(notes)
    shared: dict[int, list[str]] = {}
    for name, note in result.items():
        shared.setdefault(note, []).append(name)
    for note, names in shared.items():
        if len(names) > 1:
            log.warning("%s: instruments %s share MIDI note %d", source, ", ".join(names), note)
    return result
