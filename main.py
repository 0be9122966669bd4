"""Breakroom entry point: no arguments opens the window; a sub-command runs the CLI."""

import sys


def main() -> int:
    """Dispatch to the window or the command line and return the exit status."""
    if len(sys.argv) > 1:
        from core.cli import main as cli_main

        return cli_main(sys.argv[1:])
    from app import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
