"""What every CLI command receives: configuration, verbosity and the output streams."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TextIO

from core.config import Config
from core.errors import CoreError


class UsageError(Exception):
    """Bad combination of arguments; the CLI prints it and exits with status 2."""


@dataclass
class CliContext:
    """Configuration and streams of one CLI run. Results go to ``stdout``, people's text to
    ``stderr``."""

    config: Config
    quiet: bool
    verbose: bool
    stdout: TextIO
    stderr: TextIO

    def info(self, text: str) -> None:
        """Print ``text`` on stderr unless ``--quiet``."""
        if not self.quiet:
            print(text, file=self.stderr)

    def error_line(self, path: str, exc: BaseException) -> str:
        """One line for a failure on ``path``: the reason, never a traceback unless verbose."""
        if isinstance(exc, CoreError):
            text = str(exc)
            return text if path in text else f"{path}: {text}"
        if self.verbose:
            traceback.print_exception(exc, file=self.stderr)
        return (f"{path}: internal error ({type(exc).__name__}: {exc}); "
                "run with --verbose for details and please report it")
