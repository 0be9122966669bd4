"""The 2-D latent map: a pyqtgraph scatter of the lab's items with hover, click and lasso.

Colours come from the items' group (tag or file) or, with ``colour_by("tempo")``, a blue→red
ramp over the tempo range. Clips are dots, SysEx presets squares, loops triangles. Hovering
shows the item in a tooltip; clicking makes it current; in lasso mode a drag draws a free
outline and selects the points inside it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QVBoxLayout, QWidget

from app.latent.lab_model import LatentLabModel

_PALETTE = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac",
            "#f06292", "#a1887f", "#90a4ae")
_SYMBOLS = {"clip": "o", "loop": "t"}


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Bool mask of ``points`` ``[n, 2]`` inside ``polygon`` ``[m, 2]`` (even–odd rule)."""
    inside = np.zeros(len(points), dtype=bool)
    if len(polygon) < 3 or len(points) == 0:
        return inside
    x, y = points[:, 0], points[:, 1]
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (x2 - x1) * (y - y1) / (y2 - y1) + x1
        inside ^= crosses & (x < at)
    return inside


class _LassoViewBox(pg.ViewBox):
    """A view box that, in lasso mode, turns a left-button drag into a free outline."""

    def __init__(self, on_lasso, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.lasso = False
        self._on_lasso = on_lasso
        self._points: list[QPointF] = []
        self._path_item = QGraphicsPathItem()
        self._path_item.setPen(QPen(QColor("#ffffff"), 0, Qt.PenStyle.DashLine))
        self.addItem(self._path_item, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if not self.lasso or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        point = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._points = []
        self._points.append(point)
        path = QPainterPath(self._points[0])
        for p in self._points[1:]:
            path.lineTo(p)
        self._path_item.setPath(path)
        if ev.isFinish():
            self._path_item.setPath(QPainterPath())
            self._on_lasso(np.array([[p.x(), p.y()] for p in self._points]))


class LatentMapView(QWidget):
    """The map. ``itemClicked(int)`` when a point is clicked."""

    itemClicked = Signal(int)

    def __init__(self, model: LatentLabModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.colour_mode = "group"
        self._box = _LassoViewBox(self.select_polygon)
        self.plot = pg.PlotWidget(viewBox=self._box, parent=self)
        self.plot.setObjectName("latent_map")
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.scatter = pg.ScatterPlotItem(size=9, hoverable=True, hoverSize=13,
                                          tip=self._tip)
        self.scatter.sigClicked.connect(self._on_clicked)
        self.plot.addItem(self.scatter)
        self.legend = self.plot.addLegend(offset=(8, 8))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        model.coords_changed.connect(self.redraw)
        model.items_changed.connect(self.redraw)
        model.selection_changed.connect(self.redraw)
        model.current_changed.connect(lambda _i: self.redraw())

    def set_lasso(self, on: bool) -> None:
        """Drag to lasso-select (on) or to pan (off)."""
        self._box.lasso = bool(on)

    def colour_by(self, mode: str) -> None:
        """``group`` (tag/file), ``file`` or ``tempo``."""
        self.colour_mode = mode
        self.redraw()

    def select_polygon(self, polygon: np.ndarray) -> None:
        """Select the items inside ``polygon`` (map coordinates)."""
        mask = points_in_polygon(self._model.coords, polygon)
        self._model.set_selection(set(np.flatnonzero(mask).tolist()))

    def _tip(self, x: float, y: float, data: object) -> str:
        items = self._model.items
        if not isinstance(data, int) or not 0 <= data < len(items):
            return ""
        item = items[data]
        tempo = f", {item.tempo:.0f} BPM" if item.tempo else ""
        return f"{item.label}\n{item.kind}: {item.group}{tempo}"

    def _on_clicked(self, _scatter: object, points: list, _ev: object = None) -> None:
        if len(points):
            self.itemClicked.emit(int(points[0].data()))

    def brushes(self) -> list[QColor]:
        """The colour of each item under the current mode."""
        items = self._model.items
        if self.colour_mode == "tempo":
            tempos = np.array([it.tempo or 0.0 for it in items])
            lo, hi = (tempos.min(), tempos.max()) if len(tempos) else (0.0, 1.0)
            t = (tempos - lo) / max(hi - lo, 1e-9)
            return [QColor.fromRgbF(float(v), 0.35, float(1 - v)) for v in t]
        keys = [(it.payload.meta.get("file", it.group) if self.colour_mode == "file"
                 and hasattr(it.payload, "meta") else it.group) for it in items]
        order = list(dict.fromkeys(keys))
        return [QColor(_PALETTE[order.index(k) % len(_PALETTE)]) for k in keys]

    def redraw(self) -> None:
        """Draw every item with its colour, symbol, selection and current outline."""
        model = self._model
        self.legend.clear()
        if not model.items or len(model.coords) != len(model.items):
            self.scatter.setData([])
            return
        brushes = self.brushes()
        spots = []
        for i, (item, brush) in enumerate(zip(model.items, brushes, strict=True)):
            chosen = i in model.selection or i == model.current
            pen = pg.mkPen("#ffffff" if chosen else brush.darker(150),
                           width=2.5 if i == model.current else 1.5 if chosen else 1)
            spots.append({"pos": model.coords[i], "data": i, "brush": pg.mkBrush(brush),
                          "pen": pen, "symbol": _SYMBOLS.get(item.kind.split(":")[0], "s"),
                          "size": 13 if chosen else 9})
        self.scatter.setData(spots)
        if self.colour_mode != "tempo":
            seen: dict[str, QColor] = {}
            for item, brush in zip(model.items, brushes, strict=True):
                seen.setdefault(item.group or item.kind, brush)
            for name, colour in list(seen.items())[:10]:
                self.legend.addItem(pg.ScatterPlotItem(brush=pg.mkBrush(colour), size=9), name)
