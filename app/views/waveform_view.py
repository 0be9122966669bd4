"""The waveform: an overview strip of the whole track above a detail view of the visible range.

A view: it draws a :class:`~core.audio.peaks.PeakPyramid`, the beat grid and the loop, and
turns the user's gestures into calls on the shared :class:`TimeAxis` and
:class:`LoopRegionModel`:

* overview — the whole track with a bright rectangle over the visible range; drag the
  rectangle (or its edges) to pan (or zoom), click elsewhere to jump there;
* detail — the min/max envelope of the visible range, decimated to the pixel width (one
  polygon of at most two points per pixel, whatever the zoom and track length), beat lines,
  bar lines with bar numbers, the loop (drag or resize it; Shift+drag draws a new one) and
  the playhead; wheel zooms around the pointer, drag pans, a click asks to seek there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QWidget

from app.views.base import BeatGrid, TimeTickAxis, TimeView, TimeViewBox
from app.views.loop_region import LoopRegionItem, LoopRegionModel
from app.views.style import (
    LEFT_AXIS_WIDTH,
    OVERVIEW_FILL,
    PLAYHEAD_PEN,
    RIGHT_GUTTER_WIDTH,
    RULER_HEIGHT,
    VISIBLE_RANGE_BRUSH,
    VISIBLE_RANGE_HOVER,
    WAVE_FILL,
    WAVE_LINE,
    style_axis,
)
from app.views.time_axis import TimeAxis
from core.audio.peaks import PeakPyramid

OVERVIEW_HEIGHT = 44
"""Pixels of the overview strip."""
WAVE_TOP = 1.05
"""Data y of the top of the waveform area (full scale is 1.0)."""
LABEL_STRIP_TOP = 1.45
"""Data y of the top of the bar-number strip above the waveform."""
COLUMN_MODE_PX = 1.5
"""Buckets at most this many pixels apart are drawn one line each (else per pixel column)."""


class MinMaxItem(pg.GraphicsObject):
    """A min/max envelope drawn as vertical lines, one per screen pixel column or bucket.

    Where buckets are at most :data:`COLUMN_MODE_PX` apart on screen, each bucket is one line
    from its minimum to its maximum. Zoomed in further, the envelope is interpolated at every
    pixel column and outlined along the maxima and minima. Lines keep the raster engine fast:
    filling a zig-zag polygon of a few hundred vertices costs it ~15 ms, the same envelope as
    lines well under 1 ms.
    """

    MAX_COLUMNS = 16384

    def __init__(self, fill: QColor, line: QColor | None = None) -> None:
        super().__init__()
        self._times = np.zeros(0)
        self._mins = np.zeros(0)
        self._maxs = np.zeros(0)
        self._spacing_s = 0.0
        self._columns: QPainterPath | None = None
        self._outline: QPainterPath | None = None
        self._pixel_fill: QPainterPath | None = None
        self._pixel_key: tuple[float, float] | None = None
        self._rect = QRectF()
        self._column_pen = pg.mkPen(fill, width=1)
        self._column_pen.setCosmetic(True)
        self._outline_pen = pg.mkPen(line if line is not None else fill, width=1)
        self._outline_pen.setCosmetic(True)
        self.point_count = 0

    def set_data(self, times_s: np.ndarray, mins: np.ndarray, maxs: np.ndarray) -> None:
        """Replace the envelope: bucket times (s) with their minima and maxima."""
        self.prepareGeometryChange()
        self.point_count = int(times_s.size)
        self._times = np.asarray(times_s, dtype=np.float64)
        self._mins = np.asarray(mins, dtype=np.float64)
        self._maxs = np.maximum(np.asarray(maxs, dtype=np.float64), self._mins + 1e-4)
        self._spacing_s = float(np.median(np.diff(self._times[:64]))) if times_s.size > 1 else 0
        self._columns = self._outline = self._pixel_fill = None
        self._pixel_key = None
        if times_s.size == 0:
            self._rect = QRectF()
        else:
            low, high = float(self._mins.min()), float(self._maxs.max())
            self._rect = QRectF(float(self._times[0]), low - 0.01,
                                float(self._times[-1] - self._times[0]), high - low + 0.02)
        self.update()

    def boundingRect(self) -> QRectF:
        """Bounds of the envelope in data coordinates."""
        return self._rect

    def paint(self, painter: QPainter, *_args: object) -> None:
        """Draw per-bucket or per-pixel columns, whichever suits the current zoom."""
        if self._times.size == 0:
            return
        transform = painter.worldTransform()
        scale, offset = transform.m11(), transform.dx()
        if scale == 0:
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if abs(scale) * self._spacing_s <= COLUMN_MODE_PX:
            if self._columns is None:
                self._columns = _column_path(self._times, self._mins, self._maxs)
            painter.setPen(self._column_pen)
            painter.drawPath(self._columns)
            return
        if self._pixel_key != (scale, offset):
            ends = sorted((self._times[0] * scale + offset, self._times[-1] * scale + offset))
            first = math.ceil(ends[0])
            last = min(math.floor(ends[1]), first + self.MAX_COLUMNS)
            times = (np.arange(first, last + 1) + 0.5 - offset) / scale
            self._pixel_fill = _column_path(times, np.interp(times, self._times, self._mins),
                                            np.interp(times, self._times, self._maxs))
            self._pixel_key = (scale, offset)
        if self._outline is None:
            count = self._times.size
            connect = np.ones(2 * count, dtype=bool)
            connect[count - 1] = False  # two polylines: maxima, then minima
            self._outline = pg.arrayToQPath(np.concatenate([self._times, self._times]),
                                            np.concatenate([self._maxs, self._mins]),
                                            connect=connect, finiteCheck=False)
        painter.setPen(self._column_pen)
        painter.drawPath(self._pixel_fill)
        painter.setPen(self._outline_pen)
        painter.drawPath(self._outline)


def _column_path(times: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> QPainterPath:
    """One vertical segment per time from ``lows`` to ``highs``."""
    x = np.repeat(times, 2)
    y = np.empty(x.size)
    y[0::2] = lows
    y[1::2] = highs
    return pg.arrayToQPath(x, y, connect="pairs", finiteCheck=False)


class _OverviewBox(TimeViewBox):
    """The overview's view box: a click or drag outside the visible-range rectangle moves the
    visible range there; the wheel zooms around the pointer (as in every view)."""

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        """Centre the visible range on the clicked time."""
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.time_axis.centre_on(self.mapToView(ev.pos()).x())
        else:
            ev.ignore()

    def mouseDragEvent(self, ev: MouseDragEvent, axis: int | None = None) -> None:
        """Scrub the visible range along the track."""
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.time_axis.centre_on(self.mapToView(ev.pos()).x())
        else:
            ev.ignore()


class WaveformView(TimeView):
    """Overview strip and detail waveform of one track.

    Parameters
    ----------
    time_axis
        The shared visible range.
    loop_model
        The shared loop (editable here).

    Signals
    -------
    seekRequested(float seconds)
        The user clicked the detail waveform at this time.
    """

    seekRequested = Signal(float)

    def __init__(self, time_axis: TimeAxis, loop_model: LoopRegionModel,
                 parent: QWidget | None = None) -> None:
        self._pyramid: PeakPyramid | None = None
        self._syncing_overview = False
        self.overview_box = _OverviewBox(time_axis)
        super().__init__(time_axis, loop_model, loop_editable=True,
                         y_range=(-WAVE_TOP, LABEL_STRIP_TOP), parent=parent, first_row=1)
        self.setObjectName("waveform_view")
        self._build_overview()
        self.ruler = TimeTickAxis("top")
        style_axis(self.ruler)
        self.ruler.setHeight(RULER_HEIGHT)
        self.plot.setAxisItems({"top": self.ruler})
        self.plot.showAxis("top")
        self.left_axis.setTicks([[(0.0, "Waveform")], []])
        self.left_axis.setStyle(tickLength=0)
        self.wave = MinMaxItem(WAVE_FILL, WAVE_LINE)
        self.plot.addItem(self.wave, ignoreBounds=True)
        self.grid = BeatGrid(self.plot, (-WAVE_TOP, LABEL_STRIP_TOP), label_y=LABEL_STRIP_TOP)
        self.view_box.clicked.connect(self._on_clicked)
        self.view_box.drag_handler = self._shift_drag_loop
        time_axis.durationChanged.connect(self._on_duration)
        self.setMinimumHeight(OVERVIEW_HEIGHT + RULER_HEIGHT + 90)
        self._on_duration(time_axis.duration)
        self._finish_init()

    # -- construction ---------------------------------------------------------------------------

    def _build_overview(self) -> None:
        axis = pg.AxisItem("left")
        style_axis(axis)
        axis.setWidth(LEFT_AXIS_WIDTH)
        axis.setTicks([[(0.0, "Overview")], []])
        axis.setStyle(tickLength=0)
        self.overview = self.ci.addPlot(row=0, col=0, viewBox=self.overview_box,
                                        axisItems={"left": axis})
        self.overview.hideButtons()
        self.overview.setMenuEnabled(False)
        self.overview.hideAxis("bottom")
        self.overview.layout.setContentsMargins(0, 0, 0, 0)
        gutter = pg.GraphicsWidget()
        gutter.setMinimumWidth(RIGHT_GUTTER_WIDTH)
        gutter.setMaximumWidth(RIGHT_GUTTER_WIDTH)
        self.ci.addItem(gutter, row=0, col=1)
        self.ci.layout.setRowFixedHeight(0, OVERVIEW_HEIGHT)
        self.overview_box.setRange(xRange=(0.0, 1.0), yRange=(-1.05, 1.05), padding=0)
        self.overview_wave = MinMaxItem(OVERVIEW_FILL)
        self.overview.addItem(self.overview_wave, ignoreBounds=True)
        self.overview_loop = LoopRegionItem(self.loop_model, editable=False)
        self.overview.addItem(self.overview_loop, ignoreBounds=True)
        self.visible_range = pg.LinearRegionItem(
            values=(0.0, 1.0), orientation="vertical", brush=VISIBLE_RANGE_BRUSH,
            hoverBrush=VISIBLE_RANGE_HOVER, pen=pg.mkPen(255, 255, 255, 110),
            hoverPen=pg.mkPen(255, 255, 255, 200), swapMode="block")
        self.visible_range.setZValue(10)
        self.visible_range.sigRegionChanged.connect(self._on_visible_range_dragged)
        self.overview.addItem(self.visible_range, ignoreBounds=True)
        self.overview_playhead = pg.InfiniteLine(angle=90, movable=False, pen=PLAYHEAD_PEN)
        self.overview_playhead.hide()
        self.overview.addItem(self.overview_playhead, ignoreBounds=True)
        self.overview_box.sigResized.connect(self._draw_overview)

    # -- API ------------------------------------------------------------------------------------

    @property
    def pyramid(self) -> PeakPyramid | None:
        """The peaks drawn, or ``None``."""
        return self._pyramid

    def set_peaks(self, pyramid: PeakPyramid | None) -> None:
        """Draw ``pyramid`` (``None`` removes the waveform)."""
        self._pyramid = pyramid
        self._draw_overview()
        self._apply_range(*self.time_axis.range)

    def set_grid(self, beats: Sequence[float], downbeats: Sequence[float]) -> None:
        """Draw beat lines at ``beats`` and bar lines with numbers at ``downbeats`` (s)."""
        self.grid.set_grid(beats, downbeats)
        self._apply_range(*self.time_axis.range)

    def clear(self) -> None:
        """Remove waveform and grid."""
        self._pyramid = None
        self.grid.clear()
        self.wave.set_data(np.zeros(0), np.zeros(0), np.zeros(0))
        self.overview_wave.set_data(np.zeros(0), np.zeros(0), np.zeros(0))

    # -- drawing --------------------------------------------------------------------------------

    def redraw(self, start_s: float, end_s: float, pixels: float) -> None:
        """Envelope and grid of the visible range; move the overview's rectangle."""
        if self._pyramid is not None:
            self.wave.set_data(*self._pyramid.view(start_s, end_s, int(pixels)))
        self.grid.update(start_s, end_s, pixels)
        self._syncing_overview = True
        try:
            self.visible_range.setRegion((start_s, end_s))
        finally:
            self._syncing_overview = False

    def _draw_overview(self) -> None:
        pyramid = self._pyramid
        if pyramid is None:
            self.overview_wave.set_data(np.zeros(0), np.zeros(0), np.zeros(0))
            return
        width = max(int(self.overview_box.width()), 64)
        self.overview_wave.set_data(*pyramid.view(0.0, pyramid.duration, width))

    def _on_duration(self, seconds: float) -> None:
        self.overview_box.setXRange(0.0, seconds if seconds > 0 else 1.0, padding=0)
        self.visible_range.setBounds((0.0, seconds) if seconds > 0 else (None, None))

    def _on_playhead(self, seconds: float | None) -> None:
        super()._on_playhead(seconds)
        if seconds is None:
            self.overview_playhead.hide()
        else:
            self.overview_playhead.setPos(seconds)
            self.overview_playhead.show()

    # -- gestures -------------------------------------------------------------------------------

    def _on_visible_range_dragged(self) -> None:
        if not self._syncing_overview:
            self.time_axis.set_range(*self.visible_range.getRegion())

    def _on_clicked(self, seconds: float, _modifiers: object) -> None:
        if self.time_axis.duration > 0 and 0.0 <= seconds <= self.time_axis.duration:
            self.seekRequested.emit(float(seconds))

    def _shift_drag_loop(self, ev: MouseDragEvent, start_s: float, now_s: float) -> bool:
        """Shift+drag draws a new loop (snapped to bars)."""
        if ev.isStart():
            shift = ev.modifiers() & Qt.KeyboardModifier.ShiftModifier
            if not shift:
                return False
        if abs(now_s - start_s) > 0:
            self.loop_model.set_loop(start_s, now_s)
        return True
