"""A compact transport strip: play/pause, stop, loop, metronome, time and bar.beat."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.playback.transport import TransportController
from core.playback.timeline import clock_text

__all__ = ["TransportBar"]

METRONOME_MIN_DB = -40
"""Quietest click level the spin box offers, dBFS."""


class TransportBar(QWidget):
    """Buttons for the controller's actions, the playhead as ``mm:ss.mmm`` and ``bar.beat``,
    and the metronome's level.

    The buttons show the controller's actions, so their enabled state and tooltips (the
    reason when playback is unavailable) follow the controller by themselves.
    """

    def __init__(self, controller: TransportController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transport_bar")
        self.controller = controller
        self.play_button = self._button(controller.play_action, "play_button")
        self.stop_button = self._button(controller.stop_action, "stop_button")
        self.loop_button = self._button(controller.loop_action, "loop_button")
        self.metronome_button = self._button(controller.metronome_action, "metronome_button")
        self.metronome_button.setText("Click")
        self.metronome_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.time_label = QLabel(clock_text(0.0), self)
        self.time_label.setObjectName("time_label")
        self.time_label.setFont(fixed)
        self.time_label.setToolTip("Playhead (minutes:seconds.milliseconds)")
        self.bar_beat_label = QLabel("–.–", self)
        self.bar_beat_label.setObjectName("bar_beat_label")
        self.bar_beat_label.setFont(fixed)
        self.bar_beat_label.setToolTip("Bar.beat on the analysed beat grid")
        self.bar_beat_label.setMinimumWidth(self.bar_beat_label.fontMetrics()
                                            .horizontalAdvance("0000.00"))

        self.level_box = QSpinBox(self)
        self.level_box.setObjectName("metronome_level")
        self.level_box.setRange(METRONOME_MIN_DB, 0)
        self.level_box.setSuffix(" dB")
        self.level_box.setValue(round(controller.metronome_level_db))
        self.level_box.setToolTip("Metronome click level (dBFS)")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        for widget in (self.play_button, self.stop_button, self.loop_button):
            layout.addWidget(widget)
        layout.addSpacing(8)
        layout.addWidget(self.time_label)
        layout.addSpacing(6)
        layout.addWidget(self.bar_beat_label)
        layout.addSpacing(8)
        layout.addWidget(self.metronome_button)
        layout.addWidget(self.level_box)
        layout.addStretch(1)

        controller.positionChanged.connect(self.show_position)
        controller.availabilityChanged.connect(self._sync_enabled)
        self.level_box.valueChanged.connect(
            lambda value: controller.set_metronome_level(float(value)))
        self._sync_enabled()

    def _button(self, action: object, name: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setDefaultAction(action)  # type: ignore[arg-type]
        button.setAutoRaise(True)
        return button

    def _sync_enabled(self, *_: object) -> None:
        available = self.controller.available
        self.level_box.setEnabled(available)
        tip = "" if available else f"Playback unavailable: {self.controller.unavailable_reason}"
        self.setToolTip(tip)
        if not available:
            self.level_box.setToolTip(tip)

    def show_position(self, seconds: float) -> None:
        """Show the playhead at ``seconds``."""
        self.time_label.setText(clock_text(seconds))
        self.bar_beat_label.setText(self.controller.bar_beat_text(seconds))
