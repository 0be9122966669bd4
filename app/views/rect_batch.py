"""Draw many rectangles in one QPainter call from a numpy array.

``QPainter.drawRects(const QRectF *, int)`` takes a C array of rectangles; a float64 array of
shape ``[n, 4]`` (x, y, width, height) has exactly that layout, so it is passed without building
one Python ``QRectF`` per rectangle — thousands of drum hits cost one call per style.
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter


def draw_rects(painter: QPainter, rects: np.ndarray) -> None:
    """Draw ``rects`` (``[n, 4]``: x, y, width, height in the painter's coordinates) with the
    painter's current pen and brush."""
    data = np.ascontiguousarray(rects, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != 4:
        raise ValueError(f"rects must have shape [n, 4], got {data.shape}")
    if not len(data):
        return
    first = shiboken6.wrapInstance(data.ctypes.data, QRectF)
    painter.drawRects(first, len(data))
