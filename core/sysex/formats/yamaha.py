"""Yamaha DX7: single voice (VCED, 163 bytes) and 32-voice bulk (VMEM, 4104 bytes, packed).

VCED ``F0 43 0n 00 01 1B <155> cs F7``; VMEM ``F0 43 0n 09 20 00 <4096> cs F7``; checksum
``(-sum(data)) & 0x7F`` over the data bytes only (shared/reference/sysex-formats.md §3).
Every voice is stored unpacked (the ``dx7_vced`` table) whatever message it came from, so a
voice from a bank and the same voice as VCED have one fingerprint. Unpacking a VMEM voice keeps
the documented bit fields only (the "don't care" bits are dropped, as Dexed does).
Other Yamaha bulks (DX7II AMEM and universal bulks, FS1R) are listed with their checksum checked.
"""

from __future__ import annotations

from dataclasses import replace

from core.errors import SysExError
from core.sysex.checksums import twos7
from core.sysex.formats.base import (
    Claim,
    FormatDecoder,
    Target,
    bad_checksum_warning,
    checksum_note,
    range_warnings,
    wrong_length_note,
)
from core.sysex.framing import RawMessage
from core.sysex.model import Bank, Preset
from core.sysex.spec import SynthTable
from core.sysex.tables import get_table

VCED_LENGTH, VMEM_LENGTH = 163, 4104
VOICE_BYTES, VOICES = 128, 32
_VCED_HEAD, _VMEM_HEAD = b"\x00\x01\x1b", b"\x09\x20\x00"


def unpack_voice(packed: bytes) -> bytes:
    """A 128-byte VMEM voice as the 155-byte VCED block."""
    vmem, vced = get_table("dx7_vmem_voice"), get_table("dx7_vced")
    block = vced.write(bytes(vced.length), vmem.read(packed))
    return bytes(block[:145]) + bytes(packed[118:128])


def pack_voice(vced_data: bytes) -> bytes:
    """A 155-byte VCED block as a 128-byte VMEM voice."""
    vmem, vced = get_table("dx7_vmem_voice"), get_table("dx7_vced")
    values = {name: value & (vmem.parameter(name).bit_capacity)
              for name, value in vced.read(vced_data).items()}
    block = vmem.write(bytes(vmem.length), values)
    return bytes(block[:118]) + bytes(vced_data[145:155])


INIT_VOICE_NAME = "INIT VOICE"


def init_voice() -> bytes:
    """The DX7's INIT VOICE as a VCED block (OP1 at level 99, every EG at 99/99/99/00)."""
    table = get_table("dx7_vced")
    values = {}
    for op in range(1, 7):
        for i in range(1, 5):
            values[f"op{op}_eg_rate{i}"] = 99
            values[f"op{op}_eg_level{i}"] = 99 if i < 4 else 0
        values[f"op{op}_kbd_breakpoint"] = 39
        values[f"op{op}_freq_coarse"] = 1
        values[f"op{op}_detune"] = 7
        values[f"op{op}_output_level"] = 99 if op == 1 else 0
    for i in range(1, 5):
        values[f"pitch_eg_rate{i}"] = 99
        values[f"pitch_eg_level{i}"] = 50
    values.update(lfo_speed=35, osc_key_sync=1, pitch_mod_sensitivity=3, transpose=24)
    return table.write_name(table.write(bytes(table.length), values), INIT_VOICE_NAME)


class DX7Decoder(FormatDecoder):
    """VCED and VMEM dumps; other Yamaha messages listed."""

    family = "dx7"

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self._singles: list[Preset] = []
        self._banks = 0

    def feed(self, index: int, message: RawMessage) -> Claim | None:
        m = message.data
        if len(m) < 4 or m[1] != 0x43:
            return None
        channel = m[2] & 0x0F
        head = m[3:6]
        if m[2] & 0xF0 == 0x00 and head == _VCED_HEAD:
            return self._vced(index, message, channel)
        if m[2] & 0xF0 == 0x00 and head == _VMEM_HEAD:
            return self._vmem(index, message, channel)
        return _other_yamaha(message, channel)

    def _vced(self, index: int, message: RawMessage, channel: int) -> Claim:
        m = message.data
        if len(m) != VCED_LENGTH or not message.complete:
            return Claim("Yamaha DX7 single voice (VCED, damaged)", channel, "not checked",
                         wrong_length_note("VCED", message, VCED_LENGTH))
        data = bytes(m[6:161])
        checksum = checksum_note(m[161], twos7(data))
        preset = Preset(table=get_table("dx7_vced"), data=data, slot="edit buffer",
                        device_id=channel, source=self.source, messages=(index,),
                        warnings=bad_checksum_warning(checksum))
        self._singles.append(replace(preset, warnings=preset.warnings + range_warnings(preset)))
        return Claim("Yamaha DX7 single voice (VCED)", channel, checksum)

    def _vmem(self, index: int, message: RawMessage, channel: int) -> Claim:
        m = message.data
        warnings: tuple[str, ...] = ()
        note = ""
        if len(m) == VMEM_LENGTH and message.complete:
            checksum = checksum_note(m[4102], twos7(m[6:4102]))
            warnings = bad_checksum_warning(checksum, "bank checksum")
            voices = VOICES
        else:
            checksum = "not checked"
            voices = max(0, min(VOICES, (len(m) - 6) // VOICE_BYTES))
            warnings = (f"from a damaged bank ({len(m)} of 4104 bytes, {message.status}); "
                        "checksum not checkable",)
            note = (f"VMEM bank at offset {message.offset} has {len(m)} of 4104 bytes "
                    f"({message.status}): recovered {voices} complete voices of 32")
        self._banks += 1
        table = get_table("dx7_vced")
        presets = []
        for k in range(voices):
            packed = m[6 + k * VOICE_BYTES:6 + (k + 1) * VOICE_BYTES]
            preset = Preset(table=table, data=unpack_voice(packed), slot=f"{k + 1:02d}",
                            program=k, device_id=channel, source=self.source,
                            messages=(index,), warnings=warnings)
            presets.append(replace(preset, warnings=warnings + range_warnings(preset)))
        if presets:
            self.state.banks.append(Bank(f"DX7 bank {self._banks} (VMEM)", "dx7",
                                         tuple(presets)))
        return Claim("Yamaha DX7 32-voice bulk (VMEM)", channel, checksum, note)

    def finish(self):
        if self._singles:
            self.state.banks.append(Bank("DX7 single voices (VCED)", "dx7",
                                         tuple(self._singles)))
        return self.state


def _other_yamaha(message: RawMessage, channel: int) -> Claim:
    m = message.data
    if len(m) >= 8 and m[2] & 0xF0 == 0x00 and message.complete:
        fmt = m[3]
        if fmt == 0x7E and len(m) > 17:
            label = bytes(m[6:16]).decode("ascii", "replace").strip()
            return Claim(f"Yamaha universal bulk '{label}' (DX7II/TX802)", channel,
                         _universal_checksum(m))
        if fmt == 0x06:
            checksum = checksum_note(m[-2], twos7(m[6:-2]))
            return Claim("Yamaha DX7II supplement (AMEM, 32 voices)", channel, checksum)
        if fmt == 0x5E:
            checksum = checksum_note(m[-2], twos7(m[4:-2]))
            return Claim("Yamaha FS1R bulk dump", channel, checksum)
    if m[2] & 0xF0 == 0x10:
        return Claim("Yamaha parameter change", channel)
    if m[2] & 0xF0 == 0x20:
        return Claim("Yamaha dump request", channel)
    return Claim("Yamaha message", channel)


def _universal_checksum(m: bytes) -> str:
    """Universal bulks (``F0 43 0n 7E``) are one or more blocks of ``bh bl <bh*128+bl bytes>
    cs``; each checksum covers the block's classification and data, not the byte count
    (verified on the DX7II all-data dump of the corpus)."""
    pos, blocks, bad = 4, 0, []
    while pos + 2 < len(m) - 1:
        count = m[pos] * 128 + m[pos + 1]
        end = pos + 2 + count
        if end >= len(m) - 1:
            return f"not checked (block {blocks + 1} runs past the end)"
        note = checksum_note(m[end], twos7(m[pos + 2:end]))
        if note != "ok":
            bad.append(f"block {blocks + 1} {note}")
        blocks += 1
        pos = end + 1
    if bad:
        return "bad: " + "; ".join(bad[:3])
    return "ok" if blocks == 1 else f"ok ({blocks} blocks)"


def _vced_block(preset: Preset) -> bytes:
    if preset.table.id != "dx7_vced":
        raise SysExError(f"{preset.table.synth}: not a DX7 voice")
    return bytes(preset.data[:155])


def encode(preset: Preset, target: Target) -> list[bytes]:
    """A VCED single-voice dump (the DX7 loads it into its edit buffer).

    The DX7 has no message storing one voice in a slot: a chosen slot is written by
    :func:`encode_bank` (a VMEM bank); asking for a slot here raises :class:`SysExError`.
    """
    if not target.is_edit_buffer:
        raise SysExError("Yamaha DX7: a single voice can only go to the edit buffer; "
                         "export a bank (32 voices) to write program slots")
    data = _vced_block(preset)
    channel = target.device_id if target.device_id is not None else (preset.device_id or 0)
    return [bytes([0xF0, 0x43, channel & 0x0F, 0x00, 0x01, 0x1B]) + data
            + bytes([twos7(data), 0xF7])]


def encode_bank(presets: list[Preset], *, device_id: int | None = None) -> list[bytes]:
    """VMEM banks of 32 voices (the last one padded with INIT VOICE)."""
    out: list[bytes] = []
    channel = device_id if device_id is not None else (presets[0].device_id or 0
                                                         if presets else 0)
    for start in range(0, max(1, len(presets)), VOICES):
        chunk = [_vced_block(p) for p in presets[start:start + VOICES]]
        chunk += [init_voice()] * (VOICES - len(chunk))
        data = b"".join(pack_voice(v) for v in chunk)
        out.append(bytes([0xF0, 0x43, channel & 0x0F, 0x09, 0x20, 0x00]) + data
                   + bytes([twos7(data), 0xF7]))
    return out


def table_for_vmem() -> SynthTable:
    """The packed-voice table (for tests and tools)."""
    return get_table("dx7_vmem_voice")
