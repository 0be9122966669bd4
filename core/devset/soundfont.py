"""Render General MIDI drum kits of SoundFonts to one-shots with the ``fluidsynth`` CLI.

Each kit (bank 128, one program) is rendered once: a MIDI file plays every mapped GM note at
three velocities on channel 10, each note in its own slot (cymbals 3 s, toms 2 s, others
1.5 s; note-off 1 s before the slot ends), with reverb and chorus off. Every slot is cut out,
mixed to mono, trimmed of leading (−40 dB re peak) and trailing (−50 dB) silence, capped at
2.5 s and peak-normalised.
The result is cached as ``.npz`` (float16) keyed by the SoundFont's size and modification
time and the program, so later loads read a few megabytes instead of running fluidsynth.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import mido
import numpy as np
import soundfile as sf

from core.devset._dsp import finish_one_shot
from core.fileutil import atomic_write_bytes

log = logging.getLogger(__name__)

SAMPLE_RATE = 44100
"""Rate (Hz) the kits are rendered at."""

CACHE_FORMAT = 3
"""Bumped whenever the rendering changes, so stale cache files are ignored."""

SOUNDFONTS = MappingProxyType({
    "fluidr3": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    "timgm": Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    "musescore": Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),
})
"""Short name → Debian path of the GM SoundFonts used (fluid-soundfont-gm,
timgm6mb-soundfont, musescore-general-soundfont)."""

KIT_PROGRAMS = MappingProxyType({
    0: "standard", 8: "room", 16: "power", 24: "electronic", 25: "808", 32: "jazz", 40: "brush",
})
"""GM drum-kit programs (bank 128) rendered, with the name used in kit names."""

GM_NOTES = MappingProxyType({
    "kick": (35, 36), "snare": (38, 40), "clap": (39,), "rim": (37,),
    "hihat_closed": (42,), "hihat_pedal": (44,), "hihat_open": (46,),
    "ride": (51, 59, 53), "crash": (49, 57), "tom_low": (41, 43, 45), "tom_mid": (47, 48),
    "tom_high": (50,), "percussion": (56, 54, 69, 70, 75),
})
"""Vocabulary instrument → GM percussion keys rendered for it (each key one variant)."""

VELOCITIES: tuple[int, ...] = (40, 80, 120)
"""MIDI velocities rendered per key (velocity layers)."""

_CYMBALS = frozenset({46, 49, 51, 53, 57, 59})
_TOMS = frozenset({41, 43, 45, 47, 48, 50})
_LEAD_IN = 0.5  # s of silence before the first note
_TICKS_PER_SECOND = 960  # 480 ticks per beat at 120 BPM


@dataclass(frozen=True)
class OneShot:
    """A rendered GM note: ``instrument``, GM ``note``, MIDI ``velocity`` and mono ``samples``."""

    instrument: str
    note: int
    velocity: int
    samples: np.ndarray


def drum_programs(path: Path) -> frozenset[int]:
    """Programs of bank 128 (drum kits) that the SoundFont at ``path`` defines.

    Reads only the RIFF preset headers (``phdr``); returns an empty set for an unreadable or
    malformed file.
    """
    try:
        with open(path, "rb") as handle:
            return frozenset(p for bank, p in _presets(handle) if bank == 128)
    except (OSError, struct.error, ValueError):
        return frozenset()


def _presets(handle: io.BufferedReader) -> list[tuple[int, int]]:
    riff, size, form = struct.unpack("<4sI4s", handle.read(12))
    if riff != b"RIFF" or form != b"sfbk":
        raise ValueError("not a SoundFont")
    end = 8 + size
    while handle.tell() < end:
        cid, csize = struct.unpack("<4sI", handle.read(8))
        if cid == b"LIST" and handle.read(4) == b"pdta":
            list_end = handle.tell() + csize - 4
            while handle.tell() < list_end:
                sid, ssize = struct.unpack("<4sI", handle.read(8))
                if sid == b"phdr":
                    data = handle.read(ssize)
                    return [struct.unpack_from("<HH", data, i + 20)[::-1]
                            for i in range(0, ssize - 38, 38)]
                handle.seek(ssize + (ssize & 1), 1)
        else:
            handle.seek(csize - (4 if cid == b"LIST" else 0) + (csize & 1), 1)
    raise ValueError("no preset headers")


def _slot(note: int) -> tuple[float, float]:
    """(slot length, note-off time) in seconds for GM ``note``."""
    if note in _CYMBALS:
        return 3.0, 2.0
    return (2.0, 1.5) if note in _TOMS else (1.5, 1.0)


def schedule() -> list[tuple[str, int, int, float, float]]:
    """The rendered notes: ``(instrument, note, velocity, start_s, slot_s)`` in time order."""
    out, start = [], _LEAD_IN
    for instrument, notes in GM_NOTES.items():
        for note in notes:
            slot, _ = _slot(note)
            for velocity in VELOCITIES:
                out.append((instrument, note, velocity, start, slot))
                start += slot
    return out


def build_midi(program: int) -> bytes:
    """A Standard MIDI File playing :func:`schedule` with drum kit ``program`` on channel 10."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=500_000, time=0))
    track.append(mido.Message("program_change", channel=9, program=program, time=0))
    now = 0
    for _instrument, note, velocity, start, _slot_s in schedule():
        on, off = round(start * _TICKS_PER_SECOND), round((start + _slot(note)[1])
                                                          * _TICKS_PER_SECOND)
        track.append(mido.Message("note_on", channel=9, note=note, velocity=velocity,
                                  time=on - now))
        track.append(mido.Message("note_off", channel=9, note=note, velocity=0, time=off - on))
        now = off
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def render_program(soundfont: Path, program: int) -> list[OneShot]:
    """Render drum kit ``program`` of ``soundfont`` with fluidsynth and slice the one-shots.

    Raises
    ------
    FileNotFoundError
        ``fluidsynth`` is not on ``PATH``.
    subprocess.CalledProcessError, subprocess.TimeoutExpired
        fluidsynth failed or hung (2 minutes).
    """
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise FileNotFoundError("fluidsynth is not installed (Debian package: fluidsynth)")
    with tempfile.TemporaryDirectory(prefix="breakroom-sf-") as tmp:
        mid, wav = Path(tmp) / "kit.mid", Path(tmp) / "kit.wav"
        mid.write_bytes(build_midi(program))
        cmd = [exe, "-ni", "-q", "-R", "0", "-C", "0", "-g", "1.0", "-r", str(SAMPLE_RATE),
               "-O", "float", "-T", "wav", "-o", "synth.dynamic-sample-loading=1",
               "-F", str(wav), str(soundfont), str(mid)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
        audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    if rate != SAMPLE_RATE:
        raise ValueError(f"fluidsynth wrote {rate} Hz instead of {SAMPLE_RATE} Hz")
    mono = audio.mean(axis=1)
    shots = []
    for instrument, note, velocity, start, slot in schedule():
        a = round(start * SAMPLE_RATE)
        piece = mono[a:a + round(slot * SAMPLE_RATE)]
        if piece.size and float(np.max(np.abs(piece))) > 1e-5:
            shots.append(OneShot(instrument, note, velocity, finish_one_shot(piece, SAMPLE_RATE)))
    return shots


def cache_path(cache_dir: Path, short: str, soundfont: Path, program: int) -> Path:
    """Cache file of one kit: keyed by the SoundFont's size and mtime and the program."""
    st = soundfont.stat()
    return cache_dir / f"{short}-p{program}-{st.st_size}-{st.st_mtime_ns}-v{CACHE_FORMAT}.npz"


def save_shots(path: Path, shots: list[OneShot]) -> None:
    """Write ``shots`` atomically as an ``.npz`` of float16 arrays."""
    arrays = {f"{s.instrument}__{s.note}__{s.velocity}": s.samples.astype(np.float16)
              for s in shots}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue(), overwrite=True)


def load_shots(path: Path) -> list[OneShot] | None:
    """Read a cache file written by :func:`save_shots`; ``None`` if absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            shots = []
            for key in data.files:
                instrument, note, velocity = key.split("__")
                shots.append(OneShot(instrument, int(note), int(velocity),
                                     data[key].astype(np.float32)))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable kit cache %s: %s", path, exc)
        return None
    order = {(i, n, v): k for k, (i, n, v, _s, _l) in enumerate(schedule())}
    return sorted(shots, key=lambda s: order.get((s.instrument, s.note, s.velocity), 1 << 30))


def kit_shots(short: str, soundfont: Path, program: int, cache_dir: Path) -> list[OneShot]:
    """One-shots of one kit: from the cache, else rendered (and cached).

    Raises what :func:`render_program` raises when the kit must be rendered and cannot be.
    """
    path = cache_path(cache_dir, short, soundfont, program)
    shots = load_shots(path)
    if shots is None:
        # Quantise as the cache stores them, so a fresh render and a cached load are identical.
        shots = [OneShot(s.instrument, s.note, s.velocity,
                         s.samples.astype(np.float16).astype(np.float32))
                 for s in render_program(soundfont, program)]
        try:
            save_shots(path, shots)
        except OSError as exc:
            log.warning("could not cache kit %s:%d in %s: %s", short, program, cache_dir, exc)
    return shots


def available_soundfonts() -> dict[str, Path]:
    """The SoundFonts of :data:`SOUNDFONTS` present on this machine (symlinks resolved)."""
    out = {}
    for short, path in SOUNDFONTS.items():
        if path.is_file():
            out[short] = path.resolve()
        else:
            log.info("SoundFont %s not found; its kits are skipped", path)
    return out


def default_cache_dir() -> Path:
    """``platformdirs.user_cache_dir("breakroom") / "devset-kits"``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("breakroom")) / "devset-kits"


def worker_count() -> int:
    """Parallel fluidsynth processes: one per CPU core, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))
