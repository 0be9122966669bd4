"""The SysEx preset browser workspace tab."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.context import AppContext


def create_sysex_page(context: AppContext, parent: QWidget) -> QWidget:
    """The page shown in the main window's workspace tab (built once, at window start)."""
    placeholder = QLabel("The SysEx preset browser arrives here.", parent)
    placeholder.setObjectName("empty_state")
    placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return placeholder
