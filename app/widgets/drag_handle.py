"""A grip that drags exported files (the loop's .mid and .wav) out into a DAW or a folder."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QDrag, QMouseEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget

__all__ = ["DragHandle"]

GRIP = "⠿"
"""The grip glyph drawn left of the text."""


class DragHandle(QWidget):
    """Press and drag to hand files to another application as ``file://`` URLs.

    Enabled only while at least one of its files exists; files that do not exist (not
    exported yet, or deleted since) are left out of the drag.

    Signals
    -------
    dragStarted(list)
        The paths (``str``) a drag is starting with.
    """

    dragStarted = Signal(list)

    def __init__(self, text: str = "Drag the loop into your DAW",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drag_handle")
        self._paths: list[Path] = []
        self._press: QPoint | None = None
        self.grip_label = QLabel(GRIP, self)
        self.grip_label.setObjectName("drag_grip")
        font = self.grip_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.grip_label.setFont(font)
        self.text_label = QLabel(text, self)
        self.text_label.setObjectName("drag_text")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(6)
        layout.addWidget(self.grip_label)
        layout.addWidget(self.text_label, 1)
        self.refresh()

    def set_files(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        """The files to drag (MIDI first by convention); enables the handle if one exists."""
        self._paths = [Path(p) for p in paths]
        self.refresh()

    def files(self) -> list[Path]:
        """The files that exist now, in the order given."""
        return [p for p in self._paths if p.is_file()]

    def refresh(self) -> None:
        """Re-check which files exist and update enabled state, cursor and tooltip."""
        present = self.files()
        self.setEnabled(bool(present))
        if present:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            names = "\n".join(p.name for p in present)
            self.setToolTip(f"Drag into a DAW track or a folder:\n{names}")
        else:
            self.unsetCursor()
            self.setToolTip("Nothing to drag yet: export first")

    def mime_data(self) -> QMimeData:
        """The drag's payload: a ``text/uri-list`` of the existing files (and their paths as
        text, for applications that only take text)."""
        present = self.files()
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p.resolve())) for p in present])
        mime.setText("\n".join(str(p.resolve()) for p in present))
        return mime

    def start_drag(self) -> Qt.DropAction:
        """Run the drag (blocks until it is dropped or cancelled); returns the drop action."""
        present = self.files()
        if not present:
            self.refresh()
            return Qt.DropAction.IgnoreAction
        self.dragStarted.emit([str(p) for p in present])
        drag = QDrag(self)
        drag.setMimeData(self.mime_data())
        drag.setPixmap(self.grab())
        drag.setHotSpot(QPoint(8, self.height() // 2))
        return drag.exec(Qt.DropAction.CopyAction, Qt.DropAction.CopyAction)

    # -- Qt overrides -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Remember where a left-button press started."""
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self._press = event.position().toPoint()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Start the drag once the pointer has moved far enough with the button held."""
        if (self._press is not None and event.buttons() & Qt.MouseButton.LeftButton
                and (event.position().toPoint() - self._press).manhattanLength()
                >= QApplication.startDragDistance()):
            self._press = None
            self.start_drag()
            self.refresh()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Forget the press."""
        self._press = None
        self.refresh()
        super().mouseReleaseEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        """Files may have appeared or gone while hidden."""
        self.refresh()
        super().showEvent(event)
