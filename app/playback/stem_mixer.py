"""Per-stem solo, mute and volume: one strip per stem, shown once a track has stems."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.playback.transport import TransportController

__all__ = ["MAX_DB", "MIN_DB", "StemMixerWidget", "StemStrip", "gain_text"]

MIN_DB = -60.0
"""Bottom of a volume slider, in dB; the slider's lowest position is silence (−∞ dB)."""

MAX_DB = 12.0
"""Top of a volume slider, in dB."""

_STEPS_PER_DB = 10  # slider resolution: 0.1 dB


def gain_text(gain_db: float) -> str:
    """A gain for the readout: ``"+3.0 dB"``, ``"0.0 dB"``, ``"−∞ dB"``."""
    if gain_db == -math.inf:
        return "−∞ dB"
    sign = "+" if gain_db > 0 else ("−" if gain_db < 0 else "")
    return f"{sign}{abs(gain_db):.1f} dB"


class StemStrip(QFrame):
    """Name, solo, mute, a vertical volume slider (dB) and its readout for one stem.

    Signals
    -------
    gainChanged(float)
        New gain in dB (``-inf`` at the slider's bottom).
    muteChanged(bool), soloChanged(bool)
        The buttons were toggled.
    """

    gainChanged = Signal(float)
    muteChanged = Signal(bool)
    soloChanged = Signal(bool)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName(f"stem_strip_{name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name_label = QLabel(name, self)
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.solo_button = QToolButton(self)
        self.solo_button.setObjectName("solo_button")
        self.solo_button.setText("S")
        self.solo_button.setCheckable(True)
        self.solo_button.setToolTip(f"Solo {name} (several stems can be soloed)")
        self.mute_button = QToolButton(self)
        self.mute_button.setObjectName("mute_button")
        self.mute_button.setText("M")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip(f"Mute {name}")
        self.slider = QSlider(Qt.Orientation.Vertical, self)
        self.slider.setObjectName("gain_slider")
        self.slider.setRange(round(MIN_DB * _STEPS_PER_DB), round(MAX_DB * _STEPS_PER_DB))
        self.slider.setSingleStep(5)
        self.slider.setPageStep(30)
        self.slider.setValue(0)
        self.slider.setTickPosition(QSlider.TickPosition.TicksLeft)
        self.slider.setTickInterval(6 * _STEPS_PER_DB)
        self.slider.setToolTip(f"{name} volume ({MIN_DB:g} to +{MAX_DB:g} dB; bottom = off)")
        self.readout = QLabel(gain_text(0.0), self)
        self.readout.setObjectName("gain_readout")
        self.readout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.readout.setMinimumWidth(self.readout.fontMetrics().horizontalAdvance("−60.0 dB"))

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        buttons.addWidget(self.solo_button)
        buttons.addWidget(self.mute_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(self.name_label)
        layout.addLayout(buttons)
        layout.addWidget(self.slider, 1, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.readout)

        self.slider.valueChanged.connect(self._on_slider)
        self.mute_button.toggled.connect(self.muteChanged)
        self.solo_button.toggled.connect(self.soloChanged)

    @property
    def gain_db(self) -> float:
        """The slider's gain in dB (``-inf`` at the bottom)."""
        value = self.slider.value()
        if value <= self.slider.minimum():
            return -math.inf
        return value / _STEPS_PER_DB

    def set_gain_db(self, gain_db: float) -> None:
        """Move the slider to ``gain_db`` (clamped; ``-inf`` = bottom); emits gainChanged."""
        if gain_db == -math.inf:
            self.slider.setValue(self.slider.minimum())
        else:
            self.slider.setValue(round(max(MIN_DB, min(MAX_DB, gain_db)) * _STEPS_PER_DB))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt override
        """Double-click the strip: back to 0 dB."""
        self.set_gain_db(0.0)

    def _on_slider(self, _value: int) -> None:
        gain = self.gain_db
        self.readout.setText(gain_text(gain))
        self.gainChanged.emit(gain)


class StemMixerWidget(QWidget):
    """A row of :class:`StemStrip`\\ s, hidden while the track has no stems.

    Parameters
    ----------
    controller
        When given, changes go to :meth:`TransportController.set_stem`, the strips follow its
        ``stemsChanged`` and the widget is disabled (with the reason) when playback is
        unavailable.

    Signals
    -------
    gainChanged(str, float)
        Stem name, gain in dB.
    muteChanged(str, bool), soloChanged(str, bool)
        Stem name, new state.
    """

    gainChanged = Signal(str, float)
    muteChanged = Signal(str, bool)
    soloChanged = Signal(str, bool)

    def __init__(self, controller: TransportController | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stem_mixer")
        self.controller = controller
        self._strips: dict[str, StemStrip] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        if controller is not None:
            self.gainChanged.connect(lambda n, g: controller.set_stem(n, gain_db=g))
            self.muteChanged.connect(lambda n, m: controller.set_stem(n, mute=m))
            self.soloChanged.connect(lambda n, s: controller.set_stem(n, solo=s))
            controller.stemsChanged.connect(self.set_stems)
            controller.availabilityChanged.connect(self._sync_enabled)
            self._sync_enabled()
            self.set_stems(controller.stems)
        else:
            self.set_stems(())

    def _sync_enabled(self, *_: object) -> None:
        controller = self.controller
        if controller is None:
            return
        self.setEnabled(controller.available)
        self.setToolTip("" if controller.available
                        else f"Playback unavailable: {controller.unavailable_reason}")

    @property
    def stem_names(self) -> list[str]:
        """Names of the strips, left to right."""
        return list(self._strips)

    def strip_for(self, name: str) -> StemStrip:
        """The strip of stem ``name``."""
        return self._strips[name]

    def set_stems(self, names: Sequence[str]) -> None:
        """One fresh strip (0 dB, unmuted, no solo) per name; hidden when ``names`` is empty."""
        for strip in self._strips.values():
            self._layout.removeWidget(strip)
            strip.deleteLater()
        self._strips = {}
        for index, name in enumerate(names):
            strip = StemStrip(str(name), self)
            strip.gainChanged.connect(lambda g, n=strip.name: self.gainChanged.emit(n, g))
            strip.muteChanged.connect(lambda m, n=strip.name: self.muteChanged.emit(n, m))
            strip.soloChanged.connect(lambda s, n=strip.name: self.soloChanged.emit(n, s))
            self._layout.insertWidget(index, strip)
            self._strips[strip.name] = strip
        self.setVisible(bool(self._strips))
