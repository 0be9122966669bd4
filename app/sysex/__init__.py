"""The SysEx preset browser workspace tab."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.context import AppContext
from app.sysex.panel import SysExPanel


def create_sysex_page(context: AppContext, parent: QWidget) -> QWidget:
    """The page shown in the main window's workspace tab (built once, at window start)."""
    return SysExPanel(context, parent)


__all__ = ["SysExPanel", "create_sysex_page"]
