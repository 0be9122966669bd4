"""Find SysEx messages in bytes: raw ``.syx`` dumps with junk, Standard MIDI Files, containers.

A SysEx message is ``F0``, data bytes ``00..7F`` and ``F7``. Real files break that rule in every
way; :func:`scan_messages` never raises and says what it did:

* bytes outside any message (junk, container headers) are skipped and counted;
* a new ``F0`` before ``F7`` ends the previous message as *truncated*;
* MIDI real-time bytes (``F8``–``FE``) inside a message are dropped (MIDI allows them there);
* any other status byte (``80``–``EF``, ``F1``–``F6``, ``FF``) inside a message ends it as
  *interrupted*;
* a message still open at the end of the data is *unterminated* (missing ``F7``).

:func:`read_sysex_file` reads a file (``.syx``/raw dump/container or a ``.mid``) and returns the
messages plus notes for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import SysExError

MAX_FILE_BYTES = 64 << 20
"""Largest file read (64 MiB); real banks are a few hundred kB at most."""

MAX_MESSAGES = 250_000
"""Scanning stops after this many messages (a damaged file must not exhaust memory)."""

_STATUS = re.compile(rb"[\x80-\xff]")
_REALTIME = frozenset(range(0xF8, 0xFF))


@dataclass(frozen=True)
class RawMessage:
    """One message as found: ``data`` starts with ``F0`` and ends with ``F7`` when complete.

    ``status``: ``"complete"``, ``"truncated"`` (cut by a new ``F0``), ``"interrupted"`` (cut by
    another status byte) or ``"unterminated"`` (end of data without ``F7``). ``offset`` is the
    position of ``F0`` in the scanned bytes.
    """

    offset: int
    data: bytes
    status: str = "complete"

    @property
    def complete(self) -> bool:
        """Whether the message ended with ``F7``."""
        return self.status == "complete"

    @property
    def body(self) -> bytes:
        """The message without ``F0`` and ``F7``."""
        return self.data[1:-1] if self.complete else self.data[1:]


@dataclass(frozen=True)
class ScanResult:
    """Messages found and notes (one line each) on what was skipped or repaired."""

    messages: tuple[RawMessage, ...]
    notes: tuple[str, ...]
    junk_bytes: int = 0


def scan_messages(data: bytes, *, max_messages: int = MAX_MESSAGES) -> ScanResult:
    """Split ``data`` into SysEx messages; never raises. See the module docstring."""
    data = bytes(data)
    messages: list[RawMessage] = []
    notes: list[str] = []
    junk = 0
    realtime_dropped = 0
    cut: list[str] = []
    pos = 0
    n = len(data)
    while pos < n:
        start = data.find(b"\xf0", pos)
        if start < 0:
            junk += n - pos
            break
        junk += start - pos
        if len(messages) >= max_messages:
            notes.append(f"stopped after {max_messages} messages; the rest of the data "
                         f"({n - start} bytes) was not read")
            break
        chunks: list[bytes] = []
        cursor = start + 1
        status = "unterminated"
        end = n
        while True:
            hit = _STATUS.search(data, cursor)
            if hit is None:
                chunks.append(data[cursor:])
                end = n
                break
            at = hit.start()
            chunks.append(data[cursor:at])
            byte = data[at]
            if byte == 0xF7:
                status, end = "complete", at + 1
                break
            if byte in _REALTIME:
                realtime_dropped += 1
                cursor = at + 1
                continue
            status = "truncated" if byte == 0xF0 else "interrupted"
            end = at
            if status == "interrupted":
                cut.append(f"message at offset {start} cut by byte 0x{byte:02X} at offset {at}")
            break
        body = b"".join(chunks)
        framed = b"\xf0" + body + (b"\xf7" if status == "complete" else b"")
        messages.append(RawMessage(start, framed, status))
        if status == "truncated":
            notes.append(f"message at offset {start} ({len(framed)} bytes) cut by a new F0 "
                         f"at offset {end}")
        elif status == "unterminated":
            notes.append(f"last message at offset {start} ({len(framed)} bytes) has no closing F7")
        pos = end
    if cut:
        more = f" (and {len(cut) - 3} more messages cut the same way)" if len(cut) > 3 else ""
        notes.extend(cut[:3])
        if more:
            notes.append(more.strip(" ()"))
    if junk:
        notes.insert(0, f"skipped {junk} bytes outside SysEx messages")
    if realtime_dropped:
        notes.append(f"dropped {realtime_dropped} MIDI real-time bytes inside messages")
    return ScanResult(tuple(messages), tuple(notes), junk)


# ------------------------------------------------------------------------------------------
# Standard MIDI Files


def is_midi_file(data: bytes) -> bool:
    """Whether ``data`` starts like a Standard MIDI File."""
    return data[:4] == b"MThd"


def extract_smf_sysex(data: bytes) -> tuple[bytes, list[str]]:
    """The SysEx events of a Standard MIDI File, framed and concatenated, plus notes.

    Walks every ``MTrk`` chunk event by event (running status, meta and escape events); a damaged
    track is read up to the damage and reported. ``F0`` events split into continuation packets
    (``F7`` events) are joined. Never raises.
    """
    out: list[bytes] = []
    notes: list[str] = []
    pos = 14 if len(data) >= 14 else len(data)
    tracks = 0
    events = 0
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        body = data[pos + 8:pos + 8 + size]
        if len(body) < size:
            notes.append(f"chunk at offset {pos} claims {size} bytes but the file ends after "
                         f"{len(body)}; read what is there")
        pos += 8 + size
        if kind != b"MTrk":
            continue
        tracks += 1
        found, problem = _track_sysex(body)
        events += len(found)
        out.extend(found)
        if problem:
            notes.append(f"track {tracks}: {problem}; events before it were read")
    if tracks == 0:
        notes.append("MIDI file without any track")
    elif events == 0:
        notes.append(f"MIDI file with {tracks} track(s) and no SysEx events")
    return b"".join(out), notes


def _varlen(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        if i >= len(buf):
            raise IndexError("variable-length number runs past the end")
        byte = buf[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i
    raise ValueError("variable-length number longer than 4 bytes")


def _track_sysex(track: bytes) -> tuple[list[bytes], str]:
    found: list[bytes] = []
    pending: bytearray | None = None
    running = 0
    i = 0
    try:
        while i < len(track):
            _, i = _varlen(track, i)
            status = track[i]
            if status == 0xFF:
                length, i = _varlen(track, i + 2)
                i += length
            elif status in (0xF0, 0xF7):
                length, j = _varlen(track, i + 1)
                chunk = track[j:j + length]
                if len(chunk) < length:
                    raise IndexError("SysEx event runs past the end of the track")
                i = j + length
                if status == 0xF0:
                    if pending is not None:
                        found.append(bytes(pending))
                    pending = bytearray(b"\xf0" + chunk)
                elif pending is not None:
                    pending.extend(chunk)
                if pending is not None and pending.endswith(b"\xf7"):
                    found.append(bytes(pending))
                    pending = None
            else:
                if status & 0x80:
                    running = status
                    i += 1
                elif not running:
                    raise ValueError(f"data byte 0x{status:02X} without a status")
                i += 1 if running >> 4 in (0xC, 0xD) else 2
    except (IndexError, ValueError) as exc:
        if pending is not None:
            found.append(bytes(pending))
        return found, f"damaged at byte {i} ({exc})"
    if pending is not None:
        found.append(bytes(pending))
    return found, ""


# ------------------------------------------------------------------------------------------
# Files


@dataclass(frozen=True)
class FileScan:
    """What :func:`read_sysex_file` found: the scan plus file-level notes."""

    path: str
    size: int
    container: str
    scan: ScanResult
    notes: tuple[str, ...]


def scan_bytes(data: bytes, *, name: str = "<bytes>") -> FileScan:
    """Like :func:`read_sysex_file` on bytes already in memory."""
    notes: list[str] = []
    container = "raw"
    payload = data
    if is_midi_file(data):
        container = "midi"
        payload, midi_notes = extract_smf_sysex(data)
        notes.extend(midi_notes)
    elif data[:4] == b"MIDI":
        container = "state"  # Virus TI Control "processor state": records of raw MIDI bytes
    if not data:
        notes.append("empty file")
    scan = scan_messages(payload)
    if data and not scan.messages and container != "midi":
        notes.append("no SysEx message (no F0 byte) in the data")
    return FileScan(name, len(data), container, scan, tuple(notes) + scan.notes)


def read_sysex_file(path: str | Path, *, max_bytes: int = MAX_FILE_BYTES) -> FileScan:
    """Read ``path`` and find its SysEx messages.

    Raises :class:`SysExError` (naming the file) when it cannot be read, is a folder, or is
    larger than ``max_bytes``.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise SysExError(f"{p}: is a folder, not a SysEx file")
        if size > max_bytes:
            raise SysExError(
                f"{p}: {size / (1 << 20):.0f} MB is too large for a SysEx dump (limit "
                f"{max_bytes >> 20} MB; real banks are a few hundred kB) — nothing was read")
        data = p.read_bytes()
    except SysExError:
        raise
    except OSError as exc:
        raise SysExError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if data[:4] == b"RIFF" and data[8:12] == b"RMID" and b"MThd" in data[:4096]:
        data = data[data.index(b"MThd"):]  # a RIFF-wrapped Standard MIDI File
    kind = other_format(data)
    if kind is not None:
        raise SysExError(f"{p}: not a SysEx dump — it is {kind}")
    return scan_bytes(data, name=str(p))


def other_format(data: bytes) -> str | None:
    """What ``data`` is when its first bytes identify an audio file, an image, an archive, a
    document, a program or text (``"a WAV audio file"``…), or ``None``. A SysEx dump starts with
    ``F0`` or, for raw captures, with anything else — never with these signatures; a Standard
    MIDI File is read for its SysEx events, so it is not "other"."""
    from core.audio.sniff import HEAD_BYTES, audio_container, non_audio_kind

    head = data[:HEAD_BYTES]
    if head[:1] == b"\xf0" or head[:4] in (b"MThd", b"MIDI"):
        return None
    container = audio_container(head, frame_sync=False)
    if container is not None:
        return f"a {container.upper()} audio file"
    return non_audio_kind(head, text=False)  # text is left to the scanner, which says no F0
