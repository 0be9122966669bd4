"""Write presets back as SysEx: one preset to the edit buffer or a slot, or a bank file.

Every message written carries a correct checksum for its format. ``to_hex`` gives the text
people paste into other tools.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import OutputExists, SysExError
from core.fileutil import atomic_write_bytes
from core.sysex.definitions import encode_whole_message
from core.sysex.formats import korg, novation, roland, virus, yamaha
from core.sysex.formats.base import EDIT_BUFFER, Target
from core.sysex.model import Preset

_ENCODERS: dict[str, Callable[[Preset, Target], list[bytes]]] = {
    "virus_c_single": virus.encode, "virus_ti_single": virus.encode,
    "virus_multi": virus.encode, "jp8080_patch": roland.encode,
    "jp8080_performance": roland.encode, "juno106_patch": roland.encode_juno,
    "dx7_vced": yamaha.encode, "dw8000_program": korg.encode,
    "bass_station2_program": novation.encode,
}
_BANK_SIZES = {"virus_c_single": 128, "virus_ti_single": 128, "jp8080_patch": 128,
               "jp8080_performance": 64, "juno106_patch": 128, "dw8000_program": 64,
               "bass_station2_program": 128, "virus_multi": 128}


def encode_preset(preset: Preset, target: Target = EDIT_BUFFER) -> list[bytes]:
    """The messages writing ``preset`` to ``target`` (edit buffer by default).

    Raises :class:`SysExError` when the format cannot address that slot.
    """
    if preset.table.whole_message:
        return encode_whole_message(preset)
    encoder = _ENCODERS.get(preset.table.id)
    if encoder is None:
        raise SysExError(f"{preset.table.synth}: writing this kind of preset is not supported")
    return encoder(preset, target)


def encode_bank(presets: Sequence[Preset], *, bank: int | None = None) -> list[bytes]:
    """A bank: every preset to its own slot 0, 1, 2… (in the given order).

    All presets must be of one table. DX7 voices become VMEM banks of 32. Virus singles go to
    ``bank`` (1–8 = A–H, default A). Raises :class:`SysExError` for mixed tables or too many
    presets for the synth's bank.
    """
    if not presets:
        raise SysExError("no presets to export")
    tables = {p.table.id for p in presets}
    if len(tables) > 1:
        raise SysExError("a bank holds presets of one synth format; the selection mixes "
                         + ", ".join(sorted(tables)))
    table_id = presets[0].table.id
    if table_id == "dx7_vced":
        return yamaha.encode_bank(list(presets))
    if presets[0].table.whole_message:
        return [m for p in presets for m in encode_whole_message(p)]
    size = _BANK_SIZES.get(table_id, 0)
    if len(presets) > size:
        raise SysExError(f"{presets[0].synth}: a bank holds {size} presets, got {len(presets)}")
    out: list[bytes] = []
    for slot, preset in enumerate(presets):
        out.extend(encode_preset(preset, Target(program=slot, bank=bank)))
    return out


@dataclass(frozen=True)
class ExportChoices:
    """Where a format can write presets.

    ``slots``: program slots one preset can be written to (0 = the edit buffer only: a DX7
    voice reaches a slot only inside a bank); ``bank_size``: presets in one bank (0 = no limit,
    the messages are simply concatenated); ``banks``: numbered banks a slot or bank can go to
    (Virus A–H = 8; 0 = the format has no bank number).
    """

    slots: int
    bank_size: int
    banks: int = 0


def export_choices(table_id: str) -> ExportChoices:
    """The :class:`ExportChoices` of the table ``table_id`` (custom definitions: edit buffer
    and concatenated messages only)."""
    if table_id == "dx7_vced":
        return ExportChoices(slots=0, bank_size=yamaha.VOICES)
    size = _BANK_SIZES.get(table_id, 0)
    return ExportChoices(slots=size, bank_size=size,
                         banks=8 if table_id in virus.TABLES else 0)


def encode_selection(presets: Sequence[Preset], *, slot: int | None = None,
                     bank: int | None = None, as_bank: bool = False) -> list[bytes]:
    """What ``sysex export`` writes: one preset to the edit buffer or program ``slot``
    (0-based, in Virus bank ``bank`` 1–8), or with ``as_bank`` every preset to slots 0, 1, …
    (in Virus bank ``bank``). Raises :class:`SysExError` for several presets without
    ``as_bank`` or a slot the format cannot address."""
    if as_bank:
        return encode_bank(presets, bank=bank)
    if len(presets) != 1:
        raise SysExError(f"{len(presets)} presets: write them as a bank")
    target = EDIT_BUFFER if slot is None else Target(program=slot, bank=bank)
    return encode_preset(presets[0], target)


def write_syx(path: str | Path, messages: Sequence[bytes], *, overwrite: bool = False) -> Path:
    """Write messages to ``path`` atomically; returns the path.

    Raises :class:`core.errors.OutputExists` when the file exists and ``overwrite`` is false,
    :class:`SysExError` when the disk refuses.
    """
    target = Path(path)
    try:
        atomic_write_bytes(target, b"".join(messages), overwrite=overwrite)
    except OutputExists:
        raise
    except OSError as exc:
        raise SysExError(f"{target}: cannot write ({exc.strerror or exc})") from None
    return target


def to_hex(messages: Sequence[bytes]) -> str:
    """Upper-case hex, one message per line (``F0 00 20 33 … F7``)."""
    return "\n".join(m.hex(" ").upper() for m in messages)
