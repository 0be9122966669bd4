"""The drum timeline: one lane per drum instrument present, one block per hit.

A view over the drum hits of a :class:`~core.results.TrackAnalysis`: lanes in
:data:`core.vocabulary.DRUM_INSTRUMENTS` order (only instruments with hits), each hit a small
block whose fill goes from dark to bright with velocity (1–127) and whose outline is as opaque
as the detection is confident. All hits live in one :class:`HitBlocks` item that draws only
those in view, in a handful of batched calls per repaint; hovering and clicking find the hit
under the pointer with a binary search in that lane, so thousands of hits cost nothing extra.
Hovering shows a tooltip, clicking a hit emits :attr:`DrumTimelineView.hitClicked`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent, MouseClickEvent
from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QWidget

from app.views.base import BeatGrid, TimeView, format_time
from app.views.loop_region import LoopRegionModel
from app.views.rect_batch import draw_rects
from app.views.style import HIT_HIGH, HIT_LOW, HIT_OUTLINE, LANE_SHADE
from app.views.time_axis import TimeAxis
from core.results import DrumHit
from core.vocabulary import DRUM_INSTRUMENTS

LANE_LABELS = {
    "kick": "Kick", "snare": "Snare", "clap": "Clap", "rim": "Rim",
    "hihat_closed": "Hi-hat closed", "hihat_pedal": "Hi-hat pedal", "hihat_open": "Hi-hat open",
    "ride": "Ride", "crash": "Crash", "tom_low": "Tom low", "tom_mid": "Tom mid",
    "tom_high": "Tom high", "percussion": "Percussion",
}
"""Display names of the lanes."""
LANE_PX = 22
"""Preferred pixel height of one lane."""
BLOCK_SIZE_PX = 14
"""Height in pixels of a hit block (its width is half that)."""
DENSE_SPACING_PX = 10
"""Below this many pixels per hit in the busiest visible lane, outlines are left out."""
VELOCITY_LEVELS = 16
CONFIDENCE_LEVELS = 5


def lane_label(instrument: str) -> str:
    """Display name of ``instrument``."""
    return LANE_LABELS.get(instrument, instrument.replace("_", " ").capitalize())


def hit_tooltip(hit: DrumHit) -> str:
    """Tooltip text of one hit: time, instrument, velocity and confidence."""
    return (f"{lane_label(hit.instrument)} at {format_time(hit.time, 0.001)}\n"
            f"velocity {hit.velocity} · confidence {hit.confidence:.0%}")


def _block_symbol() -> QPainterPath:
    path = QPainterPath()
    path.addRect(QRectF(-0.25, -0.5, 0.5, 1.0))
    return path


def _lerp(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


_BRUSHES = [QBrush(_lerp(HIT_LOW, HIT_HIGH, k / (VELOCITY_LEVELS - 1)))
            for k in range(VELOCITY_LEVELS)]
_PENS = []
for _k in range(CONFIDENCE_LEVELS):
    _color = QColor(HIT_OUTLINE)
    _color.setAlpha(round(30 + 225 * _k / (CONFIDENCE_LEVELS - 1)))
    _pen = pg.mkPen(_color, width=1)
    _pen.setCosmetic(True)
    _PENS.append(_pen)


def velocity_level(velocity: int) -> int:
    """Shade index (0–15) of a hit at MIDI ``velocity`` 1–127."""
    return round((min(max(velocity, 1), 127) - 1) / 126 * (VELOCITY_LEVELS - 1))


def confidence_level(confidence: float) -> int:
    """Outline-opacity index (0–4) of a hit with detection ``confidence`` 0–1."""
    return round(min(max(confidence, 0.0), 1.0) * (CONFIDENCE_LEVELS - 1))


class _LaneBands(pg.GraphicsObject):
    """Alternate lanes shaded across the whole track."""

    def __init__(self) -> None:
        super().__init__()
        self.lanes = 0
        self.duration = 0.0
        self.setZValue(-30)

    def set_lanes(self, lanes: int, duration: float) -> None:
        self.prepareGeometryChange()
        self.lanes, self.duration = lanes, max(duration, 0.0)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, -0.5, self.duration, float(self.lanes))

    def paint(self, painter: QPainter, *_args: object) -> None:
        painter.setPen(pg.mkPen(None))
        painter.setBrush(QBrush(LANE_SHADE))
        for lane in range(1, self.lanes, 2):
            painter.drawRect(QRectF(0.0, lane - 0.5, self.duration, 1.0))


class HitBlocks(pg.GraphicsObject):
    """The hit blocks, drawn in screen pixels: fills grouped by velocity shade, outlines by
    confidence opacity, one ``drawRects`` call per group over the hits in view only.

    Hover and click resolve the hit under the pointer through the view.
    """

    def __init__(self, view: DrumTimelineView) -> None:
        super().__init__()
        self._view = view
        self.outlines = True
        self.set_data(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), 0)

    def set_data(self, times: np.ndarray, lanes: np.ndarray, shades: np.ndarray,
                 opacities: np.ndarray, lane_count: int) -> None:
        """Hits at ``times`` (s) in ``lanes``, with velocity shade and confidence opacity
        levels (indices into the brushes and pens)."""
        self.prepareGeometryChange()
        order = np.argsort(times, kind="stable")
        times, lanes = np.asarray(times, np.float64)[order], np.asarray(lanes, np.float64)[order]
        self._count = len(times)
        self._lane_count = lane_count
        self._end = float(times[-1]) if len(times) else 0.0
        self._fills = self._groups(times, lanes, np.asarray(shades)[order], len(_BRUSHES))
        self._outlines = self._groups(times, lanes, np.asarray(opacities)[order], len(_PENS))
        self.update()

    @staticmethod
    def _groups(times: np.ndarray, lanes: np.ndarray, levels: np.ndarray,
                count: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """``(level, times, lanes)`` per level present, each sorted by time."""
        masks = ((level, levels == level) for level in range(count))
        return [(level, times[mask], lanes[mask]) for level, mask in masks if mask.any()]

    def __len__(self) -> int:
        return self._count

    def boundingRect(self) -> QRectF:
        """The whole track over all lanes (blocks are a few pixels beyond; events resolve hits
        through the view)."""
        return QRectF(0.0, -0.5, max(self._end, 1e-3), float(max(self._lane_count, 1)))

    def paint(self, painter: QPainter, *_args: object) -> None:
        """Draw the blocks of the hits in view at their pixel size."""
        view_box = self.getViewBox()
        if not self._count or view_box is None:
            return
        (start, end), _ = view_box.viewRange()
        transform = painter.transform()
        scale_x, scale_y = transform.m11(), transform.m22()
        offset_x, offset_y = transform.m31(), transform.m32()
        margin = BLOCK_SIZE_PX / max(abs(scale_x), 1e-9)
        width, height = BLOCK_SIZE_PX / 2, BLOCK_SIZE_PX

        def rects(times: np.ndarray, lanes: np.ndarray) -> np.ndarray:
            lo, hi = np.searchsorted(times, (start - margin, end + margin))
            out = np.empty((hi - lo, 4))
            out[:, 0] = times[lo:hi] * scale_x + offset_x - width / 2
            out[:, 1] = lanes[lo:hi] * scale_y + offset_y - height / 2
            out[:, 2], out[:, 3] = width, height
            return out

        painter.save()
        painter.resetTransform()
        painter.setPen(Qt.PenStyle.NoPen)
        for level, times, lanes in self._fills:
            painter.setBrush(_BRUSHES[level])
            draw_rects(painter, rects(times, lanes))
        if self.outlines:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for level, times, lanes in self._outlines:
                painter.setPen(_PENS[level])
                draw_rects(painter, rects(times, lanes))
        painter.restore()

    def hoverEvent(self, ev: HoverEvent) -> None:
        """Tooltip and highlight for the hit under the pointer."""
        if ev.isExit():
            self._view.set_hovered(None)
            return
        self._view.set_hovered(self._view.hit_at(ev.pos()))

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        """Left click on a hit: emit the view's ``hitClicked``."""
        hit = None
        if ev.button() == Qt.MouseButton.LeftButton:
            hit = self._view.hit_at(ev.pos())
        if hit is None:
            ev.ignore()
            return
        ev.accept()
        self._view.hitClicked.emit(float(hit.time), hit.instrument)


class DrumTimelineView(TimeView):
    """Drum hits of one track, one lane per instrument present.

    Signals
    -------
    hitClicked(float time_s, str instrument)
        The user clicked a hit.
    """

    hitClicked = Signal(float, str)

    def __init__(self, time_axis: TimeAxis, loop_model: LoopRegionModel,
                 parent: QWidget | None = None) -> None:
        self._hits: tuple[DrumHit, ...] = ()
        self._lanes: tuple[str, ...] = ()
        self._lane_times: list[np.ndarray] = []
        self._lane_hits: list[np.ndarray] = []
        self._hovered: DrumHit | None = None
        super().__init__(time_axis, loop_model, y_range=(-0.5, 0.5), parent=parent)
        self.setObjectName("drum_timeline_view")
        self.view_box.invertY(True)
        self.bands = _LaneBands()
        self.plot.addItem(self.bands, ignoreBounds=True)
        self.blocks = HitBlocks(self)
        self.blocks.setZValue(2)  # hits above the loop
        self.plot.addItem(self.blocks, ignoreBounds=True)
        self.highlight = pg.ScatterPlotItem(pxMode=True, size=BLOCK_SIZE_PX + 6,
                                            symbol=_block_symbol(), brush=pg.mkBrush(None),
                                            pen=pg.mkPen("#ffffff", width=2))
        self.highlight.setZValue(10)
        self.plot.addItem(self.highlight, ignoreBounds=True)
        self.grid = BeatGrid(self.plot, (-0.5, 0.5))
        self.left_axis.setStyle(tickLength=0)
        self.left_axis.setTicks([[], []])
        time_axis.durationChanged.connect(self._on_duration)
        self.setMinimumHeight(LANE_PX + 12)
        self._finish_init()

    # -- API ------------------------------------------------------------------------------------

    @property
    def lanes(self) -> tuple[str, ...]:
        """Instruments shown, top to bottom."""
        return self._lanes

    @property
    def hits(self) -> tuple[DrumHit, ...]:
        """All hits shown."""
        return self._hits

    @property
    def hovered(self) -> DrumHit | None:
        """The hit under the pointer, or ``None``."""
        return self._hovered

    def hit_count(self) -> int:
        """Number of hit blocks drawn."""
        return len(self.blocks)

    def set_hits(self, hits: Sequence[DrumHit]) -> None:
        """Show ``hits`` (lanes for the instruments present, in vocabulary order)."""
        self._hits = tuple(hits)
        present = {hit.instrument for hit in self._hits}
        self._lanes = tuple(name for name in DRUM_INSTRUMENTS if name in present)
        lane_of = {name: index for index, name in enumerate(self._lanes)}
        order = sorted(range(len(self._hits)),
                       key=lambda i: (lane_of[self._hits[i].instrument], self._hits[i].time))
        self._lane_times, self._lane_hits = [], []
        lanes = np.array([lane_of[self._hits[i].instrument] for i in order], dtype=np.int64)
        times = np.array([self._hits[i].time for i in order], dtype=np.float64)
        index = np.array(order, dtype=np.int64)
        for lane in range(len(self._lanes)):
            mask = lanes == lane
            self._lane_times.append(times[mask])
            self._lane_hits.append(index[mask])
        self.set_hovered(None)
        self.blocks.set_data(
            times, lanes,
            np.array([velocity_level(self._hits[i].velocity) for i in order], dtype=np.int64),
            np.array([confidence_level(self._hits[i].confidence) for i in order], dtype=np.int64),
            len(self._lanes))
        count = max(len(self._lanes), 1)
        self.left_axis.setTicks([[(float(i), lane_label(name))
                                  for i, name in enumerate(self._lanes)], []])
        self.view_box.setRange(yRange=(-0.5, count - 0.5), padding=0)
        self.grid.y_range = (-0.5, count - 0.5)
        self.bands.set_lanes(len(self._lanes), self.time_axis.duration)
        self.setMinimumHeight(max(1, len(self._lanes)) * 16 + 12)
        self.updateGeometry()
        self._apply_range(*self.time_axis.range)

    def set_grid(self, beats: Sequence[float], downbeats: Sequence[float]) -> None:
        """Draw bar lines (and beat lines when zoomed in) behind the hits."""
        self.grid.set_grid(beats, downbeats)
        self._apply_range(*self.time_axis.range)

    def clear(self) -> None:
        """Remove all hits and lanes."""
        self.set_hits(())
        self.grid.clear()

    def hit_at(self, pos: QPointF) -> DrumHit | None:
        """The hit drawn at ``pos`` (data coordinates: seconds, lane), or ``None``."""
        lane = round(pos.y())
        if not self._lanes or not 0 <= lane < len(self._lanes) or abs(pos.y() - lane) > 0.45:
            return None
        times = self._lane_times[lane]
        if not times.size:
            return None
        per_px = self.view_box.viewPixelSize()[0]
        tolerance = (BLOCK_SIZE_PX / 4 + 2) * per_px
        at = int(np.searchsorted(times, pos.x()))
        best = min((i for i in (at - 1, at) if 0 <= i < times.size),
                   key=lambda i: abs(times[i] - pos.x()))
        if abs(times[best] - pos.x()) > tolerance:
            return None
        return self._hits[int(self._lane_hits[lane][best])]

    def hit_widget_pos(self, hit: DrumHit) -> QPoint:
        """Where ``hit`` is drawn, in this widget's pixels."""
        lane = self._lanes.index(hit.instrument)
        scene = self.view_box.mapViewToScene(QPointF(hit.time, float(lane)))
        return self.mapFromScene(scene)

    def set_hovered(self, hit: DrumHit | None) -> None:
        """Highlight ``hit`` and show its tooltip (``None`` clears both)."""
        if hit is self._hovered:
            return
        self._hovered = hit
        if hit is None:
            self.highlight.clear()
            self.view_box.setToolTip("")
            return
        lane = self._lanes.index(hit.instrument)
        self.highlight.setData(x=[hit.time], y=[float(lane)])
        self.view_box.setToolTip(hit_tooltip(hit))

    # -- drawing --------------------------------------------------------------------------------

    def redraw(self, start_s: float, end_s: float, pixels: float) -> None:
        """Bar lines of the visible range; outlined or plain blocks by how crowded the busiest
        lane is (the hits themselves only move with the view)."""
        self.grid.update(start_s, end_s, pixels)
        crowded = False
        for times in self._lane_times:
            count = int(np.searchsorted(times, end_s) - np.searchsorted(times, start_s))
            if count * DENSE_SPACING_PX > pixels:
                crowded = True
                break
        if crowded == self.blocks.outlines:  # zoomed out, outlines would merge into a bar
            self.blocks.outlines = not crowded
            self.blocks.update()

    @property
    def crowded(self) -> bool:
        """Whether hits are drawn without outlines because they crowd."""
        return not self.blocks.outlines

    def _on_duration(self, seconds: float) -> None:
        self.bands.set_lanes(len(self._lanes), seconds)

    def sizeHint(self) -> QSize:
        """Room for every lane at :data:`LANE_PX`."""
        hint = super().sizeHint()
        hint.setHeight(max(1, len(self._lanes)) * LANE_PX + 16)
        return hint
