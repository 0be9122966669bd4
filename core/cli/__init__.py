"""Breakroom's command line: ``python main.py <command>`` or ``breakroom <command>``.

Exit status: 0 when everything succeeded, 1 when some input failed (one line per failure naming
the file and the reason), 2 on a usage or configuration error, 130 when interrupted.
Human-readable output (progress, tables, errors) goes to stderr; results go to stdout or files.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from core import __version__
from core.cli import (
    analyze_command,
    info_command,
    latent_command,
    loop2midi_command,
    models_command,
    separate_command,
    sysex_command,
)
from core.cli.context import CliContext, UsageError
from core.config import load_config
from core.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_COMMANDS = (analyze_command, info_command, loop2midi_command, separate_command,
             models_command, sysex_command, latent_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    common = argparse.ArgumentParser(add_help=False)
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true",
                           help="print only errors (and results to stdout)")
    verbosity.add_argument("-v", "--verbose", action="store_true",
                           help="print debug logs and full tracebacks of internal errors")
    common.add_argument("--config", metavar="FILE",
                        help="a YAML file overriding configs/default.yaml")
    parser = argparse.ArgumentParser(
        prog="breakroom", parents=[common],
        description="Breakroom: tempo, beat grid, drums, stems and loops for producers.",
        epilog="Run without a command (python main.py) to open the window.")
    parser.add_argument("--version", action="version", version=f"breakroom {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging(args)
    try:
        config = load_config(user_file=args.config, env=None)
    except ConfigError as exc:
        print(f"breakroom: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ctx = CliContext(config=config, quiet=args.quiet, verbose=args.verbose,
                     stdout=sys.stdout, stderr=sys.stderr)
    try:
        return int(args.handler(args, ctx))
    except UsageError as exc:
        print(f"breakroom {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("breakroom: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _configure_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.verbose else logging.ERROR if args.quiet else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


def entry_point() -> None:
    """Console-script entry: exit with :func:`main`'s status."""
    sys.exit(main())
