"""Custom synths from definition files in sysex-toolkit's JSON/YAML format.

sysex-toolkit (PyPI 1.0.0) describes a synth as::

    {"name": "My Synth", "version": "1.0",
     "header": {"manufacturer_id": [0, 32, 51], "device_id": 1, "model_id": 0},
     "preset_name_offset": 200, "preset_name_length": 16, "checksum_offset": 265,
     "parameters": {"filter_cutoff": {"byte_offset": 40, "bit_mask": 255, "bit_shift": 0,
                    "value_range": [0, 127], "category": "filter", "cc_number": 74,
                    "data_type": "uint8", "description": "..."}}}

Offsets count from the message's ``F0``. A message is this synth's when its manufacturer ID
matches (as in sysex-toolkit); ``message_length`` (our addition) also requires a length.
The checksum, when ``checksum_offset`` is given, is sysex-toolkit's: ``(128 - sum mod 128) mod
128`` over every byte after ``F0`` except the checksum and ``F7``. ``uint16`` values are read
big-endian over two 8-bit bytes, as sysex-toolkit does. Breakroom does not import
sysex-toolkit (its release does not import); it reads the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import SysExError
from core.sysex.formats.base import Claim, FormatDecoder, bad_checksum_warning, checksum_note
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.spec import Display, NameField, Parameter, SynthTable, check_table
from core.sysex.tables import read_mapping

_SECTION_WORDS = {"osc": "oscillators", "oscillator": "oscillators", "lfo": "lfos",
                  "env": "envelopes", "envelope": "envelopes", "amp": "envelopes",
                  "effect": "effects", "fx": "effects", "filter": "filter",
                  "mod": "modulation", "arp": "arpeggiator"}


@dataclass(frozen=True)
class Definition:
    """A custom synth: its whole-message table and how messages are recognised."""

    table: SynthTable
    manufacturer_id: bytes
    message_length: int | None = None

    def matches(self, message: bytes) -> bool:
        """Whether ``message`` (framed) is this synth's."""
        if message[1:1 + len(self.manufacturer_id)] != self.manufacturer_id:
            return False
        return self.message_length is None or len(message) == self.message_length


def toolkit_checksum(message: bytes, offset: int) -> int:
    """sysex-toolkit's checksum of a framed message with the checksum at ``offset``."""
    total = sum(message[1:offset]) + sum(message[offset + 1:-1])
    return (128 - total % 128) % 128


def definition_from_mapping(data: dict[str, Any], *, origin: str = "") -> Definition:
    """Build a :class:`Definition`; :class:`SysExError` says what is wrong."""
    where = origin or str(data.get("name", "definition"))
    try:
        header = data["header"]
        ident = bytes(int(b) for b in header["manufacturer_id"])
        params = []
        for name, spec in (data.get("parameters") or {}).items():
            kind = str(spec.get("data_type", "uint8"))
            if kind not in ("uint8", "uint16"):
                raise SysExError(f"{where}: parameter {name}: data_type {kind} is not supported "
                                 "(uint8, uint16)")
            low, high = spec.get("value_range", (0, 127))
            section = str(spec.get("category", "other")).lower()
            params.append(Parameter(
                name=str(name), offset=int(spec["byte_offset"]),
                mask=int(spec.get("bit_mask", 0xFF)) if kind == "uint8" else 0x7F,
                shift=int(spec.get("bit_shift", 0)) if kind == "uint8" else 0,
                width=2 if kind == "uint16" else 1,
                digit_bits=8, minimum=int(low), maximum=int(high),
                section=_SECTION_WORDS.get(section, section), cc=spec.get("cc_number"),
                display=Display(), description=str(spec.get("description", ""))))
        length = int(data.get("message_length") or 0) or max(
            [p.offset + p.width for p in params] + [int(data.get("total_length") or 0)]
            + ([int(data["preset_name_offset"]) + int(data.get("preset_name_length") or 16)]
               if data.get("preset_name_offset") else []) + [2])
        name_offset = data.get("preset_name_offset")
        table = SynthTable(
            id=f"custom:{data['name']}", synth=str(data["name"]),
            manufacturer=str(header.get("manufacturer", "")), kind="custom", length=length,
            parameters=tuple(params),
            name=NameField(int(name_offset), int(data.get("preset_name_length") or 16))
            if name_offset else None,
            source=origin, whole_message=True,
            checksum_offset=None if data.get("checksum_offset") is None
            else int(data["checksum_offset"]))
    except SysExError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise SysExError(f"{where}: malformed synth definition ({type(exc).__name__}: "
                         f"{exc})") from None
    check_table(table)
    length_rule = data.get("message_length")
    return Definition(table, ident, None if length_rule is None else int(length_rule))


def load_definition(path: str | Path) -> Definition:
    """Read a sysex-toolkit style JSON/YAML definition file."""
    p = Path(path)
    return definition_from_mapping(read_mapping(p), origin=str(p))


class DefinitionDecoder(FormatDecoder):
    """Messages of one custom definition become presets (data = the whole message)."""

    def __init__(self, source: str, definition: Definition) -> None:
        super().__init__(source)
        self.definition = definition
        self.family = definition.table.id
        self._presets: list[Preset] = []

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        if not message.complete or not self.definition.matches(message.data):
            return None
        table = self.definition.table
        m = message.data
        if len(m) < table.length:
            return Claim(f"{table.synth} (too short)", None, "not checked",
                         f"{table.synth} message at offset {message.offset} has {len(m)} bytes, "
                         f"the definition needs {table.length}: skipped")
        checksum = "none"
        if table.checksum_offset is not None and table.checksum_offset < len(m) - 1:
            checksum = checksum_note(m[table.checksum_offset],
                                     toolkit_checksum(m, table.checksum_offset))
        self._presets.append(Preset(table=table, data=bytes(m), slot=f"#{len(self._presets)}",
                                    source=self.source, messages=(index,),
                                    warnings=bad_checksum_warning(checksum)))
        return Claim(f"{table.synth} (definition file)", None, checksum)

    def finish(self):
        if self._presets:
            self.state.banks.append(Bank(self.definition.table.synth, "custom",
                                         tuple(self._presets)))
        return self.state


def encode_whole_message(preset: Preset) -> list[bytes]:
    """The preset's message with its checksum recomputed."""
    data = bytearray(preset.data)
    offset = preset.table.checksum_offset
    if offset is not None and 0 < offset < len(data) - 1:
        data[offset] = toolkit_checksum(bytes(data), offset)
    if not data or data[0] != 0xF0 or data[-1] != 0xF7:
        raise SysExError(f"{preset.table.synth}: preset data is not a framed message")
    return [bytes(data)]
