"""Colours, pens and sizes shared by the track views (dark theme, as resources/style/dark.qss).

Palette of the app: background #15161a, surfaces #1c1e23 / #23262d, lines #2d3038, text #dcdfe6,
muted #8b91a0, accent #ff8a3d (orange), ok #3ccfae, error #ff5c6c.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

BACKGROUND = "#181a1e"
"""Plot background (slightly lighter than the window)."""
TEXT = "#dcdfe6"
MUTED = "#8b91a0"
AXIS_LINE = "#3a3e48"
ACCENT = "#ff8a3d"
PLAYHEAD = "#f4f6fa"

WAVE_FILL = QColor(79, 179, 217, 200)
WAVE_LINE = QColor(140, 214, 240)
OVERVIEW_FILL = QColor(110, 120, 140, 190)
VISIBLE_RANGE_BRUSH = QColor(255, 255, 255, 28)
VISIBLE_RANGE_HOVER = QColor(255, 255, 255, 50)

BEAT_PEN = pg.mkPen(QColor(255, 255, 255, 26), width=1)
BAR_PEN = pg.mkPen(QColor(255, 255, 255, 90), width=1)
BAR_LABEL = "#aab0bd"

LOOP_BRUSH = pg.mkBrush(255, 138, 61, 38)
LOOP_HOVER_BRUSH = pg.mkBrush(255, 138, 61, 64)
LOOP_LINE_PEN = pg.mkPen(QColor(255, 138, 61, 200), width=2)
LOOP_LINE_HOVER_PEN = pg.mkPen(QColor(255, 178, 127), width=3)

PLAYHEAD_PEN = pg.mkPen(PLAYHEAD, width=1.5)

HIT_LOW = QColor(90, 62, 44)
"""Fill of a hit at velocity 1 (dark amber); velocity 127 is :data:`HIT_HIGH`."""
HIT_HIGH = QColor(255, 160, 90)
HIT_OUTLINE = QColor(255, 255, 255)
LANE_SHADE = QColor(255, 255, 255, 10)

LEFT_AXIS_WIDTH = 104
"""Pixels of every view's left column (lane names, frequencies), so time lines up."""
RIGHT_GUTTER_WIDTH = 88
"""Pixels of every view's right column (the spectrogram's colour bar), so time lines up."""
RULER_HEIGHT = 26
"""Pixels of the time ruler above the waveform."""

COLOR_MAP_NAME = "magma"


def axis_font() -> QFont:
    """Font of axis and lane labels."""
    font = QFont()
    font.setPointSizeF(9.0)
    return font


def style_axis(axis: pg.AxisItem) -> None:
    """Dark-theme pens and the shared font for ``axis``."""
    axis.setPen(pg.mkPen(AXIS_LINE))
    axis.setTextPen(pg.mkPen(MUTED))
    axis.setTickFont(axis_font())


def color_map() -> pg.ColorMap:
    """The spectrogram colour map: pyqtgraph's magma, else matplotlib's, else a built-in ramp."""
    for source in (None, "matplotlib"):
        try:
            found = pg.colormap.get(COLOR_MAP_NAME, source=source)
        except (FileNotFoundError, ImportError, KeyError, ValueError):
            continue
        if found is not None:
            return found
    stops = [(0, 0, 4), (81, 18, 124), (183, 55, 121), (252, 137, 97), (252, 253, 191)]
    return pg.ColorMap([i / (len(stops) - 1) for i in range(len(stops))], stops)
