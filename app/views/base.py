"""Building blocks of the track views: the shared-time view box, the time ruler, the beat grid
and :class:`TimeView`, the base widget of the waveform, spectrogram and drum views.

Every view has the same left column (:data:`~app.views.style.LEFT_AXIS_WIDTH`) and right column
(:data:`~app.views.style.RIGHT_GUTTER_WIDTH`), so one second is at the same x on all of them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QResizeEvent
from PySide6.QtWidgets import QGraphicsSceneWheelEvent, QLabel, QWidget

from app.views.loop_region import LoopRegionItem, LoopRegionModel
from app.views.style import (
    BACKGROUND,
    BAR_LABEL,
    BAR_PEN,
    BEAT_PEN,
    LEFT_AXIS_WIDTH,
    MUTED,
    PLAYHEAD_PEN,
    RIGHT_GUTTER_WIDTH,
    axis_font,
    style_axis,
)
from app.views.time_axis import TimeAxis

WHEEL_ZOOM_BASE = 1.25
"""Zoom factor of one wheel notch (120 units of angle delta)."""
WHEEL_PAN_FRACTION = 0.1
"""Part of the visible span one horizontal wheel notch pans."""
_NICE_STEPS_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
                 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)


def format_time(seconds: float, step_s: float = 1.0) -> str:
    """``m:ss`` (or ``h:mm:ss``) with as many decimals as ``step_s`` needs (≤ 3)."""
    decimals = 0 if step_s >= 1 else min(3, math.ceil(-math.log10(step_s) - 1e-9))
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    scale = 10 ** decimals
    whole = round(seconds * scale)
    minutes, rest = divmod(whole, 60 * scale)
    secs = rest / scale
    text = f"{secs:0{3 + decimals if decimals else 2}.{decimals}f}"
    if minutes >= 60:
        return f"{sign}{minutes // 60}:{minutes % 60:02d}:{text}"
    return f"{sign}{minutes}:{text}"


class TimeTickAxis(pg.AxisItem):
    """A time ruler: ticks at 1-2-5 / 15-30-60 s steps labelled ``m:ss(.fff)``."""

    def tickSpacing(self, minVal: float, maxVal: float,
                    size: float) -> list[tuple[float, float]]:
        """Major steps about 90 px apart, minor steps a fifth (or a half) of that."""
        span = abs(maxVal - minVal)
        if span <= 0 or size <= 0:
            return []
        target = span * 90.0 / size
        index = bisect.bisect_left(_NICE_STEPS_S, target)
        major = _NICE_STEPS_S[min(index, len(_NICE_STEPS_S) - 1)]
        sub = {15.0: 5.0, 30.0: 10.0, 60.0: 15.0, 120.0: 30.0, 300.0: 60.0, 600.0: 120.0,
               900.0: 300.0, 1800.0: 600.0, 3600.0: 900.0, 7200.0: 1800.0}
        first_digit = f"{major:.0e}"[0]
        minor = sub.get(major, major / (4.0 if first_digit == "2" else 5.0))
        return [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float,
                    spacing: float) -> list[str]:
        """``m:ss`` labels with the decimals the spacing needs."""
        return [format_time(v, spacing) for v in values]


class TimeViewBox(pg.ViewBox):
    """A view box whose x range belongs to a :class:`TimeAxis`.

    The wheel zooms around the pointer (horizontal wheel or Shift+wheel pans), a left drag pans,
    a click emits :attr:`clicked`; pyqtgraph's own mouse zoom, auto-range and menu are off.
    ``drag_handler`` may take over left drags (the waveform uses it for Shift+drag loops): it is
    called with ``(event, start_s, now_s)`` and returns whether it handled the drag.
    """

    clicked = Signal(float, object)
    """Left click: time in seconds and the keyboard modifiers."""

    def __init__(self, time_axis: TimeAxis, **kwargs: object) -> None:
        super().__init__(enableMenu=False, **kwargs)
        self.time_axis = time_axis
        self.setMouseEnabled(x=False, y=False)
        self.disableAutoRange()
        self.drag_handler: Callable[[MouseDragEvent, float, float], bool] | None = None
        self._drag_taken = False

    def wheelEvent(self, ev: QGraphicsSceneWheelEvent, axis: int | None = None) -> None:
        """Zoom around the pointer; horizontal wheel or Shift+wheel pans."""
        delta = ev.delta()
        if not delta:
            ev.ignore()
            return
        horizontal = ev.orientation() == Qt.Orientation.Horizontal
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        notches = delta / 120.0
        if horizontal or shift:
            self.time_axis.pan(-notches * WHEEL_PAN_FRACTION * self.time_axis.span)
        else:
            anchor = self.mapToView(ev.pos()).x()
            self.time_axis.zoom(WHEEL_ZOOM_BASE ** notches, anchor)
        ev.accept()

    def mouseDragEvent(self, ev: MouseDragEvent, axis: int | None = None) -> None:
        """Left or middle drag pans (or goes to ``drag_handler``)."""
        button = ev.button()
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            ev.ignore()
            return
        ev.accept()
        handler = self.drag_handler
        if handler is not None and button == Qt.MouseButton.LeftButton:
            start_s = self.mapToView(ev.buttonDownPos()).x()
            now_s = self.mapToView(ev.pos()).x()
            if ev.isStart():
                self._drag_taken = bool(handler(ev, start_s, now_s))
            elif self._drag_taken:
                handler(ev, start_s, now_s)
            if self._drag_taken:
                return
        width = self.width()
        if width <= 0:
            return
        moved_px = ev.pos().x() - ev.lastPos().x()
        self.time_axis.pan(-moved_px * self.time_axis.span / width)

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        """Left click: emit :attr:`clicked` with the time under the pointer."""
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.clicked.emit(self.mapToView(ev.pos()).x(),
                          ev.modifiers())


class BarNumbers(pg.GraphicsObject):
    """Bar numbers as one item: drawn in screen pixels just right of their bar lines, hanging
    from a data height (one paint for all numbers instead of one text item each)."""

    def __init__(self) -> None:
        super().__init__()
        self.times = np.zeros(0)
        self.texts: list[str] = []
        self.top = 0.0
        self._font = axis_font()
        self._pen = pg.mkPen(BAR_LABEL)
        self.setZValue(5)

    def set_numbers(self, times_s: np.ndarray, texts: list[str], top: float) -> None:
        """Show ``texts`` at ``times_s`` (s) below the data height ``top``."""
        self.prepareGeometryChange()
        self.times, self.texts, self.top = np.asarray(times_s, float), texts, top
        self.update()

    def boundingRect(self) -> QRectF:
        """The numbers' time span at their height, plus the text's size in pixels."""
        if not self.texts:
            return QRectF()
        px_w, px_h = abs(self.pixelWidth() or 0.0), abs(self.pixelHeight() or 0.0)
        left, right = float(self.times[0]), float(self.times[-1]) + 64.0 * px_w
        return QRectF(left, self.top - 18.0 * px_h, right - left, 18.0 * px_h)

    def viewTransformChanged(self) -> None:
        """The text keeps its pixel size, so the bounds in data units change with zoom."""
        self.prepareGeometryChange()

    def paint(self, painter: QPainter, *_args: object) -> None:
        """Draw the numbers in device pixels."""
        if not self.texts:
            return
        transform = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._pen)
        for seconds, text in zip(self.times, self.texts, strict=True):
            point = transform.map(QPointF(float(seconds), self.top))
            painter.drawText(QRectF(point.x() + 3.0, point.y() + 1.0, 60.0, 16.0),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), text)
        painter.restore()


class BeatGrid:
    """Beat lines (thin), bar lines (strong) and optional bar numbers in one plot.

    Only what is visible is drawn, thinned to the pixel width: beats only when at least
    6 px apart, bar lines at least 10 px apart (every 2ⁿ-th bar when they crowd), bar numbers
    at least 40 px apart.

    Parameters
    ----------
    plot
        The plot to draw in.
    y_range
        ``(bottom, top)`` of the lines in data coordinates.
    label_y
        Data y of the bar numbers' top edge; ``None`` draws no numbers.
    """

    MAX_LABELS = 64

    def __init__(self, plot: pg.PlotItem, y_range: tuple[float, float],
                 label_y: float | None = None) -> None:
        self.plot = plot
        self.y_range = y_range
        self.label_y = label_y
        self.beats = np.zeros(0)
        self.bars = np.zeros(0)
        self._beat_s = 0.0
        self._bar_s = 0.0
        self.beat_curve = pg.PlotCurveItem(pen=BEAT_PEN, connect="pairs")
        self.bar_curve = pg.PlotCurveItem(pen=BAR_PEN, connect="pairs")
        for curve in (self.beat_curve, self.bar_curve):
            curve.setZValue(-10)
            plot.addItem(curve, ignoreBounds=True)
        self.numbers = BarNumbers()
        plot.addItem(self.numbers, ignoreBounds=True)

    def set_grid(self, beats: Sequence[float], downbeats: Sequence[float]) -> None:
        """Use new beat and downbeat times (s); call :meth:`update` to draw."""
        self.beats = np.asarray(sorted(beats), float)
        self.bars = np.asarray(sorted(downbeats), float)
        self._beat_s = _median_gap(self.beats)
        self._bar_s = _median_gap(self.bars)

    def clear(self) -> None:
        """Remove all lines and numbers."""
        self.set_grid((), ())
        self.beat_curve.setData([], [])
        self.bar_curve.setData([], [])
        self.numbers.set_numbers(np.zeros(0), [], 0.0)

    def visible_labels(self) -> list[str]:
        """The bar numbers shown now, left to right."""
        return list(self.numbers.texts)

    def update(self, start_s: float, end_s: float, pixels: float) -> None:
        """Draw the grid of ``start_s``–``end_s`` on ``pixels`` of width."""
        span = max(end_s - start_s, 1e-9)
        px_per_s = max(pixels, 1.0) / span
        beats = self._visible(self.beats, start_s, end_s)
        if beats.size * 6 <= pixels and (beats.size <= 1 or self._beat_s * px_per_s >= 6):
            self._lines(self.beat_curve, beats)
        else:
            self._lines(self.beat_curve, np.zeros(0))
        first = int(np.searchsorted(self.bars, start_s, side="left"))
        last = int(np.searchsorted(self.bars, end_s, side="right"))
        bar_px = self._bar_s * px_per_s
        line_every = _power_of_two_at_least(10.0 / bar_px) if bar_px > 0 else 1
        label_every = _power_of_two_at_least(40.0 / bar_px) if bar_px > 0 else 1
        numbers = np.arange(first, last)  # 0-based bar index
        self._lines(self.bar_curve, self.bars[first:last][numbers % line_every == 0])
        if self.label_y is not None:
            self._labels(numbers[numbers % label_every == 0])

    def _lines(self, curve: pg.PlotCurveItem, times: np.ndarray) -> None:
        if not times.size:
            curve.setData([], [])
            return
        x = np.repeat(times, 2)
        y = np.tile(np.asarray(self.y_range, float), times.size)
        curve.setData(x, y, connect="pairs")

    def _labels(self, indices: np.ndarray) -> None:
        indices = indices[:self.MAX_LABELS]
        self.numbers.set_numbers(self.bars[indices], [str(int(i) + 1) for i in indices],
                                 float(self.label_y or 0.0))

    @staticmethod
    def _visible(times: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
        lo = int(np.searchsorted(times, start_s, side="left"))
        hi = int(np.searchsorted(times, end_s, side="right"))
        return times[lo:hi]


def _median_gap(times: np.ndarray) -> float:
    return float(np.median(np.diff(times))) if times.size >= 2 else 0.0


def _power_of_two_at_least(value: float) -> int:
    return 1 if value <= 1 else 2 ** math.ceil(math.log2(value))


class TimeView(pg.GraphicsView):
    """Base of the track views: one plot whose x range follows a :class:`TimeAxis`, a
    playhead, the loop, a placeholder text, and fixed left/right columns.

    Subclasses fill :attr:`plot`, override :meth:`redraw` (called with the visible range and
    the plot's pixel width on every range change and resize) and call :meth:`_finish_init`
    once their items exist.
    """

    def __init__(self, time_axis: TimeAxis, loop_model: LoopRegionModel, *,
                 loop_editable: bool = False, y_range: tuple[float, float] = (0.0, 1.0),
                 right_item: pg.GraphicsWidget | None = None,
                 parent: QWidget | None = None, first_row: int = 0) -> None:
        super().__init__(parent)
        self._ready = False
        self.time_axis = time_axis
        self.loop_model = loop_model
        self.setBackground(BACKGROUND)
        # Our own layout (pg.GraphicsLayoutWidget would shadow methods such as clear()).
        self.ci = pg.GraphicsLayout()
        self.setCentralItem(self.ci)
        self.ci.setContentsMargins(0, 2, 0, 2)
        self.ci.setSpacing(0)
        self.view_box = TimeViewBox(time_axis)
        self.left_axis = pg.AxisItem("left")
        style_axis(self.left_axis)
        self.left_axis.setWidth(LEFT_AXIS_WIDTH)
        self.plot: pg.PlotItem = self.ci.addPlot(row=first_row, col=0, viewBox=self.view_box,
                                                 axisItems={"left": self.left_axis})
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("bottom")
        self.plot.layout.setContentsMargins(0, 0, 0, 0)
        self.view_box.setRange(yRange=y_range, padding=0)
        if right_item is None:
            right_item = pg.GraphicsWidget()
        right_item.setMinimumWidth(RIGHT_GUTTER_WIDTH)
        right_item.setMaximumWidth(RIGHT_GUTTER_WIDTH)
        self.right_item = right_item
        self.ci.addItem(right_item, row=first_row, col=1)
        self.playhead = pg.InfiniteLine(angle=90, movable=False, pen=PLAYHEAD_PEN)
        self.playhead.setZValue(20)
        self.playhead.hide()
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.loop_item = LoopRegionItem(loop_model, editable=loop_editable)
        self.plot.addItem(self.loop_item, ignoreBounds=True)
        self.placeholder = QLabel(self)
        self.placeholder.setObjectName("track_view_placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet(
            f"background: transparent; color: {MUTED}; font-size: 11pt;")
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.hide()
        time_axis.rangeChanged.connect(self._on_range)
        time_axis.playheadChanged.connect(self._on_playhead)
        self.view_box.sigResized.connect(self._on_resized)
        self.view_box.setXRange(*time_axis.range, padding=0)

    # -- for subclasses -------------------------------------------------------------------------

    def redraw(self, start_s: float, end_s: float, pixels: float) -> None:
        """Draw what is visible in ``start_s``–``end_s`` on ``pixels`` of width."""

    def set_placeholder(self, text: str | None) -> None:
        """Show ``text`` over the plot (``None`` hides it)."""
        if text:
            self.placeholder.setText(text)
            self.placeholder.show()
            self.placeholder.raise_()
            self._place_placeholder()
        else:
            self.placeholder.hide()

    @property
    def placeholder_text(self) -> str | None:
        """The placeholder shown now, or ``None``."""
        return self.placeholder.text() if self.placeholder.isVisible() else None

    def time_to_widget_x(self, seconds: float) -> float:
        """x in this widget's pixels of the time ``seconds`` (for tests and overlays)."""
        scene = self.view_box.mapViewToScene(QPointF(seconds, 0.0))
        return float(self.mapFromScene(scene).x())

    def plot_width(self) -> float:
        """Width in pixels of the plotting area."""
        return float(self.view_box.width())

    # -- internals ------------------------------------------------------------------------------

    def _finish_init(self) -> None:
        """Start drawing (subclasses call this at the end of their constructor)."""
        self._ready = True
        self._apply_range(*self.time_axis.range)

    def _on_range(self, start_s: float, end_s: float) -> None:
        self._apply_range(start_s, end_s)

    def _apply_range(self, start_s: float, end_s: float) -> None:
        self.view_box.setXRange(start_s, end_s, padding=0)
        # pyqtgraph would apply the new range while painting, which moves every item and asks
        # for a second paint; applying it now keeps it to one paint per change.
        self.view_box.updateMatrix()
        if self._ready:
            self.redraw(start_s, end_s, max(self.plot_width(), 1.0))

    def _on_resized(self) -> None:
        self._apply_range(*self.time_axis.range)

    def _on_playhead(self, seconds: float | None) -> None:
        if seconds is None:
            self.playhead.hide()
        else:
            self.playhead.setPos(seconds)
            self.playhead.show()

    def _place_placeholder(self) -> None:
        margin = LEFT_AXIS_WIDTH
        self.placeholder.setGeometry(margin, 0, max(0, self.width() - margin - RIGHT_GUTTER_WIDTH),
                                     self.height())

    def resizeEvent(self, ev: QResizeEvent) -> None:
        """Keep the placeholder centred over the plot."""
        super().resizeEvent(ev)
        if getattr(self, "placeholder", None) is not None:  # pyqtgraph resizes during __init__
            self._place_placeholder()
