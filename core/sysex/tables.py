"""Load synth tables from YAML/JSON files (``configs/synths/*.yaml``).

File format (one sound-data block per file)::

    id: dw8000_program            # unique table id
    synth: Korg DW-8000           # shown to people
    manufacturer: Korg
    kind: program                 # single / program / patch / voice / multi / performance
    length: 51                    # bytes in the block
    name: {offset: 240, length: 10}          # optional
    categories: {params: [category_1], names: [Off, Lead, ...]}   # optional
    fingerprint_ignore: [[240, 250]]         # byte ranges that do not change the sound
    choices: {waves: [TRI, SAW]}             # named value lists, referenced by parameters
    parameters:
      - [cutoff, 15, filter, 0, 63]          # short form: name, offset, section, min, max
      - {name: osc1_octave, offset: 0, section: oscillators, range: [0, 2],
         display: choices, choices: ["16'", "8'", "4'"], cc: 74, aliases: [octave]}
    repeat:                                  # the same fields at a stride (DX7 operators)
      - {prefixes: [op6_, op5_], stride: 21, parameters: [...]}

Parameter keys: ``name``, ``offset`` (or sysex-toolkit's ``byte_offset``), ``mask``
(``bit_mask``, default 0x7F, applied in place), ``shift`` (``bit_shift``), ``width`` (bytes of
7 bits, most significant first), ``range`` (``value_range``), ``section`` (``category``),
``label``, ``display`` (plain / signed / offset / choices / note), ``center``, ``add``,
``choices`` (a list or the name of a list under ``choices``), ``unit``, ``cc``
(``cc_number``), ``aliases``, ``description``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from core.errors import SysExError
from core.sysex.spec import Display, NameField, Parameter, SynthTable, check_table

TABLES_DIR = Path(__file__).resolve().parent.parent.parent / "configs" / "synths"
"""The shipped tables (``configs/synths`` beside the ``core`` package)."""


def read_mapping(path: Path) -> dict[str, Any]:
    """A YAML or JSON file's top-level mapping; :class:`SysExError` when unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, loader)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise SysExError(f"{path}: cannot read the synth definition ({exc})") from None
    if not isinstance(data, dict):
        raise SysExError(f"{path}: a synth definition must be a mapping at the top level")
    return data


def table_from_mapping(data: Mapping[str, Any], *, origin: str = "",
                       resolve: Callable[[str], SynthTable] | None = None) -> SynthTable:
    """Build and check a :class:`SynthTable`; :class:`SysExError` names what is wrong.

    ``include: [{table: ID, prefix: upper_, at: 94}]`` copies another table's parameters
    (moved by ``at`` bytes, renamed with ``prefix``); ``resolve`` finds that table by id.
    """
    where = origin or str(data.get("id", "table"))
    try:
        choices = {k: tuple(str(v) for v in vals)
                   for k, vals in (data.get("choices") or {}).items()}
        params = [_parameter(item, choices) for item in data.get("parameters") or []]
        for block in data.get("repeat") or []:
            params.extend(_repeat(block, choices))
        for inc in data.get("include") or []:
            if resolve is None:
                raise SysExError(f"{where}: include needs the other tables")
            params.extend(_included(resolve(str(inc["table"])), str(inc.get("prefix", "")),
                                    int(inc.get("at", 0))))
        name = data.get("name")
        cats = data.get("categories") or {}
        table = SynthTable(
            id=str(data["id"]), synth=str(data["synth"]),
            manufacturer=str(data.get("manufacturer", "")), kind=str(data.get("kind", "")),
            length=int(data["length"]), parameters=tuple(params),
            name=NameField(int(name["offset"]), int(name["length"])) if name else None,
            category_params=tuple(cats.get("params", ())),
            category_names=tuple(str(c) for c in cats.get("names", ())),
            fingerprint_ignore=tuple((int(a), int(b))
                                     for a, b in data.get("fingerprint_ignore") or ()),
            source=str(data.get("source", "")), notes=str(data.get("notes", "")))
    except SysExError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SysExError(f"{where}: malformed synth table ({type(exc).__name__}: {exc})") from None
    check_table(table)
    return table


def _parameter(item: Any, choices: Mapping[str, tuple[str, ...]], *, prefix: str = "",
               base: int = 0) -> Parameter:
    if isinstance(item, list | tuple):
        item = dict(zip(("name", "offset", "section", "min", "max"), item, strict=False))
    spec = dict(item)
    low, high = spec.get("range") or spec.get("value_range") or (
        spec.get("min", 0), spec.get("max", 127))
    mask = int(spec.get("mask", spec.get("bit_mask", 0x7F)))
    shift = int(spec.get("shift", spec.get("bit_shift", 0)))
    width = int(spec.get("width", 1))
    values = spec.get("choices", ())
    if isinstance(values, str):
        values = choices[values]
    kind = str(spec.get("display", "choices" if values else "plain"))
    display = Display(kind=kind, center=int(spec.get("center", 64)), add=int(spec.get("add", 0)),
                      choices=tuple(str(v) for v in values), unit=str(spec.get("unit", "")))
    cc = spec.get("cc", spec.get("cc_number"))
    return Parameter(
        name=prefix + str(spec["name"]), offset=base + int(spec.get("offset",
                                                                    spec.get("byte_offset"))),
        mask=mask, shift=shift, width=width, minimum=int(low), maximum=int(high),
        section=str(spec.get("section", spec.get("category", "other"))),
        label=str(spec.get("label", "")), display=display,
        cc=None if cc is None else int(cc),
        aliases=tuple(str(a) for a in spec.get("aliases", ())),
        description=str(spec.get("description", "")))


def _included(base: SynthTable, prefix: str, at: int) -> list[Parameter]:
    label = prefix.strip("_").capitalize()
    return [dataclasses.replace(p, name=prefix + p.name, offset=p.offset + at,
                                label=f"{label} {p.title}" if label else p.label,
                                aliases=tuple(prefix + a for a in p.aliases))
            for p in base.parameters]


def _repeat(block: Mapping[str, Any], choices: Mapping[str, tuple[str, ...]]) -> list[Parameter]:
    out: list[Parameter] = []
    start = int(block.get("start", 0))
    stride = int(block["stride"])
    for i, prefix in enumerate(block["prefixes"]):
        out.extend(_parameter(item, choices, prefix=str(prefix), base=start + i * stride)
                   for item in block["parameters"])
    return out


@functools.lru_cache(maxsize=1)
def shipped_tables() -> dict[str, SynthTable]:
    """Every table in ``configs/synths`` by id (loaded once)."""
    tables: dict[str, SynthTable] = {}
    files = [(path, read_mapping(path)) for path in sorted(TABLES_DIR.glob("*.yaml"))]
    files = [(p, d) for p, d in files if "id" in d]  # others: sysex-toolkit style examples
    files.sort(key=lambda item: bool(item[1].get("include")))  # bases before includers
    for path, data in files:
        table = table_from_mapping(data, origin=str(path), resolve=lambda i: tables[i])
        if table.id in tables:
            raise SysExError(f"{path}: table id {table.id!r} is defined twice")
        tables[table.id] = table
    return tables


def get_table(table_id: str) -> SynthTable:
    """The shipped table ``table_id`` (``SysExError`` when unknown)."""
    tables = shipped_tables()
    if table_id not in tables:
        raise SysExError(f"unknown synth table {table_id!r} (known: {', '.join(sorted(tables))})")
    return tables[table_id]


def all_tables() -> Sequence[SynthTable]:
    """The shipped tables in a stable order."""
    return list(shipped_tables().values())
