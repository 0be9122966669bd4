"""What decoding a dump produces: presets, banks, a listing of every message, and notes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from core.sysex.spec import SynthTable


@dataclass(frozen=True, eq=False)
class Preset:
    """One sound: its table, its sound-data block and where it came from.

    ``data`` is the block the table describes (no header, no checksum). ``slot`` is a person's
    label (``"A012"``, ``"I-05"``, ``"edit buffer"``); ``bank``/``program`` are the numbers the
    dump carried (``None`` for an edit buffer). ``warnings`` are problems of this preset (bad
    checksum, incomplete data, value out of range): they never stop decoding.
    """

    table: SynthTable
    data: bytes
    slot: str = ""
    bank: int | None = None
    program: int | None = None
    device_id: int | None = None
    source: str = ""
    messages: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def table_id(self) -> str:
        """The id of the table describing :attr:`data`."""
        return self.table.id

    @property
    def display_name(self) -> str:
        """The name, or synth and slot for formats without names (Korg DW-8000)."""
        return self.name or f"{self.synth} {self.slot}".strip()

    @property
    def name(self) -> str:
        """The preset name (``""`` when the format has none)."""
        return self.table.read_name(self.data)

    @property
    def synth(self) -> str:
        """The synth's name for people."""
        return self.table.synth

    @property
    def categories(self) -> tuple[str, ...]:
        """Category names stored in the preset (the Virus' two)."""
        return self.table.categories(self.data)

    def values(self) -> dict[str, int]:
        """Every parameter's raw value."""
        return self.table.read(self.data)

    def with_values(self, values: dict[str, int]) -> Preset:
        """A copy with some parameters changed (raises ``SysExError`` on a bad name/value)."""
        return replace(self, data=self.table.write(self.data, values))

    def with_name(self, name: str) -> Preset:
        """A copy renamed."""
        return replace(self, data=self.table.write_name(self.data, name))

    @property
    def fingerprint(self) -> str:
        """A hash of the sound: the data with name, slot and categories left out."""
        return fingerprint(self.table, self.data)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (values raw and in the synth's units)."""
        table = self.table
        params = []
        for p in table.parameters:
            value = p.read(self.data)
            params.append({"name": p.name, "section": p.section, "value": value,
                           "display": p.format(value)})
        return {"name": self.name, "synth": self.synth, "table": self.table_id,
                "slot": self.slot, "bank": self.bank, "program": self.program,
                "categories": list(self.categories), "warnings": list(self.warnings),
                "fingerprint": self.fingerprint, "source": self.source,
                "data_hex": self.data.hex(" "), "parameters": params}


def fingerprint(table: SynthTable, data: bytes) -> str:
    """Hash of the sound data with the table's ignored ranges (name, categories) blanked.

    Family-wide: a DX7 voice from a VMEM bank and the same voice as VCED give one fingerprint
    because the decoder stores both unpacked (``dx7_vced``).
    """
    block = bytearray(data)
    for start, end in table.fingerprint_ignore:
        block[start:end] = bytes(max(0, min(end, len(block)) - start))
    family = table.id.split("_")[0]
    return hashlib.sha1(family.encode() + b"\0" + bytes(block)).hexdigest()[:20]


@dataclass(frozen=True)
class Bank:
    """Presets that belong together in a dump (a bank, an arrangement, single messages)."""

    title: str
    kind: str
    presets: tuple[Preset, ...]


@dataclass(frozen=True)
class MessageInfo:
    """One message of a dump, as listed to people."""

    index: int
    offset: int
    length: int
    manufacturer: str
    manufacturer_id: str
    device_id: int | None
    kind: str
    status: str
    checksum: str
    used: bool = False


@dataclass(frozen=True)
class DumpResult:
    """Everything decoded from one file or byte string.

    ``notes`` says what was recovered, skipped and why (one line each); ``messages`` lists every
    message found (decoded or not).
    """

    source: str
    size: int
    container: str
    banks: tuple[Bank, ...]
    messages: tuple[MessageInfo, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def presets(self) -> list[Preset]:
        """Every preset of every bank, in order."""
        return [p for bank in self.banks for p in bank.presets]

    def summary(self) -> str:
        """One line: presets, banks, messages and what was skipped."""
        unknown = sum(1 for m in self.messages if not m.used)
        warned = sum(1 for p in self.presets if p.warnings)
        parts = [f"{_count(len(self.presets), 'preset')} in {_count(len(self.banks), 'bank')}",
                 f"{_count(len(self.messages), 'message')} ({unknown} not decoded)"]
        if warned:
            parts.append(f"{_count(warned, 'preset')} with warnings")
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    """``"1 preset"``, ``"2 presets"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
