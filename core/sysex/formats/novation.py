"""Novation Bass Station II program dumps: ``F0 00 20 29 00 33 00 01 pp <144> F7`` (154 bytes).

The edit buffer dump has ``00 00`` instead of ``01 pp``. No checksum; the name is 16 ASCII
characters at message bytes 137–152 (shared/reference/sysex-formats.md §4.2).
"""

from __future__ import annotations

from core.sysex.formats.base import (
    Claim,
    FormatDecoder,
    Target,
    check_program,
    wrong_length_note,
)
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.tables import get_table

HEADER = b"\xf0\x00\x20\x29\x00\x33\x00"
LENGTH = 154


class BassStation2Decoder(FormatDecoder):
    """Program and edit-buffer dumps; other Bass Station II messages listed."""

    family = "bass_station2"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._presets: list[Preset] = []

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if not m.startswith(HEADER):
            return None
        if len(m) < 9 or m[7] not in (0x00, 0x01):
            return Claim("Novation Bass Station II message", None)
        if len(m) != LENGTH or not message.complete:
            return Claim("Novation Bass Station II program (damaged)", None, "none",
                         wrong_length_note("Bass Station II dump", message, LENGTH))
        program = m[8] if m[7] == 0x01 else None
        self._presets.append(Preset(
            table=get_table("bass_station2_program"), data=bytes(m[9:153]),
            slot=f"{program:03d}" if program is not None else "edit buffer", program=program,
            source=self.source, messages=(index,)))
        return Claim("Novation Bass Station II program dump", None)

    def finish(self):
        if self._presets:
            self.state.banks.append(Bank("Bass Station II programs", "bass_station2",
                                         tuple(self._presets)))
        return self.state


def encode(preset: Preset, target: Target) -> list[bytes]:
    """A program dump to slot ``target.program`` (0–127) or to the edit buffer."""
    if target.is_edit_buffer:
        where = bytes([0x00, 0x00])
    else:
        check_program(target.program, 128, "Novation Bass Station II")
        where = bytes([0x01, target.program])
    return [HEADER + where + preset.data[:144] + b"\xf7"]
