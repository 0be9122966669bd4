"""Table model of presets: slot, name, synth, category, tags — filtered by a search query."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.sysex.model import Preset
from core.sysex.search import parse_query

COLUMNS = ("slot", "name", "synth", "category", "tags")
WARNING_COLOR = QColor(200, 120, 0)


@dataclass
class PresetRow:
    """One row: a preset, its tags, and the library id when it comes from the library."""

    preset: Preset
    tags: tuple[str, ...] = ()
    favourite: bool = False
    library_id: int | None = None
    origin: str = field(default="")


class PresetTableModel(QAbstractTableModel):
    """The rows of the selected file/bank (or the library), after the search filter."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: list[PresetRow] = []
        self._rows: list[PresetRow] = []
        self._query = parse_query("")

    def set_rows(self, rows: list[PresetRow]) -> None:
        """Replace every row (the filter stays)."""
        self.beginResetModel()
        self._all = list(rows)
        self._rows = [r for r in self._all if self._keep(r)]
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        """Apply a search (``cutoff>100 category:bass warm``)."""
        self.beginResetModel()
        self._query = parse_query(text)
        self._rows = [r for r in self._all if self._keep(r)]
        self.endResetModel()

    def _keep(self, row: PresetRow) -> bool:
        return self._query.matches(row.preset, row.tags, row.favourite)

    def row_at(self, row: int) -> PresetRow:
        """The row object at a view row."""
        return self._rows[row]

    def total(self) -> int:
        """Rows before filtering."""
        return len(self._all)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override: visible rows."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Qt override: the five columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Qt override: column titles."""
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Qt override: cell text, warnings as tooltip and colour."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        preset = row.preset
        if role == Qt.ItemDataRole.DisplayRole:
            column = COLUMNS[index.column()]
            if column == "slot":
                return preset.slot
            if column == "name":
                return ("★ " if row.favourite else "") + preset.display_name
            if column == "synth":
                return preset.synth
            if column == "category":
                return ", ".join(preset.categories)
            return ", ".join(row.tags)
        if role == Qt.ItemDataRole.ToolTipRole and preset.warnings:
            return "\n".join(preset.warnings)
        if role == Qt.ItemDataRole.ForegroundRole and preset.warnings:
            return WARNING_COLOR
        return None
