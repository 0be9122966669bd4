"""Cycles made in a worker thread are collected on the UI thread while a context is alive."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from app.context import AppContext
from app.main_thread_gc import FULL_COLLECTION_INTERVAL_S, MainThreadCollector, collect_due


class _Node:
    """A cycle member holding a Qt object, like a closure connected to a signal would."""

    def __init__(self) -> None:
        self.me = self
        self.qobject = QObject()


def _collections_by_thread() -> tuple[list[str], Callable[[str, dict], None]]:
    names: list[str] = []

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            names.append(threading.current_thread().name)

    return names, callback


def test_worker_cycles_are_collected_on_the_ui_thread(
        qtbot: QtBot, make_context: Callable[..., AppContext]) -> None:
    context = make_context()
    assert not gc.isenabled() and context.collector is not None and context.collector.active
    names, callback = _collections_by_thread()
    refs: list[weakref.ref] = []

    def work() -> None:
        for _ in range(3000):  # far past the young generation's threshold
            refs.append(weakref.ref(_Node()))
            _ = [[i] for i in range(50)]

    gc.callbacks.append(callback)
    try:
        thread = threading.Thread(target=work, name="analysis-like")
        thread.start()
        thread.join()
        assert sum(ref() is not None for ref in refs) == len(refs)  # nothing collected there
        qtbot.waitUntil(lambda: all(ref() is None for ref in refs), timeout=5000)
    finally:
        gc.callbacks.remove(callback)
    assert names and set(names) == {threading.main_thread().name}


def test_last_close_restores_automatic_collection(
        make_context: Callable[..., AppContext]) -> None:
    was_enabled = gc.isenabled()
    first, second = make_context(), make_context()
    assert first.collector is second.collector and not gc.isenabled()
    first.close()
    assert not gc.isenabled()  # the second window's services still need it
    second.close()
    second.close()  # idempotent
    assert gc.isenabled() == was_enabled
    MainThreadCollector.acquire().release()
    assert gc.isenabled() == was_enabled


def test_full_collections_are_spaced_out(make_context: Callable[..., AppContext]) -> None:
    make_context()  # automatic collection off, as in the app
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        kept: list[dict] = []

        def generations(now: float, calls: int = 40) -> list[int | None]:
            out = []
            for _ in range(calls):
                kept.extend({} for _ in range(5))  # live tracked objects move the counters
                out.append(collect_due(now))
            return out

        # Later than any full collection an earlier test of this process ran on the clock.
        start = time.monotonic() + 1000.0
        first = generations(start)
        assert 2 in first and first.count(2) == 1  # once, then the middle generation
        assert 1 in first[first.index(2) + 1:]
        assert 2 not in generations(start + FULL_COLLECTION_INTERVAL_S / 2)
        assert 2 in generations(start + FULL_COLLECTION_INTERVAL_S + 0.1)
    finally:
        gc.set_threshold(*thresholds)
