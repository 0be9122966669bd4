"""Table model of presets: slot, name, synth, category, tags — filtered by a search query.

Each row keeps the preset as decoded (:attr:`PresetRow.original`) and as edited in the panel
(:attr:`PresetRow.preset`); an edited row shows its name in italics with a trailing ``*``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from core.sysex.model import Preset
from core.sysex.search import parse_query

COLUMNS = ("slot", "name", "synth", "category", "tags")
HEADER_TIPS = {
    "slot": "Where the preset sits in its dump (program number, bank and slot, or buffer)",
    "name": "★ = favourite, * = edited in this session (export to keep the edit)",
    "synth": "The synth and format the data was decoded as",
    "category": "Categories stored in the preset itself (the Virus' two)",
    "tags": "Your tags, kept in the library (Ctrl+T to add)",
}
WARNING_COLOR = QColor(230, 140, 40)
EDITED_MARK = " *"


@dataclass
class PresetRow:
    """One row: a preset (possibly edited), its tags and favourite flag from the library.

    ``key`` identifies the row's preset across views (file and position, or library id) so
    edits survive switching between files; ``original`` is the preset as decoded.
    ``library_id`` is set when the sound is in the library.
    """

    preset: Preset
    tags: tuple[str, ...] = ()
    favourite: bool = False
    library_id: int | None = None
    origin: str = field(default="")
    key: Hashable = None
    original: Preset | None = None

    def __post_init__(self) -> None:
        if self.original is None:
            self.original = self.preset
        if self.key is None:
            self.key = ("preset", id(self.original))

    @property
    def modified(self) -> bool:
        """Whether the preset was edited (its data differs from the decoded one)."""
        return self.original is not None and self.preset.data != self.original.data

    @property
    def fingerprint(self) -> str:
        """The library identity of the decoded sound (edits do not change it)."""
        assert self.original is not None
        return self.original.fingerprint


class PresetTableModel(QAbstractTableModel):
    """The rows of the selected file/bank (or the library), after the search filter."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._all: list[PresetRow] = []
        self._rows: list[PresetRow] = []
        self._query = parse_query("")
        self.query_text = ""

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
        self.query_text = text.strip()
        self._rows = [r for r in self._all if self._keep(r)]
        self.endResetModel()

    def _keep(self, row: PresetRow) -> bool:
        categories = tuple(c.lower() for c in row.preset.categories)  # category:bass
        return self._query.matches(row.preset, row.tags + categories, row.favourite)

    def row_at(self, row: int) -> PresetRow:
        """The row object at a view row."""
        return self._rows[row]

    def rows(self) -> list[PresetRow]:
        """Every row, filtered out or not."""
        return list(self._all)

    def find_row(self, key: Hashable) -> int | None:
        """The view row of ``key`` (``None`` when it is not shown)."""
        for i, row in enumerate(self._rows):
            if row.key == key:
                return i
        return None

    def refresh_row(self, row: PresetRow) -> None:
        """Repaint a row whose fields changed in place (it stays even if the filter would now
        hide it: rows do not vanish under the pointer)."""
        i = next((n for n, r in enumerate(self._rows) if r is row), None)
        if i is not None:
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

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
        """Qt override: column titles and what they mean."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[COLUMNS[section]]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Qt override: cell text, warnings and edits as tooltip, colour and font."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        preset = row.preset
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and preset.warnings:
            return WARNING_COLOR
        if role == Qt.ItemDataRole.FontRole and column == "name" and row.modified:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    @staticmethod
    def _text(row: PresetRow, column: str) -> str:
        preset = row.preset
        if column == "slot":
            return preset.slot
        if column == "name":
            return (("★ " if row.favourite else "") + preset.display_name
                    + (EDITED_MARK if row.modified else ""))
        if column == "synth":
            return preset.synth
        if column == "category":
            return ", ".join(preset.categories)
        return ", ".join(row.tags)

    @staticmethod
    def _tooltip(row: PresetRow, column: str) -> str | None:
        lines = list(row.preset.warnings)
        if column == "name" and row.modified:
            assert row.original is not None
            changed = sum(1 for name, value in row.preset.values().items()
                          if row.original.values().get(name) != value)
            lines.insert(0, f"edited: {changed} parameter(s) changed in this session; the "
                            "original file is untouched — export to keep the edit")
        if column in ("synth", "name", "tags") and not lines:
            text = PresetTableModel._text(row, column)
            return text or None
        return "\n".join(lines) or None
