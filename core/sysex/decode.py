"""Decode a dump (file or bytes) into banks of presets, a message listing and notes.

Every message goes to the family decoders in turn (custom definitions first); the first that
recognises it claims it. Unclaimed messages are listed with the manufacturer's name, length,
device ID (the byte after the manufacturer ID, a guess) and whether a known checksum fits.
Nothing here raises except :class:`core.errors.SysExError` (an unreadable or oversized file)
and :class:`core.errors.Cancelled`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.errors import SysExError
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.sysex.checksums import guess_scheme
from core.sysex.definitions import Definition, DefinitionDecoder
from core.sysex.formats.base import Claim, FormatDecoder
from core.sysex.formats.korg import DW8000Decoder
from core.sysex.formats.novation import BassStation2Decoder
from core.sysex.formats.roland import JPDecoder, JunoDecoder
from core.sysex.formats.virus import VirusDecoder
from core.sysex.formats.yamaha import DX7Decoder
from core.sysex.framing import FileScan, RawMessage, read_sysex_file, scan_bytes
from core.sysex.manufacturers import manufacturer_id, manufacturer_name
from core.sysex.model import Bank, DumpResult, MessageInfo

_log = logging.getLogger(__name__)

DECODERS: tuple[type[FormatDecoder], ...] = (VirusDecoder, JPDecoder, JunoDecoder, DX7Decoder,
                                             DW8000Decoder, BassStation2Decoder)
"""The built-in families, asked in this order."""

SUFFIXES = (".syx", ".mid", ".midi", ".bin", ".sysex", ".dmp")
"""File suffixes looked at when importing folders."""


def decode_file(path: str | Path, *, definitions: Sequence[Definition] = (),
                progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> DumpResult:
    """Decode a ``.syx`` / raw dump / ``.mid`` file.

    Raises :class:`SysExError` when the file cannot be read or is too large; everything wrong
    *inside* the file is reported in the result's ``notes`` and presets' ``warnings``.
    """
    report(progress, 0.0, "read")
    scan = read_sysex_file(path)
    return _decode_scan(scan, definitions, progress, cancel)


def decode_bytes(data: bytes, *, source: str = "<bytes>",
                 definitions: Sequence[Definition] = (),
                 progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> DumpResult:
    """Decode a dump already in memory (same rules as :func:`decode_file`)."""
    return _decode_scan(scan_bytes(bytes(data), name=source), definitions, progress, cancel)


def _decode_scan(scan: FileScan, definitions: Sequence[Definition],
                 progress: ProgressCallback | None, cancel: CancelToken | None) -> DumpResult:
    decoders: list[FormatDecoder] = [DefinitionDecoder(scan.path, d) for d in definitions]
    decoders += [cls(scan.path) for cls in DECODERS]
    notes = list(scan.notes)
    infos: list[MessageInfo] = []
    messages = scan.scan.messages
    total = max(1, len(messages))
    for index, message in enumerate(messages):
        if index % 256 == 0:
            check_cancel(cancel)
            report(progress, index / total, "decode")
        claim = _claim(decoders, index, message)
        infos.append(_info(index, message, claim))
        if claim is not None and claim.note:
            notes.append(claim.note)
    banks: list[Bank] = []
    for decoder in decoders:
        state = decoder.finish()
        banks.extend(state.banks)
        notes.extend(state.notes)
    unknown = sum(1 for i in infos if not i.used)
    if unknown:
        notes.append(f"{unknown} message(s) not decoded as presets (listed with their "
                     "manufacturer)")
    report(progress, 1.0, "decode")
    return DumpResult(source=scan.path, size=scan.size, container=scan.container,
                      banks=tuple(banks), messages=tuple(infos), notes=tuple(notes))


def _claim(decoders: Iterable[FormatDecoder], index: int, message: RawMessage) -> Claim | None:
    for decoder in decoders:
        try:
            claim = decoder.feed(index, message)
        except SysExError as exc:  # a decoder refusing a malformed message
            return Claim("damaged message", None, "not checked",
                         f"message at offset {message.offset}: {exc}: skipped")
        if claim is not None:
            return claim
    return None


def _info(index: int, message: RawMessage, claim: Claim | None) -> MessageInfo:
    m = message.data
    ident = manufacturer_id(m)
    if claim is None:
        device = m[1 + len(ident)] if len(m) > 1 + len(ident) + 1 and ident else None
        return MessageInfo(index, message.offset, len(m), manufacturer_name(ident),
                           ident.hex(" ").upper(), device, "unknown", message.status,
                           guess_scheme(m) if message.complete else "not checked", False)
    used = claim.note == "" or "recovered" in claim.note
    return MessageInfo(index, message.offset, len(m), manufacturer_name(ident),
                       ident.hex(" ").upper(), claim.device_id, claim.kind, message.status,
                       claim.checksum, used and "damaged" not in claim.kind)
