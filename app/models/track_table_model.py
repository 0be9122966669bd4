"""A table adapter over :class:`SessionModel` for the library view."""

from __future__ import annotations

import enum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

from app.models.formatting import format_bpm, format_duration, format_lufs, format_status
from app.models.session_model import SessionModel, TrackEntry, TrackStatus

_Index = QModelIndex | QPersistentModelIndex

TRACK_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""Role returning the row's track id (str) from any column."""


class Column(enum.IntEnum):
    """Columns of the library table."""

    NAME = 0
    DURATION = 1
    BPM = 2
    KEY = 3
    LUFS = 4
    STATUS = 5


_HEADERS = {
    Column.NAME: "Name",
    Column.DURATION: "Duration",
    Column.BPM: "BPM",
    Column.KEY: "Key",
    Column.LUFS: "LUFS",
    Column.STATUS: "Status",
}
_NUMERIC = {Column.DURATION, Column.BPM, Column.LUFS}
_STATUS_COLORS = {TrackStatus.FAILED: "#e5484d", TrackStatus.CANCELLED: "#8b91a0",
                  TrackStatus.ANALYZING: "#f08a4b"}
"""Status-column text colours, readable on dark and light backgrounds."""


def cell_text(entry: TrackEntry, column: Column) -> str:
    """Display text of one cell (blank where a value is not known yet)."""
    analysis = entry.analysis
    if column is Column.NAME:
        return entry.name
    if column is Column.STATUS:
        return format_status(entry)
    if analysis is None:
        return ""
    if column is Column.DURATION:
        return format_duration(analysis.duration)
    if column is Column.BPM:
        return format_bpm(analysis.tempo_bpm)
    if column is Column.KEY:
        return str(analysis.key) if analysis.key else ""
    loudness = analysis.loudness
    return format_lufs(loudness.integrated_lufs if loudness else None)


class TrackTableModel(QAbstractTableModel):
    """Rows are the session's tracks in insertion order; columns are :class:`Column`."""

    def __init__(self, session: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._ids: list[str] = session.track_ids()
        session.track_added.connect(self._on_track_added)
        session.track_removed.connect(self._on_track_removed)
        session.track_changed.connect(self._on_track_changed)

    # -- lookups ------------------------------------------------------------------------------

    def track_id_at(self, row: int) -> str | None:
        """Track id shown in ``row``, or ``None`` when out of range."""
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, track_id: str) -> int:
        """Row of ``track_id``, or -1."""
        try:
            return self._ids.index(track_id)
        except ValueError:
            return -1

    # -- Qt model API -------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Number of tracks (0 under any valid parent: this is a flat table)."""
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Number of columns."""
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Column titles."""
        if orientation is Qt.Orientation.Horizontal and 0 <= section < len(Column):
            column = Column(section)
            if role == Qt.ItemDataRole.DisplayRole:
                return _HEADERS[column]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _alignment(column)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, alignment, tooltip and the track-id role."""
        if not index.isValid():
            return None
        track_id = self.track_id_at(index.row())
        entry = self._session.track(track_id) if track_id else None
        if entry is None:
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(entry, column)
        if role == TRACK_ID_ROLE:
            return entry.id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(entry, column)
        if role == Qt.ItemDataRole.ForegroundRole and column is Column.STATUS:
            color = _STATUS_COLORS.get(entry.status)
            return QColor(color) if color else None
        return None

    # -- session signals ----------------------------------------------------------------------

    def _on_track_added(self, track_id: str) -> None:
        row = len(self._ids)
        self.beginInsertRows(QModelIndex(), row, row)
        self._ids.append(track_id)
        self.endInsertRows()

    def _on_track_removed(self, track_id: str) -> None:
        row = self.row_of(track_id)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._ids[row]
        self.endRemoveRows()

    def _on_track_changed(self, track_id: str) -> None:
        row = self.row_of(track_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))


def _alignment(column: Column) -> int:
    horizontal = (Qt.AlignmentFlag.AlignRight if column in _NUMERIC
                  else Qt.AlignmentFlag.AlignLeft)
    return int(horizontal | Qt.AlignmentFlag.AlignVCenter)


def _tooltip(entry: TrackEntry, column: Column) -> str | None:
    if column is Column.NAME:
        return str(entry.path)
    if column is Column.STATUS:
        if entry.status is TrackStatus.FAILED:
            return entry.error
        if entry.status is TrackStatus.ANALYZING and entry.stage:
            return entry.stage
    return None
