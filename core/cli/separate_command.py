"""``breakroom separate TRACK [--model auto|htdemucs|htdemucs_ft|htdemucs_6s|classic]
[--device auto|cpu|cuda|mps] [--stems drums,bass,...] [--out DIR] [--format flac|wav]``.

Splits a track into stems (24-bit FLAC or WAV named ``<track>.<stem>.<ext>``), streaming, so a
two-hour mix needs no more memory than a song. ``auto`` runs Demucs ``htdemucs`` when its
weights are installed (``breakroom models``) and the offline separator otherwise; the output
always says which model ran, on which device and why.
"""

from __future__ import annotations

import argparse
import json

from core.cli.context import CliContext, UsageError
from core.cli.tables import fmt_seconds
from core.devices import DEVICES
from core.errors import InvalidParameter
from core.separation.catalog import MODELS
from core.separation.pipeline import (
    FORMATS,
    SeparationOptions,
    SeparationResult,
    separate_file,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``separate`` sub-command."""
    p = sub.add_parser("separate", parents=[common], help="split a track into stems",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("track", metavar="TRACK", help="an audio file")
    p.add_argument("--model", choices=("auto", *MODELS),
                   help="separation model (default from config: auto = htdemucs if installed, "
                        "else classic)")
    p.add_argument("--device", choices=DEVICES,
                   help="torch device (default from config: auto = cuda, then mps, then cpu)")
    p.add_argument("--stems", metavar="LIST",
                   help="comma-separated stems to write, e.g. drums,bass (default: all)")
    p.add_argument("--out", metavar="DIR",
                   help="folder for the stems (default: Breakroom's stems folder for this "
                        "track's content, where analysis finds them)")
    p.add_argument("--format", choices=FORMATS,
                   help="stem format, 24-bit (default from config: flac)")
    p.add_argument("--force", action="store_true", help="replace existing stem files")
    p.add_argument("--no-reuse", action="store_true",
                   help="separate again even when matching stems exist")
    p.add_argument("--float32", action="store_true", help="no float16 on CUDA")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Execute ``separate``; 0 on success, 1 when the track could not be separated."""
    stems = tuple(s.strip() for s in args.stems.split(",") if s.strip()) if args.stems else ()
    try:
        cfg = ctx.config
        options = SeparationOptions(
            model=args.model or str(cfg.get("separation.model")),
            device=args.device or str(cfg.get("separation.device")), stems=stems,
            out_dir=args.out, format=args.format or str(cfg.get("separation.format")),
            overwrite=args.force, half=not args.float32, reuse=not args.no_reuse,
            overlap=float(cfg.get("separation.overlap")),
            segment_seconds=float(cfg.get("separation.segment_seconds")))
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None
    ok, result = ctx.run_single(
        args.track, lambda **kw: separate_file(args.track, options, **kw),
        lambda r: f"{args.track}: {len(r.stems)} stems")  # type: ignore[attr-defined]
    if not ok:
        return 1
    assert isinstance(result, SeparationResult)
    speed = result.duration / result.seconds if result.seconds > 0 else 0.0
    if args.json:
        ctx.stdout.write(json.dumps({
            "track": str(result.track), "model": result.model, "backend": result.backend,
            "device": result.device, "reason": result.reason, "reused": result.reused,
            "seconds": round(result.seconds, 3), "duration": round(result.duration, 3),
            "stems": {s: str(p) for s, p in result.stems.items()}}, indent=2) + "\n")
    if not ctx.quiet:
        verb = "reused" if result.reused else "separated"
        print(f"{verb} with {result.backend} — {result.reason}", file=ctx.stderr)
        for stem, path in result.stems.items():
            print(f"  {stem:7s} {path}", file=ctx.stderr)
        if not result.reused:
            print(f"{fmt_seconds(result.duration)} of audio in {result.seconds:.1f} s "
                  f"({speed:.1f}× real time)", file=ctx.stderr)
    return 0
