"""Synth tables: where each parameter of a sound lives in its SysEx data, and how to show it.

A :class:`SynthTable` describes one *sound-data block* (the bytes of a single preset without the
message header and checksum): its length, where the name lives, and every parameter as a byte
offset, a bit mask, a shift and a width. Tables are YAML files in ``configs/synths/`` (see
:mod:`core.sysex.tables`); the same parameter fields as sysex-toolkit's definition files are
accepted (``byte_offset``, ``bit_mask``, ``bit_shift``, ``value_range``, ``category``,
``cc_number``), so such a file can describe a custom synth (:mod:`core.sysex.definitions`).

Value layout
------------
``width == 1``: ``value = (data[offset] & mask) >> shift`` (mask in place, as in sysex-toolkit).
``width > 1``: the value is spread over ``width`` bytes of ``digit_bits`` (7) bits each, most
significant first (Roland's two-byte "control/velocity" values: first byte = bit 7, second =
low 7 bits; sysex-toolkit's ``uint16`` uses 8-bit digits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import SysExError

SECTIONS = ("common", "oscillators", "mixer", "filter", "envelopes", "lfos", "modulation",
            "effects", "arpeggiator", "control", "other")
"""Sections of the parameter view, in display order."""

_NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class Display:
    """How a raw value is shown in the synth's own units.

    ``kind``: ``"plain"`` (the number), ``"signed"`` (``value - center``, shown with a sign),
    ``"offset"`` (``value + add``), ``"choices"`` (``choices[value]``), ``"note"`` (MIDI note
    name of ``value + add``). ``unit`` is appended (``" st"``, ``" cent"``).
    """

    kind: str = "plain"
    center: int = 64
    add: int = 0
    choices: tuple[str, ...] = ()
    unit: str = ""

    def format(self, value: int) -> str:
        """The value as the synth's panel shows it."""
        if self.kind == "choices" and 0 <= value < len(self.choices):
            return self.choices[value]
        if self.kind == "signed":
            shown = value - self.center
            return f"{shown:+d}{self.unit}" if shown else f"0{self.unit}"
        if self.kind == "offset":
            return f"{value + self.add}{self.unit}"
        if self.kind == "note":
            note = value + self.add
            return f"{_NOTE_NAMES[note % 12]}{note // 12 - 1}"
        return f"{value}{self.unit}"


def _shown_number(display: Display, text: str) -> int | None:
    """The raw value of a number typed in the synth's units (``"+5"``, ``"-12 st"``)."""
    if display.unit and text.endswith(display.unit.strip()):
        text = text[:len(text) - len(display.unit.strip())].strip()
    try:
        shown = int(text)
    except ValueError:
        return None
    if display.kind == "signed":
        return shown + display.center
    if display.kind in ("offset", "note"):
        return shown - display.add
    return shown


@dataclass(frozen=True)
class Parameter:
    """One parameter of a sound-data block (offsets relative to the block)."""

    name: str
    offset: int
    mask: int = 0x7F
    shift: int = 0
    width: int = 1
    digit_bits: int = 7
    minimum: int = 0
    maximum: int = 127
    section: str = "other"
    label: str = ""
    display: Display = field(default_factory=Display)
    cc: int | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""

    @property
    def title(self) -> str:
        """The human label (``label`` or the name with spaces)."""
        return self.label or self.name.replace("_", " ")

    @property
    def bit_capacity(self) -> int:
        """The largest value the field can physically hold."""
        if self.width > 1:
            return (1 << (self.digit_bits * self.width)) - 1
        return self.mask >> self.shift

    def read(self, data: bytes | bytearray) -> int:
        """The raw value in ``data`` (0 where ``data`` is too short)."""
        end = self.offset + self.width
        if end > len(data):
            return 0
        if self.width == 1:
            return (data[self.offset] & self.mask) >> self.shift
        value = 0
        digit = (1 << self.digit_bits) - 1
        for byte in data[self.offset:end]:
            value = (value << self.digit_bits) | (byte & digit)
        return value

    def write(self, data: bytearray, value: int) -> None:
        """Store ``value`` in ``data`` in place, leaving the other bits untouched.

        Raises :class:`SysExError` when the value does not fit the field.
        """
        value = int(value)
        if not 0 <= value <= self.bit_capacity:
            raise SysExError(f"parameter {self.name}: value {value} does not fit "
                             f"(0–{self.bit_capacity})")
        if self.width == 1:
            data[self.offset] = (data[self.offset] & ~self.mask & 0xFF) | (
                (value << self.shift) & self.mask)
            return
        digits = [(value >> (self.digit_bits * i)) & ((1 << self.digit_bits) - 1)
                  for i in range(self.width)]
        if any(d > 0x7F for d in digits):
            raise SysExError(f"parameter {self.name}: value {value} needs a byte above 0x7F, "
                             "which a SysEx message cannot carry")
        for i, d in enumerate(digits):
            data[self.offset + self.width - 1 - i] = d

    def format(self, value: int) -> str:
        """``value`` in the synth's units."""
        return self.display.format(value)

    def parse(self, text: str) -> int:
        """The raw value of ``text`` as :meth:`format` shows it (a value name, a note, a
        number in the synth's units); :class:`SysExError` when it names no value in range."""
        wanted = text.strip()
        span = range(self.minimum, self.maximum + 1)
        for value in span:
            if self.format(value) == wanted:
                return value
        lowered = wanted.lower()
        for value in span:  # value names typed in another case
            if self.format(value).lower() == lowered:
                return value
        value = _shown_number(self.display, wanted)
        if value is None or value not in span:
            raise SysExError(f"{self.title}: {text!r} is not a value between "
                             f"{self.format(self.minimum)} and {self.format(self.maximum)}")
        return value

    def matches(self, key: str) -> bool:
        """Whether a search key (``cutoff``) names this parameter."""
        key = key.lower()
        return key == self.name or key in self.aliases


@dataclass(frozen=True)
class NameField:
    """Where a preset name lives in the block (7-bit ASCII, padded with spaces)."""

    offset: int
    length: int


@dataclass(frozen=True)
class SynthTable:
    """A sound-data block layout: the parameters of one kind of preset.

    ``id`` names the table (``virus_c_single``); ``synth`` is shown to people
    (``Access Virus A/B/Classic/C``). ``category_params`` name the parameters whose values are
    categories (the Virus' two), ``category_names`` their value names; ``fingerprint_ignore``
    lists byte ranges ``(start, end)`` that do not change the sound (name, categories).
    ``whole_message`` tables (custom definitions) describe the whole message, ``F0`` to ``F7``,
    with a checksum (sysex-toolkit's formula) at ``checksum_offset``.
    """

    id: str
    synth: str
    manufacturer: str
    kind: str
    length: int
    parameters: tuple[Parameter, ...]
    name: NameField | None = None
    category_params: tuple[str, ...] = ()
    category_names: tuple[str, ...] = ()
    fingerprint_ignore: tuple[tuple[int, int], ...] = ()
    source: str = ""
    notes: str = ""
    whole_message: bool = False
    checksum_offset: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.parameters})
        # only fields that can hold a value outside their range need checking
        object.__setattr__(self, "_range_checks", tuple(
            p for p in self.parameters if p.minimum > 0 or p.maximum < p.bit_capacity))

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; raises :class:`SysExError` when there is none."""
        try:
            return self._by_name[name]  # type: ignore[attr-defined]
        except KeyError:
            raise SysExError(f"{self.synth} has no parameter {name!r}") from None

    def has(self, name: str) -> bool:
        """Whether the table defines ``name``."""
        return name in self._by_name  # type: ignore[attr-defined]

    def find(self, key: str) -> list[Parameter]:
        """Parameters a search key names (by name or alias)."""
        return [p for p in self.parameters if p.matches(key)]

    def read(self, data: bytes | bytearray) -> dict[str, int]:
        """Every parameter's raw value, in table order."""
        return {p.name: p.read(data) for p in self.parameters}

    def write(self, data: bytes | bytearray, values: Mapping[str, int]) -> bytes:
        """A copy of ``data`` with ``values`` stored; raises :class:`SysExError` on an unknown
        name or a value that does not fit."""
        out = bytearray(data)
        if len(out) < self.length:
            out.extend(bytes(self.length - len(out)))
        for name, value in values.items():
            self.parameter(name).write(out, value)
        return bytes(out)

    def read_name(self, data: bytes | bytearray) -> str:
        """The preset name (trailing spaces removed; bytes outside ASCII shown as ``?``)."""
        if self.name is None:
            return ""
        raw = data[self.name.offset:self.name.offset + self.name.length]
        return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw).rstrip()

    def write_name(self, data: bytes | bytearray, name: str) -> bytes:
        """A copy of ``data`` with the name replaced (ASCII, space padded, cut to length)."""
        out = bytearray(data)
        if self.name is not None:
            text = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in name)
            field_bytes = text[:self.name.length].ljust(self.name.length).encode("ascii")
            out[self.name.offset:self.name.offset + self.name.length] = field_bytes
        return bytes(out)

    def categories(self, data: bytes | bytearray) -> tuple[str, ...]:
        """Names of the categories set in ``data`` (empty/“off” values left out)."""
        found: list[str] = []
        for name in self.category_params:
            value = self.parameter(name).read(data)
            if 0 < value < len(self.category_names):
                label = self.category_names[value]
                if label not in found:
                    found.append(label)
        return tuple(found)

    def out_of_range(self, data: bytes | bytearray) -> list[str]:
        """One line per parameter whose value lies outside its documented range."""
        problems = []
        for p in self._range_checks:  # type: ignore[attr-defined]
            value = p.read(data)
            if not p.minimum <= value <= p.maximum:
                problems.append(f"{p.name} = {value} outside {p.minimum}–{p.maximum}")
        return problems

    def sections(self) -> dict[str, list[Parameter]]:
        """Parameters grouped by section, sections in display order."""
        groups: dict[str, list[Parameter]] = {}
        order = {s: i for i, s in enumerate(SECTIONS)}
        for p in sorted(self.parameters, key=lambda p: order.get(p.section, len(SECTIONS))):
            groups.setdefault(p.section, []).append(p)
        return groups


def check_table(table: SynthTable) -> None:
    """Raise :class:`SysExError` when a table is inconsistent: a field past the end of the
    block, two parameters sharing a bit, a mask wider than 7 bits in SysEx data, a range the
    field cannot hold."""
    used: dict[tuple[int, int], str] = {}
    for p in table.parameters:
        if p.offset < 0 or p.offset + p.width > table.length:
            raise SysExError(f"{table.id}: {p.name} at {p.offset} lies outside the "
                             f"{table.length}-byte block")
        if p.maximum > p.bit_capacity or p.minimum > p.maximum:
            raise SysExError(f"{table.id}: {p.name} range {p.minimum}–{p.maximum} does not fit "
                             "its field")
        bits = _bits(p)
        for spot in bits:
            if spot in used:
                raise SysExError(f"{table.id}: {p.name} overlaps {used[spot]} at byte {spot[0]}")
            used[spot] = p.name


def _bits(p: Parameter) -> list[tuple[int, int]]:
    if p.width > 1:
        return [(p.offset + i, b) for i in range(p.width) for b in range(p.digit_bits)]
    return [(p.offset, b) for b in range(8) if p.mask >> b & 1]
