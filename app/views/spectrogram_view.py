"""The spectrogram: one image of a :class:`~core.analysis.spectrogram.SpectrogramImage` in dB.

A view: the image (magma colour map, ``top_db`` below the loudest value), a colour bar with dB
labels on the right, frequency labels in Hz/kHz on the left (the rows are log- or mel-spaced
bands, so the labels sit where those frequencies fall), the loop and the playhead. It shares
the :class:`TimeAxis` with the other views; changing the range only moves the image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QWidget

from app.views.base import TimeView
from app.views.loop_region import LoopRegionModel
from app.views.style import color_map, style_axis
from app.views.time_axis import TimeAxis
from core.analysis.spectrogram import SpectrogramImage

COLOR_BAR_WIDTH = 12
"""Pixels of the colour bar's colour strip."""
MAJOR_TICKS_HZ = (100.0, 1000.0, 10000.0)
MINOR_TICKS_HZ = (50.0, 200.0, 500.0, 2000.0, 5000.0, 20000.0)


def format_hz(hz: float) -> str:
    """``"200 Hz"``, ``"1 kHz"``, ``"2.5 kHz"``."""
    if hz >= 1000:
        return f"{hz / 1000:g} kHz"
    return f"{hz:g} Hz"


def frequency_ticks(freqs_hz: np.ndarray) -> list[list[tuple[float, str]]]:
    """Axis ticks (major, minor) in row coordinates for bands centred at ``freqs_hz``.

    Band *i* covers rows ``[i, i + 1]``; frequencies between centres are placed by
    interpolating on a log-frequency scale.
    """
    if freqs_hz.size < 2:
        return [[], []]
    rows = np.arange(freqs_hz.size) + 0.5
    log_f = np.log(freqs_hz)

    def place(values: tuple[float, ...]) -> list[tuple[float, str]]:
        return [(float(np.interp(np.log(hz), log_f, rows)), format_hz(hz)) for hz in values
                if freqs_hz[0] <= hz <= freqs_hz[-1]]

    return [place(MAJOR_TICKS_HZ), place(MINOR_TICKS_HZ)]


class SpectrogramView(TimeView):
    """Spectrogram of one track on the shared time axis.

    Signals
    -------
    seekRequested(float seconds)
        The user clicked the spectrogram at this time.
    """

    seekRequested = Signal(float)

    def __init__(self, time_axis: TimeAxis, loop_model: LoopRegionModel,
                 parent: QWidget | None = None) -> None:
        self._image: SpectrogramImage | None = None
        self.color_bar = pg.ColorBarItem(values=(-80.0, 0.0), colorMap=color_map(), label="dB",
                                         interactive=False, width=COLOR_BAR_WIDTH,
                                         colorMapMenu=False)
        super().__init__(time_axis, loop_model, right_item=self.color_bar, parent=parent)
        self.setObjectName("spectrogram_view")
        for name in ("left", "right", "top", "bottom"):
            style_axis(self.color_bar.getAxis(name))
        self.color_bar.getAxis("left").setLabel("dB", color="#8b91a0")
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-20)
        self.plot.addItem(self.image_item)
        self.color_bar.setImageItem(self.image_item)
        self.left_axis.setTicks(frequency_ticks(np.zeros(0)))
        self.color_bar.setOpacity(0.0)
        self.view_box.clicked.connect(self._on_clicked)
        self.setMinimumHeight(90)
        self._finish_init()

    @property
    def image(self) -> SpectrogramImage | None:
        """The spectrogram drawn, or ``None``."""
        return self._image

    def set_image(self, image: SpectrogramImage | None) -> None:
        """Draw ``image`` (``None`` removes it)."""
        self._image = image
        if image is None or image.columns == 0:
            self.image_item.clear()
            self.color_bar.setOpacity(0.0)  # hidden, but keeps its place in the layout
            self.left_axis.setTicks(frequency_ticks(np.zeros(0)))
            return
        self.color_bar.setOpacity(1.0)
        low, high = image.display_levels()
        self.image_item.setImage(image.db, autoLevels=False, levels=(low, high))
        half = image.column_s / 2.0
        x0 = float(image.times_s[0]) - half
        width = float(image.times_s[-1]) + half - x0
        self.image_item.setRect(QRectF(x0, 0.0, width, float(image.bins)))
        self.color_bar.setLevels((low, high))
        self.view_box.setRange(yRange=(0.0, float(image.bins)), padding=0)
        self.left_axis.setTicks(frequency_ticks(image.freqs_hz))

    def clear(self) -> None:
        """Remove the image."""
        self.set_image(None)

    def _on_clicked(self, seconds: float, _modifiers: object) -> None:
        if self.time_axis.duration > 0 and 0.0 <= seconds <= self.time_axis.duration:
            self.seekRequested.emit(float(seconds))
