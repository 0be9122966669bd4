"""Progress reporting and cancellation shared by every slow core function.

A slow function takes ``progress: ProgressCallback | None`` and ``cancel: CancelToken | None``.
It calls ``progress(fraction, stage)`` with a fraction in [0, 1] and a short stage label, and
calls ``cancel.raise_if_cancelled()`` between chunks of work. Composite jobs split 0–1 among
their stages with :func:`split_progress` / :class:`StagedProgress`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from core.errors import Cancelled, InvalidParameter

ProgressCallback = Callable[[float, str], None]


class CancelToken:
    """A thread-safe, one-way cancellation flag.

    The UI (or a signal handler) calls :meth:`cancel`; the worker polls :attr:`cancelled` or calls
    :meth:`raise_if_cancelled` between chunks.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        """Request cancellation. Idempotent; the first reason wins."""
        if not self._event.is_set():
            self._reason = reason
            self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds for cancellation; returns whether it happened."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        """Raise :class:`core.errors.Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled(self._reason)


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set; a ``None`` token never cancels."""
    if cancel is not None:
        cancel.raise_if_cancelled()


def report(progress: ProgressCallback | None, fraction: float, stage: str) -> None:
    """Call ``progress`` if given, clamping ``fraction`` to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), stage)


def scaled(progress: ProgressCallback | None, start: float, end: float,
           prefix: str = "") -> ProgressCallback | None:
    """Map a sub-job's 0–1 progress onto ``[start, end]`` of the parent's progress.

    ``prefix`` is prepended to the sub-job's stage label (``"file.wav: decode"``).
    Returns ``None`` when ``progress`` is ``None`` so callees can skip reporting.
    """
    if progress is None:
        return None
    if not 0.0 <= start <= end <= 1.0:
        raise InvalidParameter(
            f"progress range must satisfy 0 <= start <= end <= 1, got {start}, {end}")
    span = end - start

    def sub(fraction: float, stage: str) -> None:
        label = f"{prefix}{stage}" if prefix else stage
        report(progress, start + span * min(1.0, max(0.0, fraction)), label)

    return sub


def split_progress(progress: ProgressCallback | None,
                   weights: Sequence[float]) -> list[ProgressCallback | None]:
    """Split 0–1 among stages in proportion to ``weights`` (positive numbers).

    Returns one callback per stage; stage *i* reports within its own slice of [0, 1].
    """
    if not weights or any(w <= 0 for w in weights):
        raise InvalidParameter(f"stage weights must be positive, got {list(weights)}")
    total = float(sum(weights))
    bounds = [0.0]
    for w in weights:
        bounds.append(bounds[-1] + w / total)
    bounds[-1] = 1.0
    return [scaled(progress, bounds[i], bounds[i + 1]) for i in range(len(weights))]


class StagedProgress:
    """Walk a composite job through named, weighted stages.

    >>> stages = StagedProgress(cb, {"decode": 1, "onsets": 3})
    >>> sub = stages.begin("decode")   # callback for the decode stage
    >>> stages.done()                  # reports 1.0, "done"
    """

    def __init__(self, progress: ProgressCallback | None, weights: dict[str, float]) -> None:
        self._progress = progress
        self._names = list(weights)
        self._subs = dict(zip(self._names, split_progress(progress, list(weights.values())),
                              strict=True))

    def begin(self, name: str) -> ProgressCallback | None:
        """Report the start of stage ``name`` and return its callback."""
        if name not in self._subs:
            raise InvalidParameter(f"unknown stage {name!r}; known: {', '.join(self._names)}")
        sub = self._subs[name]
        report(sub, 0.0, name)
        return sub

    def done(self) -> None:
        """Report completion of the whole job."""
        report(self._progress, 1.0, "done")
