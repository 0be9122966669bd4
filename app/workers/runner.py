"""Keep live workers referenced, cancel them together and join them on close."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Signal

from app.workers.worker import Worker

log = logging.getLogger("breakroom.app.workers")


class WorkerRunner(QObject):
    """Owns every started :class:`Worker` until its ``finished`` signal.

    A running ``QThread`` must never be garbage-collected, so the runner holds a reference to
    each worker it started and drops it on ``finished``. :meth:`shutdown` (called when the
    window closes) cancels everything and joins the threads.

    Signals
    -------
    worker_started(object)
        A worker was started (the activity panel adds a row).
    worker_finished(object)
        A worker's thread exited (the activity panel removes the row).
    active_changed(int)
        Number of live workers after a start or a finish.
    """

    worker_started = Signal(object)
    worker_finished = Signal(object)
    active_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workers: list[Worker] = []
        self._closed = False

    @property
    def active_count(self) -> int:
        """Number of workers started and not yet finished."""
        return len(self._workers)

    def workers(self) -> list[Worker]:
        """The live workers, oldest first."""
        return list(self._workers)

    def start(self, worker: Worker) -> Worker:
        """Keep ``worker`` referenced and start it; returns it for chaining.

        Raises ``RuntimeError`` after :meth:`shutdown`.
        """
        if self._closed:
            raise RuntimeError("the worker runner is shut down; no new jobs can start")
        self._workers.append(worker)
        worker.finished.connect(lambda w=worker: self._forget(w))
        worker.start()
        self.worker_started.emit(worker)
        self.active_changed.emit(len(self._workers))
        return worker

    def cancel_all(self) -> None:
        """Ask every live worker to cancel (non-blocking)."""
        for worker in list(self._workers):
            worker.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel all workers and join their threads; refuse new work afterwards.

        Returns ``True`` when every thread exited within ``timeout_ms`` (shared by all).
        """
        self._closed = True
        self.cancel_all()
        deadline = time.monotonic() + timeout_ms / 1000.0
        all_joined = True
        for worker in list(self._workers):
            remaining = max(0, int((deadline - time.monotonic()) * 1000))
            if not worker.wait(remaining):
                all_joined = False
                log.warning("worker %r did not stop within %d ms", worker.title, timeout_ms)
                continue
            self._forget(worker)
        return all_joined

    @property
    def is_shut_down(self) -> bool:
        """True after :meth:`shutdown`."""
        return self._closed

    def _forget(self, worker: Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
            self.worker_finished.emit(worker)
            self.active_changed.emit(len(self._workers))
