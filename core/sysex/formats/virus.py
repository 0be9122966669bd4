"""Access Virus A/B/Classic/C and TI: single dumps (267 / 524 bytes), multi dumps, banks.

Frame: ``F0 00 20 33 01 dd cmd bb pp <data> cs F7``; ``cmd`` 10 = single, 11 = multi, 30–37 =
requests, 70–73 = parameter changes. ``bb`` 00 = edit buffer (``pp`` = part 00–0F or 40),
01–08 = bank A–H. Checksum = ``sum & 0x7F`` over ``dd`` … last data byte; a TI single has a
second one over everything from ``dd`` to before it (shared/reference/sysex-formats.md §1).
A bank is 128 single dumps with the same bank byte.
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import SysExError
from core.sysex.checksums import sum7
from core.sysex.formats.base import (
    Claim,
    FormatDecoder,
    Target,
    bad_checksum_warning,
    check_program,
    checksum_note,
    range_warnings,
    wrong_length_note,
)
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.tables import get_table

HEADER = b"\xf0\x00\x20\x33\x01"
SINGLE, MULTI = 0x10, 0x11
C_LENGTH, TI_LENGTH = 267, 524
OMNI_DEVICE = 0x10
_REQUESTS = {0x30: "single request", 0x31: "multi request", 0x32: "single bank request",
             0x33: "multi bank request", 0x34: "arrangement request", 0x35: "global request",
             0x36: "total request", 0x37: "controller dump request"}
_PARAM_PAGES = {0x70: "page A", 0x71: "page B", 0x72: "page C", 0x73: "page D"}


def slot_label(bank: int, program: int, *, multi: bool = False) -> str:
    """``A012`` for bank 1 program 12; parts/buffer names for bank 0."""
    if bank == 0 and multi:
        return "multi buffer"
    if bank == 0:
        if program == 0x40:
            return "single buffer"
        if program < 16:
            return f"part {program + 1}"
        return "edit buffer"
    letter = chr(ord("A") + bank - 1) if 1 <= bank <= 26 else f"bank{bank}"
    return f"{letter}{program:03d}"


class VirusDecoder(FormatDecoder):
    """Collects singles and multis; banks are formed from consecutive bank numbers."""

    family = "virus"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._groups: dict[str, list[Preset]] = {}

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if not m.startswith(HEADER) or len(m) < 7:
            return None
        device, cmd = m[5], m[6]
        if cmd in (SINGLE, MULTI):
            return self._dump(index, message, device, cmd)
        if cmd in _REQUESTS:
            return Claim(f"Access Virus {_REQUESTS[cmd]}", device)
        if cmd in _PARAM_PAGES:
            return Claim(f"Access Virus parameter change ({_PARAM_PAGES[cmd]})", device)
        return Claim(f"Access Virus message 0x{cmd:02X}", device)

    def _dump(self, index: int, message: RawMessage, device: int, cmd: int) -> Claim:
        m = message.data
        what = "single" if cmd == SINGLE else "multi"
        length = len(m)
        recovered = ""
        if not message.complete and length + 1 in (C_LENGTH, TI_LENGTH):
            m = m + b"\xf7"  # everything but the closing F7 arrived
            length = len(m)
            recovered = "closing F7 missing; recovered"
        allowed = (C_LENGTH, TI_LENGTH) if cmd == SINGLE else (C_LENGTH,)
        if length not in allowed or (not message.complete and not recovered):
            expect = " or ".join(str(a) for a in allowed)
            return Claim(f"Access Virus {what} dump (damaged)", device, "not checked",
                         wrong_length_note(f"Virus {what} dump", message, expect))
        bank, program = m[7], m[8]
        cs1 = checksum_note(m[265], sum7(m[5:265]))
        checksum = cs1
        data = m[9:265]
        if length == TI_LENGTH:
            cs2 = checksum_note(m[522], sum7(m[5:522]))
            checksum = cs1 if cs1 != "ok" else cs2
            data = m[9:265] + m[266:522]
            table = get_table("virus_ti_single")
            kind = "Access Virus TI single dump"
        else:
            table = get_table("virus_c_single" if cmd == SINGLE else "virus_multi")
            kind = f"Access Virus {what} dump"
        warnings = bad_checksum_warning(checksum) + ((recovered,) if recovered else ())
        slot = slot_label(bank, program, multi=cmd == MULTI)
        preset = Preset(table=table, data=bytes(data), slot=slot,
                        bank=bank or None, program=program, device_id=device,
                        source=self.source, messages=(index,), warnings=warnings)
        if cmd == SINGLE:
            preset = replace(preset, warnings=preset.warnings + range_warnings(preset))
        group = (f"Virus bank {slot_label(bank, 0)[0]}" if bank
                 else "Virus edit buffer / arrangement")
        self._groups.setdefault(group, []).append(preset)
        note = f"Virus {what} at offset {message.offset}: {recovered}" if recovered else ""
        return Claim(kind, device, checksum, note)

    def finish(self):
        for title, presets in self._groups.items():
            self.state.banks.append(Bank(title, "virus", tuple(presets)))
        return self.state


def encode(preset: Preset, target: Target) -> list[bytes]:
    """One single/multi dump of ``preset`` to the edit buffer or ``bank``/``program``.

    Edit buffer = bank 00, program 40 (single buffer) or 00 (multi). Bank numbers 1–8 = A–H.
    """
    table = preset.table
    device = target.device_id if target.device_id is not None else (
        preset.device_id if preset.device_id is not None else OMNI_DEVICE)
    cmd = MULTI if table.id == "virus_multi" else SINGLE
    if target.is_edit_buffer:
        bank, program = 0, 0x40 if cmd == SINGLE else 0
    else:
        bank = target.bank if target.bank is not None else (preset.bank or 1)
        if not 1 <= bank <= 8:
            raise SysExError(f"Access Virus: bank {bank} outside 1–8 (A–H)")
        check_program(target.program, 128, "Access Virus")
        program = target.program
    data = preset.data
    head = bytes([0xF0, 0x00, 0x20, 0x33, 0x01, device & 0x7F, cmd, bank, program])
    first = head + data[:256]
    first += bytes([sum7(first[5:])])
    if table.id == "virus_ti_single":
        whole = first + data[256:512]
        return [whole + bytes([sum7(whole[5:]), 0xF7])]
    return [first + b"\xf7"]


TABLES = ("virus_c_single", "virus_ti_single", "virus_multi")
BANK_SIZE = 128
