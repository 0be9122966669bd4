"""Views of the SysEx panel that say what to do when they are empty, and the preset table's
own keys (Delete, Ctrl+C) that win over window-wide shortcuts while it has focus."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QTableView, QTreeWidget, QWidget

HINT_MARGIN = 16


def paint_hint(view: QAbstractItemView, text: str) -> None:
    """Draw ``text`` centred and wrapped in the view's empty viewport, in the muted text
    colour of the palette (readable in the dark and the light theme)."""
    if not text:
        return
    painter = QPainter(view.viewport())
    color = view.palette().placeholderText().color()
    painter.setPen(color)
    area = view.viewport().rect().adjusted(HINT_MARGIN, HINT_MARGIN, -HINT_MARGIN, -HINT_MARGIN)
    painter.drawText(QRect(area), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                     text)
    painter.end()


class HintTreeWidget(QTreeWidget):
    """A tree that shows :attr:`hint` while it has no items."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = ""

    def set_hint(self, text: str) -> None:
        """Text shown while the tree is empty."""
        self.hint = text
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt override: the items, or the hint when there are none."""
        super().paintEvent(event)
        if self.topLevelItemCount() == 0:
            paint_hint(self, self.hint)


class PresetTableView(QTableView):
    """The preset table: a hint when empty; Delete and Ctrl+C go to its callbacks.

    Those two keys are claimed in the shortcut-override step, so a window-wide action with the
    same key (the track list's Delete) does not take them while the table has focus.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint_for: Callable[[], str] = lambda: ""
        self.on_delete: Callable[[], None] = lambda: None
        self.on_copy: Callable[[], None] = lambda: None

    def _own_key(self, event: QKeyEvent) -> Callable[[], None] | None:
        if event.matches(QKeySequence.StandardKey.Copy):
            return self.on_copy
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not event.modifiers():
            return self.on_delete
        return None

    def event(self, event: QEvent) -> bool:
        """Qt override: claim Delete and Ctrl+C before shortcuts see them."""
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and self._own_key(event) is not None:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt override: Delete removes from the library, Ctrl+C copies as hex."""
        handler = self._own_key(event)
        if handler is None:
            super().keyPressEvent(event)
            return
        handler()
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt override: the rows, or a hint when there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            paint_hint(self, self.hint_for())


def action_button(action: QAction) -> QPushButton:
    """A push button that triggers ``action`` and follows its text, tooltip and enabled state
    (push buttons get the theme's disabled look, which tool buttons lack)."""
    button = QPushButton(action.text())

    def sync() -> None:
        button.setText(action.text())
        button.setToolTip(action.toolTip())
        button.setEnabled(action.isEnabled())

    action.changed.connect(sync)
    button.clicked.connect(lambda _=False: action.trigger())
    sync()
    return button
