"""Small plots of the lab: the clicked clip's CC curves and the live training curve."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.latent.lab_model import LatentLabModel

_COLOURS = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac",
            "#f06292", "#a1887f", "#90a4ae")


class CcCurveView(QWidget):
    """The CC curves (0–1 over the clip's grid steps) of the auditioned clip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(parent=self)
        self.plot.setYRange(0, 1)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "CC (0–1)")
        self.legend = self.plot.addLegend(offset=(4, 4))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.names: list[str] = []

    def show_curves(self, curves: dict[str, np.ndarray]) -> None:
        """Replace the curves (name → values per step)."""
        self.plot.clear()
        self.legend.clear()
        self.names = list(curves)
        for k, (name, values) in enumerate(curves.items()):
            self.plot.plot(np.asarray(values, dtype=float),
                           pen=pg.mkPen(_COLOURS[k % len(_COLOURS)], width=1.5), name=name)


class LossCurveView(QWidget):
    """Training loss and held-out reconstruction loss per epoch, redrawn on each epoch."""

    def __init__(self, model: LatentLabModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.plot = pg.PlotWidget(parent=self)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.addLegend(offset=(4, 4))
        self.train_curve = self.plot.plot(pen=pg.mkPen("#4fc3f7", width=2), name="train loss")
        self.holdout_curve = self.plot.plot(pen=pg.mkPen("#ffb74d", width=2),
                                            name="held-out recon")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        model.history_changed.connect(self.redraw)

    def redraw(self) -> None:
        """Draw the model's history."""
        history = self._model.history
        epochs = np.array([h["epoch"] for h in history], dtype=float)
        self.train_curve.setData(epochs, np.array([h["train_loss"] for h in history]))
        self.holdout_curve.setData(epochs, np.array([h["holdout_recon"] for h in history]))
