"""``breakroom models [list|download NAME|import FILE...]``: separation models and their weights.

``list`` shows every model, what it is for, its published quality and whether its weights are
installed (and where). ``download`` fetches missing weights into torch's standard cache with
progress, checksum verification and resume. ``import`` installs weight files copied from
another machine (recognised by checksum) — the offline way.
"""

from __future__ import annotations

import argparse

from core.cli.context import CliContext
from core.cli.progress_display import ProgressDisplay
from core.cli.tables import format_table
from core.jobs import CancelToken
from core.separation.catalog import MODELS


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``models`` sub-command."""
    p = sub.add_parser("models", parents=[common], help="list, download or import model weights",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("action", nargs="?", default="list", choices=("list", "download", "import"))
    p.add_argument("names", nargs="*", metavar="NAME|FILE",
                   help="model names to download, or weight files to import")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Execute ``models``; 1 when a download or import failed."""
    from core.separation.weights import status, weights_dir

    if args.action == "list":
        rows = []
        for name, info in MODELS.items():
            state = status(name)
            weights = ("not needed" if not info.needs_weights else
                       "installed" if state.ready else f"missing ({len(state.missing)} file"
                       f"{'s' if len(state.missing) > 1 else ''}, ~{info.size_mb:.0f} MB)")
            sdr = f"{info.published_sdr_db:.2f}" if info.published_sdr_db else "–"
            rows.append([name, ",".join(info.stems), sdr, weights, info.summary])
        print(format_table(["model", "stems", "SDR dB", "weights", "what for"], rows),
              file=ctx.stdout)
        print(f"weights folder: {weights_dir()}", file=ctx.stdout)
        return 0
    if not args.names:
        print(f"breakroom models {args.action}: name what to {args.action}", file=ctx.stderr)
        return 2
    failed = 0
    for item in args.names:
        try:
            if args.action == "download":
                from core.separation.weights import download

                display = ProgressDisplay(ctx.stderr, 1, enabled=not ctx.quiet)
                try:
                    paths = download(item, cancel=CancelToken(),
                                     progress=lambda f, s, i=item, d=display: d.update(i, f, s))
                finally:
                    display.close()
                ctx.info(f"{item}: ready ({len(paths)} file(s) downloaded)")
            else:
                from core.separation.weights import import_weights

                ctx.info(f"{item}: installed as {import_weights(item)}")
        except Exception as exc:  # one line per failure, naming the item
            print(ctx.error_line(item, exc), file=ctx.stderr)
            failed += 1
    return 1 if failed else 0
