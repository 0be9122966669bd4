"""The selected track's loop candidates: ranked, with their scores and reasons, one click from
the loop region; Export MIDI and the drag handle below.

A view over the :class:`SessionModel`: it lists ``TrackEntry.loops`` and writes the chosen one
back as ``TrackEntry.loop`` (the views draw it). The bar count picks the loop length the
candidates are ranked for.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.session_model import SessionModel
from app.widgets.drag_handle import DragHandle
from core.analysis.loops import LOOP_BARS

EMPTY_TEXT = "Loop candidates appear here once the track is analysed."


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{rest:05.2f}"


class LoopPanel(QWidget):
    """Ranked loops of the selection (see module docstring).

    Signals
    -------
    bars_changed(int)
        The user picked another loop length (bars); the candidates are ranked again.
    export_requested()
        Export MIDI… was clicked.
    """

    bars_changed = Signal(int)
    export_requested = Signal()

    def __init__(self, session: SessionModel, bars: int = 4,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loop_panel")
        self._session = session
        self._updating = False
        self.bars_combo = QComboBox(self)
        for n in LOOP_BARS:
            self.bars_combo.addItem(f"{n} bar{'s' if n > 1 else ''}", n)
        self.bars_combo.setCurrentIndex(LOOP_BARS.index(bars) if bars in LOOP_BARS else 2)
        self.bars_combo.setToolTip("Length of the loops to rank")
        self.list = QListWidget(self)
        self.list.setObjectName("loop_list")
        self.list.setAlternatingRowColors(True)
        self.reasons = QLabel(EMPTY_TEXT, self)
        self.reasons.setObjectName("loop_reasons")
        self.reasons.setWordWrap(True)
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("Export MIDI…", self)
        self.export_button.setToolTip("Export the loop as quantized drum MIDI (Ctrl+E)")
        self.drag_handle = DragHandle(parent=self)
        self.drag_handle.setToolTip("Drag the exported MIDI (and audio loop) into your DAW")
        top = QHBoxLayout()
        top.addWidget(QLabel("Best loops", self), 1)
        top.addWidget(self.bars_combo)
        bottom = QHBoxLayout()
        bottom.addWidget(self.export_button, 1)
        bottom.addWidget(self.drag_handle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.reasons)
        layout.addLayout(bottom)
        self.bars_combo.currentIndexChanged.connect(
            lambda _i: self.bars_changed.emit(int(self.bars_combo.currentData())))
        self.list.currentRowChanged.connect(self._on_row)
        self.export_button.clicked.connect(self.export_requested)
        session.selection_changed.connect(self.refresh)
        session.track_changed.connect(self._on_changed)
        self.refresh()

    @property
    def bars(self) -> int:
        """The loop length (bars) being ranked."""
        return int(self.bars_combo.currentData())

    def _on_changed(self, track_id: str) -> None:
        if track_id == self._session.selected_id:
            self.refresh()

    def refresh(self, *_: object) -> None:
        """Redraw from the selected track's candidates."""
        entry = self._session.selected_track()
        loops = entry.loops if entry is not None else ()
        self._updating = True
        try:
            self.list.clear()
            for rank, c in enumerate(loops, start=1):
                item = QListWidgetItem(
                    f"{rank}. bars {c.first_bar + 1}–{c.first_bar + c.bars}  "
                    f"{_clock(c.start)}  score {c.score:.2f}")
                item.setToolTip("\n".join(
                    [", ".join(f"{k} {v:.2f}" for k, v in c.scores.items()), *c.reasons]))
                self.list.addItem(item)
            chosen = entry.loop if entry is not None else None
            row = next((k for k, c in enumerate(loops)
                        if chosen and abs(c.start - chosen[0]) < 1e-3
                        and abs(c.end - chosen[1]) < 1e-3), -1)
            self.list.setCurrentRow(row)
        finally:
            self._updating = False
        self.export_button.setEnabled(bool(entry and entry.analysis and entry.loop))
        self._show_reasons()

    def _on_row(self, row: int) -> None:
        self._show_reasons()
        if self._updating or row < 0:
            return
        entry = self._session.selected_track()
        if entry is None or row >= len(entry.loops):
            return
        c = entry.loops[row]
        self._session.update_track(entry.id, loop=(c.start, c.end, c.bars))

    def _show_reasons(self) -> None:
        entry = self._session.selected_track()
        row = self.list.currentRow()
        if entry is None or not entry.loops:
            status = "" if entry is None or entry.analysis is None else \
                "No loop: the track has no beat grid, or the ranking is still running."
            self.reasons.setText(status or EMPTY_TEXT)
            return
        c = entry.loops[row] if 0 <= row < len(entry.loops) else None
        self.reasons.setText("Your own loop region (dragged on the waveform)." if c is None
                             else "\n".join(f"• {r}" for r in c.reasons) or "• clean loop")
