"""Breakroom entry point: no arguments (or only track paths) opens the window; a sub-command
runs the CLI."""

import sys
from pathlib import Path


def main() -> int:
    """Dispatch to the window or the command line and return the exit status."""
    args = sys.argv[1:]
    if args and not all(not a.startswith("-") and Path(a).exists() for a in args):
        from core.cli import main as cli_main

        return cli_main(args)
    from app import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
