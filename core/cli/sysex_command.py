"""``breakroom sysex …``: list, show, export, diff, import and search synth SysEx presets.

Presets are numbered from 1 in the order ``sysex list`` prints them.

    breakroom sysex list FILE [--messages] [--json]
    breakroom sysex show FILE --preset N [--json]
    breakroom sysex export FILE --preset N[,M|N-M|all] --out X.syx [--slot P | --bank B] [--force]
    breakroom sysex diff A.syx:N B.syx:M [--all]
    breakroom sysex import PATH... [--library DB]
    breakroom sysex search QUERY [--library DB] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.cli.context import CliContext, UsageError
from core.cli.tables import format_table
from core.errors import CoreError, SysExError
from core.sysex import EDIT_BUFFER, Target, decode_file, encode_bank, encode_preset, write_syx
from core.sysex.compare import compare_presets
from core.sysex.definitions import Definition, load_definition
from core.sysex.library import Library
from core.sysex.model import DumpResult, Preset


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``sysex`` command and its sub-commands."""
    p = sub.add_parser("sysex", parents=[common], help="browse, export and compare synth presets",
                       description=__doc__.split("\n\n")[0])
    actions = p.add_subparsers(dest="sysex_action", metavar="ACTION")
    defs = argparse.ArgumentParser(add_help=False)
    defs.add_argument("--definition", action="append", default=[], metavar="FILE",
                      help="a sysex-toolkit style JSON/YAML synth definition (repeatable)")
    a = actions.add_parser("list", parents=[common, defs], help="list the presets of a dump")
    a.add_argument("file")
    a.add_argument("--messages", action="store_true", help="also list every message")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("show", parents=[common, defs], help="show one preset's parameters")
    a.add_argument("file")
    a.add_argument("--preset", required=True, type=int, metavar="N")
    a.add_argument("--json", action="store_true")
    a = actions.add_parser("export", parents=[common, defs], help="write presets as .syx")
    a.add_argument("file")
    a.add_argument("--preset", required=True, metavar="N", help="N, N,M, N-M or all")
    a.add_argument("--out", required=True, metavar="X.syx")
    where = a.add_mutually_exclusive_group()
    where.add_argument("--slot", type=int, metavar="P",
                       help="program slot (0-based) for one preset; default: edit buffer")
    where.add_argument("--bank", type=int, nargs="?", const=0, metavar="B",
                       help="write a bank (presets to slots 0, 1, …); B = Virus bank 1–8")
    a.add_argument("--force", action="store_true", help="overwrite --out")
    a = actions.add_parser("diff", parents=[common, defs], help="compare two presets")
    a.add_argument("a", metavar="A.syx:N")
    a.add_argument("b", metavar="B.syx:M")
    a.add_argument("--all", action="store_true", help="list equal parameters too")
    a = actions.add_parser("import", parents=[common, defs], help="import into the library")
    a.add_argument("paths", nargs="+", metavar="PATH")
    a.add_argument("--library", metavar="DB", help="library file (default: user data folder)")
    a = actions.add_parser("search", parents=[common], help="search the library")
    a.add_argument("query", nargs="*", help="e.g. cutoff>100 category:bass")
    a.add_argument("--library", metavar="DB")
    a.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Dispatch the sub-command; 0 on success, 1 when an input failed."""
    action = getattr(args, "sysex_action", None)
    if action is None:
        raise UsageError("choose an action: list, show, export, diff, import, search")
    handler = {"list": _list, "show": _show, "export": _export, "diff": _diff,
               "import": _import, "search": _search}[action]
    try:
        return handler(args, ctx)
    except CoreError as exc:
        print(ctx.error_line(getattr(args, "file", "") or "sysex", exc), file=ctx.stderr)
        return 1


def _definitions(args: argparse.Namespace) -> list[Definition]:
    return [load_definition(p) for p in getattr(args, "definition", [])]


def _decode(path: str, args: argparse.Namespace) -> DumpResult:
    return decode_file(path, definitions=_definitions(args))


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    result = _decode(args.file, args)
    if args.json:
        payload = {"source": result.source, "size": result.size, "notes": list(result.notes),
                   "presets": [_row_dict(i, p) for i, p in enumerate(result.presets, 1)],
                   "messages": [m.__dict__ for m in result.messages]}
        ctx.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    ctx.stdout.write(f"{result.source}: {result.summary()}\n")
    if result.presets:
        rows = [[i, p.slot, p.display_name, p.synth, ", ".join(p.categories),
                 "; ".join(p.warnings)[:70]] for i, p in enumerate(result.presets, 1)]
        ctx.stdout.write(format_table(["#", "slot", "name", "synth", "category", "warnings"],
                                      rows, align_right=(0,)) + "\n")
    shown = result.messages if args.messages else [m for m in result.messages if not m.used]
    if shown:
        ctx.stdout.write("\nmessages" + ("" if args.messages else " not decoded") + ":\n")
        rows = [[m.index + 1, m.offset, m.length, m.manufacturer,
                 "" if m.device_id is None else f"{m.device_id:02X}", m.kind, m.status,
                 m.checksum] for m in shown]
        ctx.stdout.write(format_table(["#", "offset", "bytes", "manufacturer", "device", "kind",
                                       "status", "checksum"], rows, align_right=(0, 1, 2))
                         + "\n")
    for note in result.notes:
        ctx.info(f"note: {note}")
    return 0


def _row_dict(index: int, p: Preset) -> dict:
    return {"index": index, "slot": p.slot, "name": p.display_name, "synth": p.synth,
            "table": p.table.id, "categories": list(p.categories), "warnings": list(p.warnings),
            "fingerprint": p.fingerprint}


def _pick(result: DumpResult, number: int) -> Preset:
    presets = result.presets
    if not presets:
        raise SysExError(f"{result.source}: no presets decoded ({'; '.join(result.notes[:3])})")
    if not 1 <= number <= len(presets):
        raise UsageError(f"--preset {number}: {result.source} has presets 1–{len(presets)}")
    return presets[number - 1]


def _show(args: argparse.Namespace, ctx: CliContext) -> int:
    preset = _pick(_decode(args.file, args), args.preset)
    if args.json:
        ctx.stdout.write(json.dumps(preset.to_dict(), indent=2) + "\n")
        return 0
    out = [f"{preset.display_name}  ({preset.synth}, slot {preset.slot or '-'})"]
    if preset.categories:
        out.append("categories: " + ", ".join(preset.categories))
    out.extend(f"warning: {w}" for w in preset.warnings)
    for section, params in preset.table.sections().items():
        out.append(f"\n[{section}]")
        rows = [[p.title, p.format(p.read(preset.data)), p.read(preset.data)] for p in params]
        out.append(format_table(["parameter", "value", "raw"], rows, align_right=(2,)))
    if not preset.table.parameters:
        out.append("(this format's parameters are not documented; the data is kept as is)")
    ctx.stdout.write("\n".join(out) + "\n")
    return 0


def _numbers(spec: str, count: int) -> list[int]:
    if spec.strip().lower() == "all":
        return list(range(1, count + 1))
    numbers: list[int] = []
    try:
        for part in spec.split(","):
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                numbers.extend(range(lo, hi + 1))
            else:
                numbers.append(int(part))
    except ValueError:
        raise UsageError(f"--preset {spec!r}: use N, N,M, N-M or all") from None
    return numbers


def _export(args: argparse.Namespace, ctx: CliContext) -> int:
    result = _decode(args.file, args)
    numbers = _numbers(args.preset, len(result.presets))
    presets = [_pick(result, n) for n in numbers]
    out = Path(args.out)
    if out.exists() and not args.force:
        raise UsageError(f"{out}: already exists; pass --force to replace it")
    if args.bank is not None:
        messages = encode_bank(presets, bank=args.bank or None)
    elif len(presets) == 1:
        target = EDIT_BUFFER if args.slot is None else Target(program=args.slot)
        messages = encode_preset(presets[0], target)
    else:
        raise UsageError("several presets: pass --bank to write them as a bank")
    write_syx(out, messages, overwrite=args.force)
    where = "bank" if args.bank is not None else (
        "edit buffer" if args.slot is None else f"slot {args.slot}")
    ctx.info(f"wrote {out}: {len(presets)} preset(s), {len(messages)} message(s), {where}")
    return 0


def _ref(text: str, args: argparse.Namespace) -> Preset:
    path, sep, number = text.rpartition(":")
    if not sep or not number.isdigit():
        raise UsageError(f"{text!r}: write FILE:N (preset number N from 'sysex list')")
    return _pick(_decode(path, args), int(number))


def _diff(args: argparse.Namespace, ctx: CliContext) -> int:
    a, b = _ref(args.a, args), _ref(args.b, args)
    rows = [r for r in compare_presets(a, b) if args.all or r.differs]
    ctx.stdout.write(f"A: {a.display_name} ({a.synth})\nB: {b.display_name} ({b.synth})\n")
    if a.name != b.name:
        ctx.stdout.write(f"name differs: {a.name!r} / {b.name!r}\n")
    if not rows:
        ctx.stdout.write("same sound: no parameter differs\n" if not args.all else "")
        return 0
    table = [[r.section, r.name, r.a_text or "-", r.b_text or "-", "*" if r.differs else ""]
             for r in rows]
    ctx.stdout.write(format_table(["section", "parameter", "A", "B", ""], table) + "\n")
    ctx.info(f"{sum(r.differs for r in rows)} parameter(s) differ")
    return 0


def _import(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.cli.progress_display import ProgressDisplay
    from core.jobs import CancelToken

    library = Library(args.library)
    display = ProgressDisplay(ctx.stderr, 1, enabled=not ctx.quiet)
    cancel = CancelToken()
    try:
        report = library.import_paths(args.paths, definitions=_definitions(args), cancel=cancel,
                                      progress=lambda f, s: display.update("import", f, s))
    except KeyboardInterrupt:
        cancel.cancel("interrupted")
        display.close()
        raise
    display.close()
    for path, reason in report.failed:
        print(reason if path in reason else f"{path}: {reason}", file=ctx.stderr)
    ctx.stdout.write(f"{report.summary()} (library: {library.path}, "
                     f"{library.count()} presets)\n")
    return 1 if report.failed else 0


def _search(args: argparse.Namespace, ctx: CliContext) -> int:
    library = Library(args.library)
    found = library.search(" ".join(args.query))
    if args.json:
        ctx.stdout.write(json.dumps([{"id": p.id, "name": p.name, "synth": p.synth,
                                      "tags": list(p.tags), "favourite": p.favourite,
                                      "source": p.source, "slot": p.slot} for p in found],
                                    indent=2) + "\n")
        return 0
    rows = [[p.id, p.name, p.synth, ", ".join(p.tags), "*" if p.favourite else "",
             f"{Path(p.source).name} {p.slot}"] for p in found]
    ctx.stdout.write(format_table(["id", "name", "synth", "tags", "fav", "from"], rows,
                                  align_right=(0,)) + "\n")
    return 0
