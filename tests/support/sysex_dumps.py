"""Synthetic SysEx dumps made with Breakroom's own encoder (tests that must run without the
corpus), and where the real corpus lives."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from core.sysex import Target, encode_bank, encode_preset, get_table
from core.sysex.model import Preset
from core.sysex.spec import SynthTable

ROOT = Path(__file__).resolve().parents[2]

ENCODABLE = ("virus_c_single", "virus_ti_single", "virus_multi", "jp8080_patch",
             "jp8080_performance", "juno106_patch", "dx7_vced", "dw8000_program",
             "bass_station2_program")


def corpus_dir() -> Path:
    """``<repo>/../shared/sysex-corpus`` or ``$BREAKROOM_SYSEX_CORPUS``; skips when absent."""
    override = os.environ.get("BREAKROOM_SYSEX_CORPUS")
    path = Path(override) if override else ROOT / ".." / "shared" / "sysex-corpus"
    if not path.is_dir():
        pytest.skip(f"SysEx corpus not found at {path}")
    return path.resolve()


def random_values(table: SynthTable, rng: random.Random) -> dict[str, int]:
    """A random in-range value for every parameter."""
    return {p.name: rng.randint(p.minimum, p.maximum) for p in table.parameters}


def random_preset(table_id: str, rng: random.Random, *, name: str | None = None,
                  raw: bool = True) -> Preset:
    """A preset of ``table_id`` with random 7-bit bytes (``raw``) under random in-range values.

    DX7 voices get in-range bytes only (their bank form keeps documented bits only).
    """
    table = get_table(table_id)
    base = bytes(rng.randrange(128) for _ in range(table.length)) if raw and not \
        table_id.startswith("dx7") else bytes(table.length)
    data = table.write(base, random_values(table, rng))
    if table.name is not None:
        label = name if name is not None else "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789-") for _ in range(table.name.length))
        data = table.write_name(data, label)
    return Preset(table=table, data=data)


def valid_dumps(rng: random.Random) -> list[bytes]:
    """One valid dump per encodable format plus a bank of each format that has one."""
    dumps = []
    for table_id in ENCODABLE:
        preset = random_preset(table_id, rng)
        dumps.append(b"".join(encode_preset(preset)))
        if table_id not in ("dx7_vced", "virus_multi"):
            dumps.append(b"".join(encode_preset(preset, Target(program=3))))
    dumps.append(b"".join(encode_bank([random_preset("dx7_vced", rng) for _ in range(32)])))
    dumps.append(b"".join(encode_bank([random_preset("virus_c_single", rng) for _ in range(8)],
                                      bank=2)))
    return dumps
