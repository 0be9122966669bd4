"""Cyclic garbage collection on the UI thread only, while a window's services are alive.

Python runs its cycle collector in whichever thread happens to allocate when a generation's
threshold is crossed. In the app that is often a worker thread in the middle of an analysis, and
a cycle that holds a Qt wrapper (a closure connected to a signal, a dialog, a timer) then has its
C++ object destroyed from the wrong thread — Qt's "Timers cannot be stopped from another thread"
at best, a segmentation fault at worst. While at least one :class:`MainThreadCollector` user is
alive, automatic collection is off and a timer on the UI thread runs the collections the
thresholds ask for (the same generations, in the same order, just on the right thread).
Reference counting still frees everything that is not in a cycle at once, in every thread.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QThread, QTimer

#: How often the UI thread checks the allocation counters (ms): often enough that the young
#: generation stays small (a few ms to walk) while workers allocate fast (at 200 ms one walk
#: took up to 24 ms). Between checks garbage in cycles waits; everything else is freed by
#: reference counting as usual.
CHECK_INTERVAL_MS = 50

#: Fewest seconds between two full collections. A full one walks every object made since the
#: heap was frozen (15–20 ms on the UI thread with a track loaded) and Python itself skips most
#: of them (it waits until a quarter of the old objects are new); a due full collection that
#: comes sooner collects the middle generation instead.
FULL_COLLECTION_INTERVAL_S = 10.0

_last_full = [float("-inf")]


def collect_due(now: float | None = None) -> int | None:
    """Run the collection the thresholds ask for, oldest generation first; returns the
    generation collected, or ``None`` when none was due. ``now`` is a ``time.monotonic()``
    reading (s)."""
    now = time.monotonic() if now is None else now
    counts = gc.get_count()
    thresholds = gc.get_threshold()
    for generation in (2, 1, 0):
        if generation < len(thresholds) and thresholds[generation] > 0 \
                and counts[generation] > thresholds[generation]:
            if generation == 2:
                if now - _last_full[0] < FULL_COLLECTION_INTERVAL_S:
                    generation = 1
                else:
                    _last_full[0] = now
            gc.collect(generation)
            return generation
    return None


class MainThreadCollector(QObject):
    """Holds automatic collection off and collects on the UI thread (module docstring).

    Shared: :meth:`acquire` returns the one collector and counts its users; the last
    :meth:`release` stops the timer and turns automatic collection back on if it was on before.
    """

    _instance: MainThreadCollector | None = None

    def __init__(self) -> None:
        super().__init__()
        self._users = 0
        self._was_enabled = False
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(collect_due)

    @classmethod
    def acquire(cls) -> MainThreadCollector:
        """Start (or join) collecting on the calling thread, which must be the UI thread."""
        if cls._instance is None:
            cls._instance = cls()
        collector = cls._instance
        if collector._users == 0:
            if collector.thread() is not QThread.currentThread():
                raise RuntimeError("garbage collection must be moved to the UI thread")
            collector._was_enabled = gc.isenabled()
            gc.disable()
            collector._timer.start()
        collector._users += 1
        return collector

    def release(self) -> None:
        """One user fewer; the last one collects what is due and restores automatic collection."""
        if self._users == 0:
            return
        self._users -= 1
        if self._users == 0:
            self._timer.stop()
            if self._was_enabled:
                gc.enable()
            gc.collect()

    @property
    def active(self) -> bool:
        """Whether automatic collection is held off by this collector now."""
        return self._users > 0
