"""The loop region: one model shared by every view, and the item that draws it in each.

:class:`LoopRegionModel` holds the loop (start and end in seconds, length in bars) and snaps
edges to the bar lines of the track (its downbeats, extended past the last one at the last bar's
length). :class:`LoopRegionItem` draws the model in one plot; an editable item lets the user drag
the loop (body) or resize it (edges) and writes every change back through the model, so the
loop snaps to bars while it is dragged and all views show the same loop at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal

from app.views.style import LOOP_BRUSH, LOOP_HOVER_BRUSH, LOOP_LINE_HOVER_PEN, LOOP_LINE_PEN

_EPS = 1e-6


class LoopRegionModel(QObject):
    """The loop of the shown track, snapped to whole bars.

    Signals
    -------
    loopChanged(float start_s, float end_s, int bars)
        A new loop; ``bars`` is 0 when the track has no bar grid (the edges are then not
        snapped).
    loopCleared()
        The loop was removed.
    """

    loopChanged = Signal(float, float, int)
    loopCleared = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grid = np.zeros(0)
        self._duration = 0.0
        self._loop: tuple[float, float, int] | None = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def grid(self) -> np.ndarray:
        """Bar lines in seconds that loop edges snap to (read-only copy)."""
        return self._grid.copy()

    @property
    def duration(self) -> float:
        """Track length in seconds."""
        return self._duration

    @property
    def loop(self) -> tuple[float, float, int] | None:
        """``(start_s, end_s, bars)`` or ``None`` when no loop is set."""
        return self._loop

    @property
    def has_loop(self) -> bool:
        """Whether a loop is set."""
        return self._loop is not None

    # -- changes --------------------------------------------------------------------------------

    def set_grid(self, downbeats: Sequence[float], duration: float) -> None:
        """Use ``downbeats`` (s) as bar lines of a track of ``duration`` s; clears the loop.

        Bar lines continue after the last downbeat at the last bar's length up to the end.
        """
        self._duration = max(0.0, float(duration))
        lines = np.unique(np.asarray([t for t in downbeats if math.isfinite(t)], float))
        lines = lines[(lines >= 0) & (lines <= self._duration + _EPS)]
        if lines.size >= 2:
            bar = float(lines[-1] - lines[-2])
            extra = np.arange(1, int((self._duration - lines[-1]) / bar + _EPS) + 1) * bar
            lines = np.concatenate([lines, lines[-1] + extra])
        self._grid = lines
        self.clear_loop()

    def snap(self, start_s: float, end_s: float) -> tuple[float, float, int]:
        """``(start, end, bars)``: both edges moved to the nearest bar lines, at least one bar
        apart. Without a grid of two or more bar lines the edges are only clamped (bars 0)."""
        start_s, end_s = sorted((float(start_s), float(end_s)))
        grid = self._grid
        if grid.size < 2:
            start_s = min(max(start_s, 0.0), self._duration)
            end_s = min(max(end_s, start_s), self._duration)
            return start_s, end_s, 0
        first = int(np.argmin(np.abs(grid - start_s)))
        last = int(np.argmin(np.abs(grid - end_s)))
        if last <= first:
            if first + 1 < grid.size:
                last = first + 1
            else:
                first = last - 1
        return float(grid[first]), float(grid[last]), last - first

    def set_loop(self, start_s: float, end_s: float, *, snap: bool = True) -> None:
        """Set the loop to ``start_s``–``end_s`` (snapped to bars unless ``snap`` is false;
        unsnapped loops report the bars they span exactly, else 0)."""
        if not (math.isfinite(start_s) and math.isfinite(end_s)):
            return
        if snap:
            loop = self.snap(start_s, end_s)
        else:
            start_s, end_s = sorted((float(start_s), float(end_s)))
            loop = (start_s, end_s, self._exact_bars(start_s, end_s))
        if loop[1] - loop[0] <= _EPS:
            return
        if self._loop is not None and all(
                abs(a - b) <= _EPS for a, b in zip(self._loop, loop, strict=True)):
            return
        self._loop = loop
        self.loopChanged.emit(*loop)

    def clear_loop(self) -> None:
        """Remove the loop."""
        if self._loop is not None:
            self._loop = None
            self.loopCleared.emit()

    def _exact_bars(self, start_s: float, end_s: float) -> int:
        grid = self._grid
        hits = [int(np.flatnonzero(np.abs(grid - t) <= 1e-3)[0])
                for t in (start_s, end_s) if np.any(np.abs(grid - t) <= 1e-3)]
        return hits[1] - hits[0] if len(hits) == 2 else 0


class LoopRegionItem(pg.LinearRegionItem):
    """The loop of a :class:`LoopRegionModel` drawn in one plot.

    Parameters
    ----------
    model
        The shared loop.
    editable
        Whether the user can drag the loop (body) and its edges here. Every move is snapped
        through the model while dragging; the item settles on the snapped loop when released.
    """

    def __init__(self, model: LoopRegionModel, *, editable: bool) -> None:
        super().__init__(values=(0.0, 1.0), orientation="vertical", brush=LOOP_BRUSH,
                         hoverBrush=LOOP_HOVER_BRUSH if editable else LOOP_BRUSH,
                         pen=LOOP_LINE_PEN,
                         hoverPen=LOOP_LINE_HOVER_PEN if editable else LOOP_LINE_PEN,
                         movable=editable, swapMode="sort")
        self.model = model
        self.editable = editable
        # Above the waveform and image (pyqtgraph offers drags to items in z order, and an item
        # below zero would come after the view box itself); translucent, so nothing is hidden.
        self.setZValue(1)
        self._syncing = False
        model.loopChanged.connect(self._on_loop_changed)
        model.loopCleared.connect(self.hide)
        if editable:
            self.sigRegionChanged.connect(self._on_dragged)
            self.sigRegionChangeFinished.connect(self._on_drag_finished)
        loop = model.loop
        if loop is None:
            self.hide()
        else:
            self._on_loop_changed(*loop)

    @property
    def dragging(self) -> bool:
        """Whether the user is moving the body or an edge right now."""
        return bool(self.moving or any(line.moving for line in self.lines))

    def _on_loop_changed(self, start_s: float, end_s: float, _bars: int) -> None:
        if not self.dragging:
            self._set_quietly(start_s, end_s)
        self.show()

    def _set_quietly(self, start_s: float, end_s: float) -> None:
        self._syncing = True
        try:
            self.setRegion((start_s, end_s))
        finally:
            self._syncing = False

    def _on_dragged(self) -> None:
        if not self._syncing and self.dragging:
            self.model.set_loop(*self.getRegion())

    def _on_drag_finished(self) -> None:
        if self._syncing:
            return
        self.model.set_loop(*self.getRegion())
        loop = self.model.loop
        if loop is not None:
            self._set_quietly(loop[0], loop[1])
