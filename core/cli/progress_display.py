"""Terminal progress for batch jobs: one bar per running file plus an overall bar.

On a terminal the bars are redrawn in place (at most ~10 times per second); elsewhere (a pipe,
a CI log) one line is printed per finished file. Thread-safe: workers report from any thread.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import TextIO

_BAR_WIDTH = 24
_REDRAW_SECONDS = 0.1


def bar(fraction: float, width: int = _BAR_WIDTH) -> str:
    """A text bar such as ``[#########...............]`` for ``fraction`` in 0–1."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "." * (width - filled) + "]"


class ProgressDisplay:
    """Shows per-file and overall progress of ``total`` files on ``stream``."""

    def __init__(self, stream: TextIO, total: int, *, enabled: bool = True) -> None:
        self._stream = stream
        self._total = total
        self._enabled = enabled
        self._live = enabled and stream.isatty()
        self._lock = threading.Lock()
        self._active: dict[str, tuple[float, str]] = {}
        self._done = 0
        self._drawn_lines = 0
        self._last_draw = 0.0

    def update(self, name: str, fraction: float, stage: str) -> None:
        """Record that file ``name`` is at ``fraction`` in ``stage``."""
        with self._lock:
            self._active[name] = (fraction, stage)
            self._maybe_draw()

    def finish(self, name: str, line: str) -> None:
        """Mark ``name`` finished and print ``line`` (its result or error) above the bars."""
        with self._lock:
            self._active.pop(name, None)
            self._done += 1
            if not self._enabled:
                return
            self._clear()
            self._stream.write(f"[{self._done}/{self._total}] {line}\n")
            self._maybe_draw(force=True)

    def close(self) -> None:
        """Remove the live bars."""
        with self._lock:
            self._clear()
            self._stream.flush()

    def _maybe_draw(self, force: bool = False) -> None:
        if not self._live:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < _REDRAW_SECONDS:
            return
        self._last_draw = now
        self._clear()
        width = shutil.get_terminal_size((100, 20)).columns
        overall = (self._done + sum(f for f, _ in self._active.values())) / max(1, self._total)
        lines = [f"{bar(overall)} {overall:4.0%} overall ({self._done}/{self._total} files)"]
        for name, (fraction, stage) in list(self._active.items())[:8]:
            lines.append(f"{bar(fraction)} {fraction:4.0%} {stage:<10} {name}")
        lines = [line[: width - 1] for line in lines]
        self._stream.write("\n".join(lines) + "\n")
        self._stream.flush()
        self._drawn_lines = len(lines)

    def _clear(self) -> None:
        if self._live and self._drawn_lines:
            self._stream.write("\x1b[1A\x1b[2K" * self._drawn_lines)
            self._drawn_lines = 0
