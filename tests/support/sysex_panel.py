"""Driving the SysEx panel in GUI tests: build it without MIDI ports, open a dump, select rows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel

from app.sysex import SysExPanel
from core.sysex.library import Library
from core.sysex.ports import PortStatus

TIMEOUT_MS = 10_000


def make_panel(qtbot, context, library_path: Path, *, show: bool = True) -> SysExPanel:
    """A panel over a library at ``library_path`` on a machine without MIDI outputs; shown
    (its first show looks for ports in a worker) unless ``show`` is false."""
    widget = SysExPanel(context, library=Library(library_path),
                        ports=lambda: PortStatus((), "no MIDI output ports found"))
    qtbot.addWidget(widget)
    if show:
        ready(qtbot, widget)
    return widget


def ready(qtbot, panel: SysExPanel) -> None:
    """Show ``panel`` if needed and wait until it has looked for MIDI ports."""
    if not panel.ports_checked:
        panel.show()
    qtbot.waitUntil(lambda: panel.ports_checked, timeout=TIMEOUT_MS)


def open_file(qtbot, panel: SysExPanel, path: Path) -> None:
    """Open ``path`` in the panel and wait until it is decoded."""
    ready(qtbot, panel)
    with qtbot.waitSignal(panel.file_loaded, timeout=TIMEOUT_MS):
        panel.open_files([path])


def select_rows(panel: SysExPanel, rows: list[int]) -> None:
    """Select exactly the table rows ``rows``."""
    selection = panel.table.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(panel.table_model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
