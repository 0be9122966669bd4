"""Worker and WorkerRunner: outcome routing, progress throttling, cancellation, joining."""

from __future__ import annotations

import gc
import os
import sys
import threading
import time

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from app.workers.runner import WorkerRunner
from app.workers.worker import (
    BACKGROUND_NICENESS,
    PROGRESS_INTERVAL_S,
    Worker,
    WorkerState,
    running_workers,
)
from core.errors import CorruptAudio
from core.jobs import CancelToken, ProgressCallback, check_cancel, report


def count_to(n: int, *, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None, delay: float = 0.0) -> int:
    """A core-style job: checks the token and reports progress every step."""
    for i in range(n):
        check_cancel(cancel)
        report(progress, (i + 1) / n, "counting")
        if delay:
            time.sleep(delay)
    return n


def until_cancelled(*, progress: ProgressCallback | None = None,
                    cancel: CancelToken | None = None) -> None:
    """Runs until its token is cancelled (then raises Cancelled)."""
    assert cancel is not None
    while True:
        check_cancel(cancel)
        report(progress, 0.5, "waiting")
        cancel.wait(0.01)


def broken_file(path: str, *, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> None:
    """Fails like the core does on a damaged file."""
    raise CorruptAudio(path, "the data chunk ends early; the file is truncated")


def buggy(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> None:
    """Fails with an unexpected exception."""
    _ = 1 / 0


class Recorder:
    """Collects a worker's signals together with the thread each arrived on."""

    def __init__(self, worker: Worker) -> None:
        self.events: list[tuple[str, object]] = []
        self.threads: set[object] = set()
        worker.progressed.connect(lambda f, s: self._add("progressed", (f, s)))
        worker.succeeded.connect(lambda r: self._add("succeeded", r))
        worker.failed.connect(lambda e: self._add("failed", e))
        worker.cancelled.connect(lambda: self._add("cancelled", None))
        worker.finished.connect(lambda: self._add("finished", None))

    def _add(self, name: str, value: object) -> None:
        self.events.append((name, value))
        self.threads.add(QThread.currentThread())

    def names(self, *, without_progress: bool = True) -> list[str]:
        return [n for n, _ in self.events if not (without_progress and n == "progressed")]

    def progress(self) -> list[tuple[float, str]]:
        return [v for n, v in self.events if n == "progressed"]  # type: ignore[misc]

    def value(self, name: str) -> object:
        return next(v for n, v in self.events if n == name)


def run_to_end(qtbot: QtBot, worker: Worker) -> Recorder:
    recorder = Recorder(worker)
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.start()
    return recorder


def test_success_is_routed_on_the_ui_thread(qtbot: QtBot) -> None:
    worker = Worker(count_to, 50, title="count")
    recorder = run_to_end(qtbot, worker)
    assert recorder.names() == ["succeeded", "finished"]
    assert recorder.value("succeeded") == 50
    assert worker.state is WorkerState.SUCCEEDED and worker.result == 50
    assert recorder.progress()[-1] == (1.0, "counting")
    assert recorder.threads == {QThread.currentThread()}
    assert worker.is_done() and not worker.is_running()


def test_core_error_is_routed_to_failed(qtbot: QtBot) -> None:
    worker = Worker(broken_file, "/music/broken.wav")
    recorder = run_to_end(qtbot, worker)
    assert recorder.names() == ["failed", "finished"]
    error = recorder.value("failed")
    assert isinstance(error, CorruptAudio) and "/music/broken.wav" in str(error)
    assert worker.state is WorkerState.FAILED and worker.error is error


def test_unexpected_error_is_routed_to_failed_with_traceback(qtbot: QtBot) -> None:
    worker = Worker(buggy)
    recorder = run_to_end(qtbot, worker)
    assert recorder.names() == ["failed", "finished"]
    assert isinstance(recorder.value("failed"), ZeroDivisionError)
    assert "ZeroDivisionError" in worker.traceback_text


def test_cancel_routes_to_cancelled_not_failed(qtbot: QtBot) -> None:
    worker = Worker(until_cancelled)
    recorder = Recorder(worker)
    worker.start()
    qtbot.waitUntil(lambda: recorder.progress() != [], timeout=10_000)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.cancel()
    assert recorder.names() == ["cancelled", "finished"]
    assert worker.state is WorkerState.CANCELLED


def test_progress_is_throttled_and_the_final_report_delivered(qtbot: QtBot) -> None:
    worker = Worker(count_to, 10_000, delay=0.0001)
    started = time.monotonic()
    recorder = run_to_end(qtbot, worker)
    elapsed = time.monotonic() - started
    reports = recorder.progress()
    assert reports[-1] == (1.0, "counting")
    assert len(reports) <= elapsed / PROGRESS_INTERVAL_S + 3
    assert len(reports) <= 40


def test_last_report_below_one_is_flushed_before_success(qtbot: QtBot) -> None:
    def half_way(*, progress: ProgressCallback, cancel: CancelToken) -> str:
        for i in range(5000):
            progress(i / 10_000, f"step {i}")
        return "ok"

    recorder = run_to_end(qtbot, Worker(half_way))
    assert recorder.progress()[-1] == (4999 / 10_000, "step 4999")
    assert recorder.names() == ["succeeded", "finished"]


def test_a_worker_runs_only_once(qtbot: QtBot) -> None:
    worker = Worker(count_to, 1)
    run_to_end(qtbot, worker)
    with pytest.raises(RuntimeError):
        worker.start()


def test_runner_keeps_unreferenced_workers_alive(qtbot: QtBot) -> None:
    runner = WorkerRunner()
    counts: list[int] = []
    runner.active_changed.connect(counts.append)
    for _ in range(3):
        runner.start(Worker(count_to, 20, delay=0.005))
    gc.collect()
    qtbot.waitUntil(lambda: runner.active_count == 0, timeout=20_000)
    assert counts[:3] == [1, 2, 3] and counts[-1] == 0
    assert running_workers() == []


def test_runner_shutdown_cancels_and_joins_every_thread(qtbot: QtBot) -> None:
    runner = WorkerRunner()
    workers = [runner.start(Worker(until_cancelled, title=f"job {i}")) for i in range(3)]
    qtbot.waitUntil(lambda: all(w.last_progress[1] for w in workers), timeout=10_000)
    assert runner.shutdown(timeout_ms=5000)
    assert all(w.thread_object.isFinished() for w in workers)
    assert runner.active_count == 0 and running_workers() == []
    with pytest.raises(RuntimeError):
        runner.start(Worker(count_to, 1))


def test_runner_shutdown_reports_a_thread_that_will_not_stop(qtbot: QtBot) -> None:
    release = threading.Event()

    def stubborn(*, progress: ProgressCallback, cancel: CancelToken) -> None:
        release.wait(10)  # ignores the token

    runner = WorkerRunner()
    worker = runner.start(Worker(stubborn))
    assert runner.shutdown(timeout_ms=50) is False
    release.set()
    assert worker.wait(5000)


def own_niceness(*, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> int:
    """The scheduling nice value of the thread running this job."""
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_worker_threads_run_below_the_ui_thread(qtbot: QtBot) -> None:
    worker = Worker(own_niceness, title="nice")
    run_to_end(qtbot, worker)
    ui_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert worker.result == min(19, ui_niceness + BACKGROUND_NICENESS)
