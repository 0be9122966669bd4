"""Korg DW-8000 program dumps: ``F0 42 3n 03 40 <51 bytes> F7`` (57 bytes), no name, no checksum.

A bank file is 64 pairs of (data dump, write request ``F0 42 3n 03 11 pp F7``): the write
request after a dump gives its program slot. Other Korg messages (M1 bulks, …) are listed.
"""

from __future__ import annotations

from dataclasses import replace

from core.sysex.formats.base import (
    Claim,
    FormatDecoder,
    Target,
    check_program,
    range_warnings,
    wrong_length_note,
)
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.tables import get_table

DW8000 = 0x03
DUMP, WRITE, SAVE_REQUEST = 0x40, 0x11, 0x10
LENGTH = 57


def slot_label(program: int) -> str:
    """``11``..``88`` for program 0..63."""
    return f"{program // 8 + 1}{program % 8 + 1}"


class DW8000Decoder(FormatDecoder):
    """Data dumps, each placed in the slot named by the write request that follows it."""

    family = "dw8000"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._presets: list[Preset] = []
        self._waiting: int | None = None  # index in _presets of a dump without its slot yet

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if len(m) < 4 or m[1] != 0x42:
            return None
        channel = m[2] & 0x0F
        if m[2] & 0xF0 == 0x40:
            return Claim("Korg device ID request", channel)
        if len(m) < 5 or m[2] & 0xF0 != 0x30 or m[3] != DW8000:
            return Claim("Korg message" + (" (M1 bulk)" if len(m) > 4 and m[3] == 0x19
                                           else ""), channel)
        cmd = m[4]
        if cmd == DUMP:
            return self._dump(index, message, channel)
        if cmd == WRITE and len(m) >= 7 and self._waiting is not None:
            program = m[5] & 0x3F
            preset = self._presets[self._waiting]
            self._presets[self._waiting] = replace(
                preset, slot=slot_label(program), program=program,
                messages=(*preset.messages, index))
            self._waiting = None
            return Claim("Korg DW-8000 write request", channel)
        names = {WRITE: "write request", SAVE_REQUEST: "data save request"}
        return Claim(f"Korg DW-8000 {names.get(cmd, f'message 0x{cmd:02X}')}", channel)

    def _dump(self, index: int, message: RawMessage, channel: int) -> Claim:
        m = message.data
        if len(m) != LENGTH or not message.complete:
            return Claim("Korg DW-8000 data dump (damaged)", channel, "none",
                         wrong_length_note("DW-8000 dump", message, LENGTH))
        preset = Preset(table=get_table("dw8000_program"), data=bytes(m[5:56]),
                        slot="edit buffer", device_id=channel, source=self.source,
                        messages=(index,))
        self._presets.append(replace(preset, warnings=range_warnings(preset)))
        self._waiting = len(self._presets) - 1
        return Claim("Korg DW-8000 data dump", channel)

    def finish(self):
        if self._presets:
            self.state.banks.append(Bank("DW-8000 programs", "dw8000", tuple(self._presets)))
        return self.state


def encode(preset: Preset, target: Target) -> list[bytes]:
    """A data dump (edit buffer), followed by a write request when a slot (0–63) is chosen."""
    channel = target.device_id if target.device_id is not None else (preset.device_id or 0)
    out = [bytes([0xF0, 0x42, 0x30 | (channel & 0x0F), DW8000, DUMP]) + preset.data[:51]
           + b"\xf7"]
    if not target.is_edit_buffer:
        check_program(target.program, 64, "Korg DW-8000")
        out.append(bytes([0xF0, 0x42, 0x30 | (channel & 0x0F), DW8000, WRITE,
                          target.program, 0xF7]))
    return out
