"""The one worker abstraction: run exactly one core call on a QThread.

Design
------
``Worker`` is a ``QObject`` that *stays on the UI thread*; it owns a small ``QThread`` subclass
whose ``run()`` calls the core function. We chose this over the ``moveToThread`` pattern
because:

* every public signal (``progressed``, ``succeeded``, ``failed``, ``cancelled``, ``finished``)
  is emitted on the UI thread. The thread side only emits two private signals that are
  connected to the worker's own slots with an explicit ``QueuedConnection``; the slots then
  re-emit the public signals. Receivers of any kind — bound methods, lambdas, pytest-qt
  spies — therefore always run on the UI thread, whatever PySide's receiver-resolution rules
  for plain callables are;
* the object's thread affinity never changes, so there is no ``deleteLater`` / affinity dance
  and ``cancel()`` is an ordinary UI-thread call that only sets a thread-safe
  :class:`core.jobs.CancelToken`;
* ``finished`` is emitted only after the OS thread has exited (``QThread.finished`` followed by
  ``wait()``), so a :class:`app.workers.runner.WorkerRunner` can drop its reference safely.

Progress is throttled *on the worker thread* (before anything is queued to the UI): at most
one ``progressed`` per ``PROGRESS_INTERVAL_S`` plus the first report at 1.0, and the last
report of a successful run is always delivered before ``succeeded``.

Outcome routing: :class:`core.errors.Cancelled` → ``cancelled``; any other exception
(:class:`core.errors.CoreError` or unexpected) → ``failed(exception)``; the formatted traceback
of an unexpected exception is kept in :attr:`Worker.traceback_text` for the notifier's details.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import Cancelled, CoreError
from core.jobs import CancelToken

log = logging.getLogger("breakroom.app.workers")

PROGRESS_INTERVAL_S = 0.1
"""Minimum seconds between two ``progressed`` signals (≤ 10 per second)."""

_LIVE_WORKERS: weakref.WeakSet[Worker] = weakref.WeakSet()


class WorkerState(enum.Enum):
    """Life cycle of a :class:`Worker`."""

    CREATED = "created"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


def running_workers() -> list[Worker]:
    """Workers whose thread has been started and has not finished (a thread-leak guard)."""
    return [w for w in list(_LIVE_WORKERS) if w.is_running()]


class _WorkerThread(QThread):
    """The OS thread of one :class:`Worker`; ``run()`` calls back into the worker."""

    def __init__(self, body: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._body = body

    def run(self) -> None:  # Qt override: runs on the new thread
        """Run the worker's body on this thread, below the UI thread's priority."""
        lower_thread_priority()
        self._body()


BACKGROUND_NICENESS = 5
"""How much lower than the UI thread a worker thread runs (Linux ``nice`` steps)."""


def lower_thread_priority() -> None:
    """Lower the calling thread's scheduling priority, so the UI thread gets a core first
    when every core is busy.

    On Linux the nice value is per thread (``setpriority`` on its thread id); elsewhere Qt's
    thread priority is used. Failure only means the worker keeps the normal priority.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            tid = threading.get_native_id()
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, current + BACKGROUND_NICENESS))
        return
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.Priority.LowPriority)


class _ProgressThrottle:
    """Forward at most one progress report per interval; remember the latest one held back."""

    def __init__(self, emit: Callable[[float, str], None], interval_s: float) -> None:
        self._emit = emit
        self._interval = interval_s
        self._last_time = float("-inf")
        self._last_fraction = -1.0
        self._pending: tuple[float, str] | None = None

    def __call__(self, fraction: float, stage: str) -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        now = time.monotonic()
        first_completion = fraction >= 1.0 > self._last_fraction
        if first_completion or now - self._last_time >= self._interval:
            self._send(fraction, stage, now)
        else:
            self._pending = (fraction, stage)

    def flush(self) -> None:
        """Deliver the last report if it was held back."""
        if self._pending is not None:
            self._send(*self._pending, time.monotonic())

    def _send(self, fraction: float, stage: str, now: float) -> None:
        self._pending = None
        self._last_time = now
        self._last_fraction = fraction
        self._emit(fraction, stage)


class Worker(QObject):
    """Runs ``fn(*args, progress=..., cancel=..., **kwargs)`` once on its own QThread.

    Parameters
    ----------
    fn
        A core-style function accepting keyword arguments ``progress`` (a
        ``Callable[[float, str], None]``) and ``cancel`` (a :class:`CancelToken`).
    *args, **kwargs
        Passed through to ``fn``.
    title
        Short text for the activity panel ("Analyse kick.wav").

    Signals (all emitted on the UI thread)
    --------------------------------------
    progressed(float, str)
        Fraction 0–1 and stage label, throttled to ≤ ~10 per second.
    succeeded(object)
        ``fn``'s return value.
    failed(object)
        The exception (a :class:`CoreError` or anything unexpected).
    cancelled()
        ``fn`` raised :class:`core.errors.Cancelled`.
    finished()
        After exactly one of the three outcomes, once the thread has exited.
    """

    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    _progress_from_thread = Signal(float, str)
    _outcome_from_thread = Signal(str, object)

    def __init__(self, fn: Callable[..., Any], *args: Any, title: str = "",
                 parent: QObject | None = None, **kwargs: Any) -> None:
        super().__init__(parent)
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self.title = title or getattr(fn, "__name__", "job")
        self.token = CancelToken()
        self.state = WorkerState.CREATED
        self.result: Any = None
        self.error: BaseException | None = None
        self.traceback_text = ""
        self.last_progress: tuple[float, str] = (0.0, "")
        self._finished_emitted = False
        self._thread = _WorkerThread(self._execute)
        self._throttle = _ProgressThrottle(self._progress_from_thread.emit, PROGRESS_INTERVAL_S)
        queued = Qt.ConnectionType.QueuedConnection
        self._progress_from_thread.connect(self._on_thread_progress, queued)
        self._outcome_from_thread.connect(self._on_thread_outcome, queued)
        self._thread.finished.connect(self._on_thread_finished, queued)
        _LIVE_WORKERS.add(self)

    # -- UI-thread API --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the thread. A worker runs once; starting it again raises ``RuntimeError``."""
        if self.state is not WorkerState.CREATED:
            raise RuntimeError(f"worker {self.title!r} was already started")
        self.state = WorkerState.RUNNING
        self._thread.start()

    def cancel(self) -> None:
        """Ask the core call to stop at its next cancellation check (non-blocking)."""
        self.token.cancel()

    def is_running(self) -> bool:
        """True between :meth:`start` and the thread's exit."""
        return self.state is not WorkerState.CREATED and not self._thread.isFinished()

    def is_done(self) -> bool:
        """True once the thread has exited (whatever the outcome)."""
        return self.state is not WorkerState.CREATED and self._thread.isFinished()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread exits; returns ``False`` on timeout. Never started → True."""
        if self.state is WorkerState.CREATED:
            return True
        if timeout_ms < 0:
            return bool(self._thread.wait())
        return bool(self._thread.wait(int(timeout_ms)))

    @property
    def thread_object(self) -> QThread:
        """The underlying ``QThread`` (for leak checks)."""
        return self._thread

    # -- worker-thread side -------------------------------------------------------------------

    def _execute(self) -> None:
        """Body of the thread: call ``fn`` and report exactly one outcome."""
        try:
            result = self._fn(*self._args, progress=self._throttle, cancel=self.token,
                              **self._kwargs)
        except Cancelled as exc:
            self._outcome_from_thread.emit("cancelled", exc)
        except CoreError as exc:
            self._outcome_from_thread.emit("failed", exc)
        except Exception as exc:
            self.traceback_text = traceback.format_exc()
            log.error("unexpected error in worker %r:\n%s", self.title, self.traceback_text)
            self._outcome_from_thread.emit("failed", exc)
        else:
            self._throttle.flush()
            self._outcome_from_thread.emit("succeeded", result)

    # -- queued slots (UI thread) -------------------------------------------------------------

    @Slot(float, str)
    def _on_thread_progress(self, fraction: float, stage: str) -> None:
        self.last_progress = (fraction, stage)
        self.progressed.emit(fraction, stage)

    @Slot(str, object)
    def _on_thread_outcome(self, outcome: str, payload: object) -> None:
        if outcome == "succeeded":
            self.state = WorkerState.SUCCEEDED
            self.result = payload
            self.succeeded.emit(payload)
        elif outcome == "cancelled":
            self.state = WorkerState.CANCELLED
            self.cancelled.emit()
        else:
            self.state = WorkerState.FAILED
            self.error = payload if isinstance(payload, BaseException) else None
            self.failed.emit(payload)

    @Slot()
    def _on_thread_finished(self) -> None:
        self._thread.wait()
        if not self._finished_emitted:
            self._finished_emitted = True
            self.finished.emit()

    def __repr__(self) -> str:
        return f"<Worker {self.title!r} {self.state.value}>"
