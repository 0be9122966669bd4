"""``python -m core.devset``: dump the development set for listening, or list/prepare kits.

    python -m core.devset export --split dev --out DIR [--clips-per-style N] [--seconds S]
                                 [--seed N] [--stems] [--force]
    python -m core.devset kits [--split all|train|unseen]   (renders the SoundFont cache)
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.devset.dataset import SPLITS, development_set, iter_clips
from core.devset.export import export_clip
from core.devset.kits import all_kits, is_unseen
from core.errors import CoreError


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(prog="python -m core.devset",
                                     description="Breakroom's generated development set.")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="render a split to WAV + JSON ground truth")
    export.add_argument("--split", choices=SPLITS, default="dev")
    export.add_argument("--out", type=Path, required=True, help="output folder")
    export.add_argument("--clips-per-style", type=int, default=4)
    export.add_argument("--seconds", type=float, default=20.0)
    export.add_argument("--seed", type=int, default=0)
    export.add_argument("--stems", action="store_true", help="also write the drum stems")
    export.add_argument("--force", action="store_true", help="overwrite existing files")
    export.add_argument("--cache-dir", type=Path, default=None, help="SoundFont kit cache")
    kits = sub.add_parser("kits", help="list the kits (rendering the SoundFont cache once)")
    kits.add_argument("--split", choices=("all", "train", "unseen"), default="all")
    kits.add_argument("--cache-dir", type=Path, default=None)
    return parser


def _export(args: argparse.Namespace) -> int:
    specs = development_set(args.split, seed=args.seed, clips_per_style=args.clips_per_style,
                            seconds=args.seconds)
    start = time.perf_counter()
    for k, clip in enumerate(iter_clips(specs, cache_dir=args.cache_dir), start=1):
        wav, _ = export_clip(clip, args.out, stem=args.stems, overwrite=args.force)
        print(f"[{k}/{len(specs)}] {wav}")
    print(f"{len(specs)} clips in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


def _kits(args: argparse.Namespace) -> int:
    for kit in all_kits(args.cache_dir):
        split = "unseen" if is_unseen(kit.name) else "train"
        if args.split in ("all", split):
            print(f"{kit.name:24s} {split:7s} {kit.source}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _export(args) if args.command == "export" else _kits(args)
    except CoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
