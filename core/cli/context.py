"""What every CLI command receives: configuration, verbosity and the output streams."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from core.audio import find_audio_files
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

    def run_single(self, path: str, job: Callable[..., object],
                   done_text: Callable[[object], str]) -> tuple[bool, object]:
        """Run ``job(progress=…, cancel=…)`` on one file with a progress bar.

        Returns ``(True, result)``, or ``(False, None)`` after printing the one-line reason
        (naming ``path``) of any failure; Ctrl+C cancels the job and propagates.
        """
        from core.cli.progress_display import ProgressDisplay
        from core.jobs import CancelToken

        display = ProgressDisplay(self.stderr, 1, enabled=not self.quiet)
        cancel = CancelToken()
        try:
            result = job(cancel=cancel,
                         progress=lambda f, stage: display.update(path, f, stage))
        except KeyboardInterrupt:
            cancel.cancel("interrupted")
            display.close()
            raise
        except Exception as exc:  # every failure is one line naming the file
            display.close()
            print(self.error_line(path, exc), file=self.stderr)
            return False, None
        display.finish(path, done_text(result))
        display.close()
        return True, result

    def collect_inputs(self, paths: Sequence[str]) -> tuple[list[Path], int]:
        """Expand files and folders into audio files.

        A folder holding no audio file is reported on stderr (it is a failed input, never a
        silent no-op). Returns the files and the number of such failures.
        """
        files: list[Path] = []
        failures = 0
        for item in paths:
            found = find_audio_files([item])
            if not found and Path(item).is_dir():
                print(f"{item}: folder contains no audio files", file=self.stderr)
                failures += 1
            files.extend(f for f in found if f not in files)
        return files, failures
