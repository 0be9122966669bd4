"""Roland JP-8000/JP-8080 (DT1 messages reassembled by address) and Juno-106 patch dumps.

JP-8080 frame: ``F0 41 dev 00 06 12 aa bb cc dd <data> cs F7`` with checksum
``(-sum(address + data)) & 0x7F``; addresses are four 7-bit digits. A bulk dump sends each
248-byte patch as two packets (242 bytes at ``… pp 00`` and 6 at ``… pp+1 72``), so patches and
performances are rebuilt from all packets by address, never one message = one patch.
Map (shared/reference/sysex-formats.md §2): ``01 00 xx xx`` temporary performance,
``02 0b pp 00`` user patch ``b*64 + pp/2``, ``03 nn xx xx`` user performance ``nn``; inside a
performance: common ``00 00`` (37), voice modulator ``08 00`` (41), parts ``10 00``/``11 00``
(8 each), patches ``40 00`` (upper) and ``42 00`` (lower).

Juno-106: ``F0 41 30 0n pp <16 sliders> sw1 sw2 F7``, no checksum. Counting that frame gives
24 bytes (the cited description says 23); a message of that frame is what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from core.errors import SysExError
from core.sysex.checksums import twos7
from core.sysex.formats.base import (
    Claim,
    FormatDecoder,
    Target,
    check_program,
    checksum_note,
    range_warnings,
    wrong_length_note,
)
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.tables import get_table

MODEL = b"\x00\x06"
DT1, RQ1 = 0x12, 0x11
PATCH_LEN, FIRST_PACKET = 248, 242
# performance sub-areas: address byte cc -> (compact offset, length)
_PERF_AREAS = {0x00: (0, 37), 0x08: (37, 41), 0x10: (78, 8), 0x11: (86, 8),
               0x40: (94, PATCH_LEN), 0x42: (342, PATCH_LEN)}
PERF_LEN = 590
_AREA_NAMES = {0x00: "common", 0x08: "voice modulator", 0x10: "part upper",
               0x11: "part lower", 0x40: "patch upper", 0x42: "patch lower"}


def patch_slot(n: int) -> str:
    """``A11``..``B88`` for user patch 0..127."""
    return f"{'AB'[n // 64]}{(n % 64) // 8 + 1}{n % 8 + 1}"


def performance_slot(n: int) -> str:
    """``11``..``88`` for user performance 0..63."""
    return f"{n // 8 + 1}{n % 8 + 1}"


def address(linear: int) -> bytes:
    """Four 7-bit address digits of a linear address."""
    return bytes((linear >> s) & 0x7F for s in (21, 14, 7, 0))


@dataclass
class _Region:
    """One patch or performance being reassembled."""

    length: int
    data: bytearray = field(init=False)
    covered: bytearray = field(init=False)
    messages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    device: int = 0x10

    def __post_init__(self) -> None:
        self.data = bytearray(self.length)
        self.covered = bytearray(self.length)

    def put(self, offset: int, chunk: bytes) -> None:
        end = min(self.length, offset + len(chunk))
        self.data[offset:end] = chunk[:end - offset]
        self.covered[offset:end] = b"\x01" * (end - offset)

    def missing(self, start: int = 0, end: int | None = None) -> int:
        return self.covered[start:end].count(0)


class JPDecoder(FormatDecoder):
    """Collects JP-8000/8080 DT1 packets and rebuilds patches and performances."""

    family = "jp8080"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._patches: dict[int, _Region] = {}
        self._perfs: dict[int, _Region] = {}  # -1 = temporary performance
        self._system = 0

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if len(m) < 6 or m[1] != 0x41 or m[3:5] != MODEL or not (m[2] < 0x20 or m[2] == 0x7F):
            return None  # device IDs 00-1F/7F; a Juno-106 dump has 30-32 there
        device, cmd = m[2], m[5]
        if cmd == RQ1:
            return Claim("Roland JP-8000/8080 data request (RQ1)", device)
        if cmd != DT1:
            return Claim(f"Roland JP-8000/8080 command 0x{cmd:02X}", device)
        body = m[6:-2] if message.complete else m[6:-1]
        stored = m[-2] if message.complete else (m[-1] if len(m) > 6 else 0)
        if len(body) < 4:
            return Claim("Roland JP-8000/8080 DT1 (damaged)", device, "not checked",
                         f"DT1 message at offset {message.offset} too short: skipped")
        checksum = checksum_note(stored, twos7(body))
        if not message.complete and checksum != "ok":
            return Claim("Roland JP-8000/8080 DT1 (damaged)", device, checksum,
                         f"DT1 message at offset {message.offset} is {message.status}: skipped")
        addr = body[:4]
        self._place(index, addr, bytes(body[4:]), device, checksum)
        return Claim("Roland JP-8000/8080 data set (DT1) " + addr.hex(" ").upper(), device,
                     checksum)

    def _place(self, index: int, addr: bytes, chunk: bytes, device: int, checksum: str) -> None:
        aa, bb, cc, dd = addr
        region: _Region | None = None
        offset = 0
        if aa == 0x02 and bb < 2:
            n = bb * 64 + (cc >> 1)
            region = self._patches.setdefault(n, _Region(PATCH_LEN))
            offset = ((cc & 1) << 7) | dd
        elif aa in (0x01, 0x03) and ((aa == 0x03 and bb < 64) or (aa == 0x01 and bb == 0)):
            area_key = cc if cc in _PERF_AREAS else cc - 1 if cc - 1 in (0x40, 0x42) else None
            if area_key is not None:
                region = self._perfs.setdefault(bb if aa == 0x03 else -1, _Region(PERF_LEN))
                start, _length = _PERF_AREAS[area_key]
                offset = start + (((cc - area_key) << 7) | dd)
        if region is None:
            self._system += 1
            return
        region.put(offset, chunk)
        region.messages.append(index)
        region.device = device
        if checksum != "ok":
            region.warnings.append(f"DT1 checksum {checksum} (message {index})")

    def finish(self):
        patch_table = get_table("jp8080_patch")
        if self._patches:
            presets = tuple(self._preset(patch_table, r, patch_slot(n), n)
                            for n, r in sorted(self._patches.items()))
            self.state.banks.append(Bank("JP-8080 user patches", "jp8080", presets))
        perfs: list[Preset] = []
        loose: list[Preset] = []
        for n, region in sorted(self._perfs.items()):
            label = "temporary" if n < 0 else performance_slot(n)
            if region.missing(0, 37) == 37:  # no common data: only patches were sent
                for key, part in ((0x40, "upper"), (0x42, "lower")):
                    start, length = _PERF_AREAS[key]
                    if region.missing(start, start + length) < length:
                        sub = _Region(PATCH_LEN)
                        sub.data[:] = region.data[start:start + length]
                        sub.covered[:] = region.covered[start:start + length]
                        sub.messages, sub.warnings = region.messages, region.warnings
                        loose.append(self._preset(patch_table, sub, f"{label} {part}", None))
                continue
            perfs.append(self._preset(get_table("jp8080_performance"), region, label,
                                      None if n < 0 else n, areas=True))
        if perfs:
            self.state.banks.append(Bank("JP-8080 performances", "jp8080", tuple(perfs)))
        if loose:
            self.state.banks.append(Bank("JP-8080 patches in performances", "jp8080",
                                         tuple(loose)))
        return self.state

    def _preset(self, table, region: _Region, slot: str, program: int | None,
                areas: bool = False) -> Preset:
        warnings = list(dict.fromkeys(region.warnings))
        if areas:
            for key, (start, length) in _PERF_AREAS.items():
                gone = region.missing(start, start + length)
                if gone:
                    warnings.append(f"incomplete: {gone} of {length} bytes of the "
                                    f"{_AREA_NAMES[key]} missing (filled with 0)")
        elif region.missing():
            first = region.covered.find(0)
            warnings.append(f"incomplete: {region.missing()} of {region.length} bytes missing "
                            f"from byte {first} (a packet was not found; filled with 0)")
        preset = Preset(table=table, data=bytes(region.data), slot=slot, program=program,
                        device_id=region.device, source=self.source,
                        messages=tuple(region.messages), warnings=tuple(warnings))
        if not region.missing():
            preset = replace(preset, warnings=preset.warnings + range_warnings(preset))
        return preset


def _dt1(device: int, linear: int, chunk: bytes) -> bytes:
    addr = address(linear)
    return (bytes([0xF0, 0x41, device & 0x7F, 0x00, 0x06, DT1]) + addr + chunk
            + bytes([twos7(addr + chunk), 0xF7]))


def _patch_messages(device: int, base: int, data: bytes) -> list[bytes]:
    second = base + (1 << 7) + (FIRST_PACKET - 128)  # offset 242 = digits 01 72
    return [_dt1(device, base, data[:FIRST_PACKET]), _dt1(device, second, data[FIRST_PACKET:])]


def encode(preset: Preset, target: Target) -> list[bytes]:
    """DT1 messages writing ``preset`` to the temporary performance or a user slot.

    A patch goes to the temporary performance's upper part (``01 00 40 00``) or to user patch
    ``program`` (0–127); a performance to ``01 00 00 00`` or user performance ``program``
    (0–63). Each 248-byte patch is sent as 242 + 6 bytes, like the synth does.
    """
    device = target.device_id if target.device_id is not None else (preset.device_id or 0x10)
    data = preset.data
    if preset.table.id == "jp8080_patch":
        if target.is_edit_buffer:
            base = (1 << 21) | (0x40 << 7)
        else:
            check_program(target.program, 128, "JP-8080 patch")
            n = target.program
            base = (2 << 21) | ((n // 64) << 14) | ((2 * (n % 64)) << 7)
        return _patch_messages(device, base, data)
    if target.is_edit_buffer:
        perf_base = 1 << 21
    else:
        check_program(target.program, 64, "JP-8080 performance")
        perf_base = (3 << 21) | (target.program << 14)
    out: list[bytes] = []
    for key, (start, length) in _PERF_AREAS.items():
        chunk = data[start:start + length]
        if length == PATCH_LEN:
            out.extend(_patch_messages(device, perf_base | (key << 7), chunk))
        else:
            out.append(_dt1(device, perf_base | (key << 7), chunk))
    return out


# ------------------------------------------------------------------------------------------
# Juno-106


JUNO_LENGTH = 24


class JunoDecoder(FormatDecoder):
    """Juno-106 patch dumps (``F0 41 30 0n pp … F7``) and control changes (``41 32``)."""

    family = "juno106"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._presets: list[Preset] = []

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if len(m) < 4 or m[1] != 0x41 or m[2] not in (0x30, 0x31, 0x32):
            return None
        channel = m[3] & 0x0F
        if m[2] == 0x32:
            return Claim("Roland Juno-106 control change", channel)
        if len(m) != JUNO_LENGTH or not message.complete:
            return Claim("Roland Juno-106 patch dump (damaged)", channel, "none",
                         wrong_length_note("Juno-106 dump", message, JUNO_LENGTH))
        program = m[4]
        preset = Preset(table=get_table("juno106_patch"), data=bytes(m[5:23]),
                        slot=patch_slot(program) if m[2] == 0x30 else "manual",
                        program=program if m[2] == 0x30 else None, device_id=channel,
                        source=self.source, messages=(index,))
        self._presets.append(replace(preset, warnings=range_warnings(preset)))
        return Claim("Roland Juno-106 patch dump", channel)

    def finish(self):
        if self._presets:
            self.state.banks.append(Bank("Juno-106 patches", "juno106", tuple(self._presets)))
        return self.state


def encode_juno(preset: Preset, target: Target) -> list[bytes]:
    """A Juno-106 patch dump (program ``target.program``, or the preset's own for the edit
    buffer: the Juno plays a received dump at once)."""
    channel = target.device_id if target.device_id is not None else (preset.device_id or 0)
    program = target.program if target.program is not None else (preset.program or 0)
    if not 0 <= program < 128:
        raise SysExError(f"Roland Juno-106: patch {program} outside 0–127")
    return [bytes([0xF0, 0x41, 0x30, channel & 0x0F, program]) + preset.data[:18] + b"\xf7"]
