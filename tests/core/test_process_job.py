"""run_in_process: a core job in a child process keeps its contract (result, progress, errors,
cancellation)."""

from __future__ import annotations

import os
import time

import pytest

from core.errors import Cancelled, CoreError, InvalidParameter
from core.jobs import CancelToken, check_cancel, report
from core.process_job import JobProcessFailed, run_in_process


def count_squares(n: int, *, progress=None, cancel=None) -> tuple[int, int]:
    """Sum of squares below ``n`` and the process id that computed it."""
    total = 0
    for k in range(n):
        total += k * k
        report(progress, (k + 1) / n, "counting")
    return total, os.getpid()


def refuse(*, progress=None, cancel=None) -> None:
    raise InvalidParameter("bars must be 1–16, got 0")


def wait_for_cancel(*, progress=None, cancel=None) -> None:
    while True:
        check_cancel(cancel)
        report(progress, 0.5, "waiting")
        time.sleep(0.01)


def die(*, progress=None, cancel=None) -> None:
    os._exit(3)


def test_result_and_progress_come_back_from_another_process() -> None:
    seen: list[tuple[float, str]] = []
    total, pid = run_in_process(count_squares, 5, progress=lambda f, s: seen.append((f, s)))
    assert total == sum(k * k for k in range(5)) and pid != os.getpid()
    assert seen[-1] == (1.0, "counting") and len(seen) == 5


def test_core_errors_keep_their_class_and_message() -> None:
    with pytest.raises(InvalidParameter, match="bars must be 1–16"):
        run_in_process(refuse)


def test_cancel_reaches_the_child() -> None:
    token = CancelToken()
    started = time.monotonic()

    def progress(fraction: float, stage: str) -> None:
        if time.monotonic() - started > 0.3:
            token.cancel("stop")

    with pytest.raises(Cancelled):
        run_in_process(wait_for_cancel, progress=progress, cancel=token)


def test_a_dead_child_is_a_clear_error() -> None:
    with pytest.raises(JobProcessFailed, match="exit code 3"):
        run_in_process(die)
    assert issubclass(JobProcessFailed, CoreError)
