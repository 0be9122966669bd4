"""``breakroom info PATH... [--json]``: format, channels, sample rate, duration, bit depth, tags.

Reads headers only (fast on any file length). Folders are searched recursively for audio files.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from core.audio import AudioInfo, probe
from core.cli.context import CliContext
from core.cli.tables import fmt_seconds, format_table


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``info`` sub-command."""
    p = sub.add_parser("info", parents=[common], help="show the format of audio files",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Execute ``info``; returns 0 when every file was read, else 1."""
    files, failed = ctx.collect_inputs(args.paths)
    infos: list[AudioInfo] = []
    for path in files:
        try:
            infos.append(probe(path))
        except Exception as exc:
            failed += 1
            print(ctx.error_line(str(path), exc), file=ctx.stderr)
    if args.json:
        ctx.stdout.write(json.dumps([asdict(i) for i in infos], indent=2, default=str) + "\n")
    elif infos:
        rows = [[i.path, i.format, i.codec, i.channels, i.sample_rate, fmt_seconds(i.duration),
                 i.bit_depth or "", _tags(i)] for i in infos]
        ctx.stdout.write(format_table(
            ["file", "format", "codec", "ch", "rate Hz", "duration", "bits", "tags"], rows,
            align_right=(3, 4, 5, 6)) + "\n")
    return 1 if failed else 0


def _tags(info: AudioInfo) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(info.tags.items()))[:60]
