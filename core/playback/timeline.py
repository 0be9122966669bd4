"""Reading a playhead position: clock text and bar.beat from the analysed beat grid."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

__all__ = ["bar_beat", "bar_beat_text", "clock_text"]


def clock_text(seconds: float) -> str:
    """``seconds`` as ``mm:ss.mmm`` (minutes keep counting past 59: ``75:02.125``).

    Negative or non-finite values read as ``00:00.000``.
    """
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0.0
    millis = round(seconds * 1000.0)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{minutes:02d}:{secs:02d}.{millis:03d}"


def bar_beat(seconds: float, beats: Sequence[float],
             downbeats: Sequence[float]) -> tuple[int, int] | None:
    """The 1-based ``(bar, beat)`` the playhead at ``seconds`` is in, or ``None``.

    ``beats`` and ``downbeats`` are sorted times in seconds (as in the analysis result). The bar
    is the number of downbeats at or before ``seconds``; the beat counts the beats from that
    downbeat (the downbeat itself is beat 1). ``None`` before the first downbeat or without a
    grid. A tolerance of 1 ms keeps a playhead parked on a beat from reading as the one before.
    """
    if not beats or not downbeats:
        return None
    t = seconds + 1e-3
    bar = bisect.bisect_right(downbeats, t)
    if bar == 0:
        return None
    bar_start = downbeats[bar - 1]
    first = bisect.bisect_left(beats, bar_start - 1e-3)
    last = bisect.bisect_right(beats, t)
    return bar, max(1, last - first)


def bar_beat_text(seconds: float, beats: Sequence[float], downbeats: Sequence[float]) -> str:
    """``"bar.beat"`` (``"12.3"``), or ``"–.–"`` when the position is off the grid."""
    found = bar_beat(seconds, beats, downbeats)
    return "–.–" if found is None else f"{found[0]}.{found[1]}"
