"""The library: a table of the session's tracks, or an empty-state hint when there are none.

The panel reads :class:`TrackTableModel` and mirrors the session's selection. It never starts
analysis: a double-click emits :attr:`LibraryPanel.reanalyze_requested` for the window to
route to the controller. A right-click on the header shows or hides columns (Duration and
LUFS start hidden, so name, tempo, key and status fit the dock's default width).
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.session_model import SessionModel
from app.models.track_table_model import Column, TrackTableModel

EMPTY_TEXT = "Drop tracks or folders here, or File → Open"
OPTIONAL_COLUMNS = (Column.DURATION, Column.BPM, Column.KEY, Column.LUFS, Column.STATUS)
"""Columns the user may hide (the name always shows)."""
DEFAULT_HIDDEN = (Column.DURATION, Column.LUFS)
"""Columns hidden until the user shows them."""


class LibraryPanel(QWidget):
    """Track table with an empty state.

    Signals
    -------
    reanalyze_requested(str)
        The user double-clicked a track.
    columns_changed()
        The user showed or hid a column (see :attr:`hidden_columns`).
    """

    reanalyze_requested = Signal(str)
    columns_changed = Signal()

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library_panel")
        self._session = session
        self.table_model = TrackTableModel(session, self)
        self.table = QTableView(self)
        self.table.setObjectName("library_table")
        self.table.setModel(self.table_model)
        self._configure_table()
        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setObjectName("empty_state")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

        self.table.selectionModel().selectionChanged.connect(self._on_table_selection)
        self.table.doubleClicked.connect(self._on_double_click)
        session.selection_changed.connect(self._select_row_of)
        self.table_model.rowsInserted.connect(self._update_empty_state)
        self.table_model.rowsRemoved.connect(self._update_empty_state)
        self.table_model.modelReset.connect(self._update_empty_state)
        self._update_empty_state()

    def _configure_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(26)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (Column.DURATION, Column.BPM, Column.KEY, Column.LUFS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.STATUS, QHeaderView.ResizeMode.ResizeToContents)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_column_menu)
        self.set_hidden_columns([c.name.lower() for c in DEFAULT_HIDDEN])

    @property
    def hidden_columns(self) -> list[str]:
        """Lower-case names of the hidden columns (e.g. ``["duration", "lufs"]``)."""
        return [c.name.lower() for c in OPTIONAL_COLUMNS if self.table.isColumnHidden(c)]

    def set_hidden_columns(self, names: list[str]) -> None:
        """Hide exactly the optional columns named in ``names`` (unknown names are ignored)."""
        wanted = {n.lower() for n in names}
        for column in OPTIONAL_COLUMNS:
            self.table.setColumnHidden(column, column.name.lower() in wanted)

    def column_menu(self) -> QMenu:
        """The header's menu: one checkable action per optional column."""
        menu = QMenu(self)
        for column in OPTIONAL_COLUMNS:
            title = str(self.table_model.headerData(column, Qt.Orientation.Horizontal))
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(
                lambda shown, c=column: self._set_column_shown(c, shown))
        return menu

    def _set_column_shown(self, column: Column, shown: bool) -> None:
        self.table.setColumnHidden(column, not shown)
        self.columns_changed.emit()

    def _show_column_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()

    @property
    def is_empty_state_shown(self) -> bool:
        """True while the empty-state hint is visible instead of the table."""
        return self._stack.currentWidget() is self.empty_label

    def selected_track_id(self) -> str | None:
        """The session's selected track id (the table mirrors it)."""
        return self._session.selected_id

    def _update_empty_state(self, *_: object) -> None:
        empty = self.table_model.rowCount() == 0
        self._stack.setCurrentWidget(self.empty_label if empty else self.table)

    def _on_table_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        track_id = self.table_model.track_id_at(rows[0].row()) if rows else None
        self._session.select(track_id)

    def _select_row_of(self, track_id: str | None) -> None:
        selection = self.table.selectionModel()
        row = self.table_model.row_of(track_id) if track_id else -1
        current = selection.selectedRows()
        if row < 0:
            if current:
                selection.clearSelection()
            return
        if current and current[0].row() == row:
            return
        self.table.selectRow(row)

    def _on_double_click(self, index: QModelIndex) -> None:
        track_id = self.table_model.track_id_at(index.row())
        if track_id is not None:
            self.reanalyze_requested.emit(track_id)
