"""The SysEx preset browser: files → banks → presets, search, parameters (editable, with
undo), compare, tags and favourites, export to the edit buffer / a slot / a bank, copy as hex,
send to hardware, and a library with import progress.

Decoding and importing run in :class:`app.workers.worker.Worker` threads; the UI thread only
fills models and views. Edits live in the session (``edits``) until exported: the files that
were opened are never written.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import shiboken6
from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.sysex.edit_actions import PresetEditsMixin
from app.sysex.output_actions import PresetOutputMixin
from app.sysex.param_view import DIFF_BRUSH, ParameterView
from app.sysex.preset_model import PresetRow, PresetTableModel
from app.sysex.widgets import HintTreeWidget, PresetTableView, action_button
from app.workers.worker import Worker
from core.errors import CoreError
from core.sysex.decode import decode_file
from core.sysex.library import Library
from core.sysex.model import DumpResult, Preset
from core.sysex.ports import PortStatus, output_ports

__all__ = ["DIFF_BRUSH", "SysExPanel"]

SYX_FILTER = "SysEx dumps (*.syx *.mid *.midi *.bin *.sysex);;All files (*)"
SEARCH_TIP = ("Search names, tags and synths. Terms: tag:dark  category:bass  synth:virus  "
              "is:fav  and parameter filters such as cutoff>100 resonance<=20 (raw values). "
              "Ctrl+F jumps here.")
View = tuple  # ("library",) or ("file", source, bank index or None)


class SysExPanel(PresetEditsMixin, PresetOutputMixin, QWidget):
    """The "SysEx" workspace tab."""

    file_loaded = Signal(str)
    import_finished = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 library: Library | None = None,
                 ports: Callable[[], PortStatus] = output_ports) -> None:
        super().__init__(parent)
        self.setObjectName("sysex_panel")
        self.setAcceptDrops(True)
        self.context = context
        self.library = library or Library()
        self._ports = ports
        self.results: dict[str, DumpResult] = {}
        self.edits: dict[Hashable, Preset] = {}
        self._originals: dict[Hashable, Preset] = {}
        self._view: View | None = None
        self._shown_key: Hashable | None = None
        self._import_worker: Worker | None = None
        self._port_status = PortStatus((), "looking for MIDI outputs…")
        self.ports_checked = False
        self._ports_probed = False
        # no Qt parent: destroyed after the panel, whose slots are disconnected by then
        self.undo_stack = QUndoStack()
        self.confirm_overwrite: Callable[[Path], bool] = self._ask_overwrite
        self._build()

    # -- layout ---------------------------------------------------------------------------

    def _action(self, text: str, tip: str, slot: Callable[[], object],
                keys: Sequence[str | QKeySequence.StandardKey] = ()) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            tip += f" ({QKeySequence(keys[0]).toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        return action

    def _build(self) -> None:
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Open .syx / .mid dumps (or drop files on this tab)")
        self.import_button = QPushButton("Import folder…")
        self.import_button.setToolTip("Import every dump in a folder into the library, with "
                                      "its sub-folders (or drop a folder on this tab)")
        self.search = QLineEdit(placeholderText="Search: name, tag:dark, category:bass, "
                                                "cutoff>100, is:fav   (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(SEARCH_TIP)
        self.match_label = QLabel()
        top = QHBoxLayout()
        for w in (self.open_button, self.import_button):
            top.addWidget(w)
        top.addWidget(self.search, 1)
        top.addWidget(self.match_label)

        a = self._action
        self.find_action = a("Find", "Search presets", self.focus_search, ["Ctrl+F"])
        self.export_action = a("Export…", "Export the selected presets as .syx: edit buffer, "
                               "a program slot or a bank", self._ask_export, ["Ctrl+Shift+E"])
        self.copy_action = a("Copy hex", "Copy the selected presets as SysEx hex (Ctrl+C in "
                             "the table)", self.copy_hex, ["Ctrl+Shift+C"])
        self.favourite_action = a("★ Favourite", "Star or unstar the selected presets (kept "
                                  "in the library)", self.toggle_favourite, ["Ctrl+D"])
        self.add_tag_action = a("Add tag…", "Tag the selected presets (kept in the library)",
                                self._ask_tag, ["Ctrl+T"])
        self.remove_action = a("Remove", "Remove the selected presets from the library (Del "
                               "in the table); their files stay", self.remove_from_library)
        self.undo_action = a("Undo", "Undo", self.undo_stack.undo,
                             [QKeySequence.StandardKey.Undo])
        self.redo_action = a("Redo", "Redo", self.undo_stack.redo,
                             ["Ctrl+Shift+Z", "Ctrl+Y"])
        self.revert_action = a("Revert", "Undo every edit of the selected preset",
                               self.revert_selected)
        self.send_action = a("Send", "Send the selected preset to the synth's edit buffer",
                             self.send_selected)
        self.tags_menu = QMenu(self)
        self.tags_menu.aboutToShow.connect(self._fill_tags_menu)
        self.tags_button = QPushButton("Tags")
        self.tags_button.setToolTip("Add a tag to the selected presets (Ctrl+T), or remove one")
        self.tags_button.setMenu(self.tags_menu)
        self.port_combo = QComboBox()
        self.port_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        bar = QHBoxLayout()
        for item in (self.export_action, self.copy_action, None, self.favourite_action,
                     self.tags_button, self.remove_action, None, self.undo_action,
                     self.redo_action, self.revert_action):
            if item is None:
                bar.addSpacing(12)
            else:
                bar.addWidget(action_button(item) if isinstance(item, QAction) else item)
        bar.addStretch(1)
        self.send_button = action_button(self.send_action)

        self.tree = HintTreeWidget()
        self.tree.setHeaderLabels(["files / banks", "#"])
        self.tree.headerItem().setToolTip(1, "presets")
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        head = self.tree.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table_model = PresetTableModel(self)
        self.table = PresetTableView()
        self.table.setModel(self.table_model)
        self.table.hint_for = self._table_hint
        self.table.on_delete = self.remove_from_library
        self.table.on_copy = self.copy_hex
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        columns = self.table.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((1, 150), (2, 150), (3, 90)):
            self.table.setColumnWidth(column, width)
        self.params = ParameterView()
        self.messages = HintTreeWidget()
        self.messages.set_hint("Open a file to list every SysEx message it holds.")
        self.messages.setHeaderLabels(["#", "bytes", "manufacturer", "kind", "status",
                                       "checksum"])
        self.notes = QListWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.params, "Parameters")
        self.tabs.addTab(self.messages, "Messages")
        self.tabs.addTab(self.notes, "Notes")

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        for w, stretch in ((self.tree, 0), (self.table, 1), (self.tabs, 1)):
            split.addWidget(w)
            split.setStretchFactor(split.count() - 1, stretch)
        split.setSizes([240, 520, 520])  # the tab has the whole window width
        self.status = QLabel("Drop .syx or .mid files here, or Open…")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the import (what was stored stays)")
        self.cancel_button.setVisible(False)
        foot = QHBoxLayout()
        foot.addWidget(self.status, 1)
        foot.addWidget(self.progress)
        foot.addWidget(self.cancel_button)
        foot.addWidget(QLabel("MIDI out"))
        foot.addWidget(self.port_combo)
        foot.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addLayout(foot)

        self.open_button.clicked.connect(self._ask_open)
        self.import_button.clicked.connect(self._ask_import)
        self.search.textChanged.connect(self._on_search)
        self.cancel_button.clicked.connect(self.cancel_import)
        self.tree.currentItemChanged.connect(self._on_tree)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.doubleClicked.connect(lambda _i: self.tabs.setCurrentWidget(self.params))
        self.params.value_edited.connect(self.edit_value)
        self.undo_stack.indexChanged.connect(self._on_undo_index)
        self._library_item = QTreeWidgetItem(["Library", ""])
        self._library_item.setToolTip(0, "Every preset you imported, tagged or starred")
        self.tree.addTopLevelItem(self._library_item)
        self._update_actions()

    def _on_undo_index(self, _index: int) -> None:
        if shiboken6.isValid(self.undo_stack):  # the stack also signals while it is deleted
            self._update_actions()

    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box, its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def say(self, text: str) -> None:
        """A status message in the panel and the window's status bar."""
        self.status.setText(text)
        self.context.notifier.info(text)

    def report(self, title: str, exc: object) -> None:
        """An error for the person (notifier + status line), never a traceback."""
        self.context.notifier.error(title, str(exc))
        self.status.setText(f"{title}: {exc}")

    def _table_hint(self) -> str:
        model = self.table_model
        if model.total() and not model.rowCount():
            return (f"No preset matches “{model.query_text}”.\n\nSearch names, tags and synths, "
                    "or use tag:dark, category:bass, synth:virus, is:fav, cutoff>100.")
        if self._view is None:
            return ("Open a .syx or .mid dump (Open…, or drop files here) and pick it on the "
                    "left — or pick the Library.\n\nDropped folders are imported into the "
                    "library.")
        if self._view[0] == "library":
            return ("The library is empty.\n\nImport a folder, or star (Ctrl+D) or tag (Ctrl+T)"
                    " a preset of an open file to keep it here.")
        return "No presets decoded in this file: the Messages and Notes tabs say what it holds."

    # -- files ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Qt override: accept file drops."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Qt override: open dropped files (folders are imported into the library)."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        folders = [p for p in paths if p.is_dir()]
        self.open_files([p for p in paths if not p.is_dir()])
        if folders:
            self.import_paths(folders)
        event.acceptProposedAction()

    def _ask_open(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open SysEx dumps", "", SYX_FILTER)
        self.open_files([Path(f) for f in files])

    def open_files(self, paths: Sequence[Path]) -> None:
        """Decode each file in a worker; the tree shows it when done."""
        for path in paths:
            worker = Worker(decode_file, str(path), title=f"Decode {Path(path).name}")
            worker.succeeded.connect(self._on_decoded)
            worker.failed.connect(lambda exc, p=path: self.report(f"Cannot open {p}", exc))
            self.context.runner.start(worker)
        if paths:
            self.status.setText(f"decoding {len(paths)} file(s)…")

    def _on_decoded(self, result: DumpResult) -> None:
        old = self._file_item(result.source)
        if old is not None:  # opened again: replace it (its edits are kept by position)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(old))
        self.results[result.source] = result
        item = QTreeWidgetItem([Path(result.source).name, str(len(result.presets))])
        item.setData(0, Qt.ItemDataRole.UserRole, ("file", result.source, None))
        item.setToolTip(0, result.source + "\n" + result.summary())
        for i, bank in enumerate(result.banks):
            child = QTreeWidgetItem([bank.title, str(len(bank.presets))])
            child.setData(0, Qt.ItemDataRole.UserRole, ("file", result.source, i))
            child.setToolTip(0, f"{bank.title} ({bank.kind}), {len(bank.presets)} presets")
            item.addChild(child)
        self.tree.addTopLevelItem(item)
        item.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.say(f"{Path(result.source).name}: {result.summary()}")
        self.file_loaded.emit(result.source)

    def _file_item(self, source: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            data = item.data(0, Qt.ItemDataRole.UserRole)
            if data and data[1] == source:
                return item
        return None

    def _on_tree(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        if item is self._library_item:
            self.show_library()
            return
        self._view = tuple(item.data(0, Qt.ItemDataRole.UserRole))
        self._reload_rows()
        self._fill_messages(self.results[self._view[1]])

    def _reload_rows(self, keep: Sequence[Hashable] = ()) -> None:
        """Rebuild the table for the current view (edits, tags and stars applied) and select
        the rows of ``keep`` again."""
        if self._view is None:
            return
        rows = self._library_rows() if self._view[0] == "library" else self._file_rows(
            self._view[1], self._view[2])
        self.table_model.set_rows(rows)
        self._select_keys(keep)
        self._update_match_label()

    def _file_rows(self, source: str, bank_index: int | None) -> list[PresetRow]:
        result = self.results[source]
        rows: list[PresetRow] = []
        position = 0
        for i, bank in enumerate(result.banks):
            for preset in bank.presets:
                key = ("file", source, position)
                position += 1
                if bank_index is not None and i != bank_index:
                    continue
                self._originals[key] = preset
                rows.append(PresetRow(self.edits.get(key, preset), origin=source, key=key,
                                      original=preset))
        try:
            stored = self.library.find(r.fingerprint for r in rows)
        except CoreError as exc:
            self.report("Library", exc)
            return rows
        for row in rows:
            item = stored.get(row.fingerprint)
            if item is not None:
                row.library_id, row.tags, row.favourite = item.id, item.tags, item.favourite
        return rows

    def _library_rows(self) -> list[PresetRow]:
        try:
            found = self.library.search("")
        except CoreError as exc:
            self.report("Library", exc)
            return []
        rows = []
        for item in found:
            preset = item.to_preset()
            key = ("library", item.fingerprint)
            self._originals[key] = preset
            rows.append(PresetRow(self.edits.get(key, preset), item.tags, item.favourite,
                                  item.id, origin=item.source, key=key, original=preset))
        self._library_item.setText(1, str(len(rows)))
        return rows

    def _fill_messages(self, result: DumpResult) -> None:
        self.messages.clear()
        for m in result.messages[:5000]:
            self.messages.addTopLevelItem(QTreeWidgetItem(
                [str(m.index + 1), str(m.length), m.manufacturer, m.kind, m.status,
                 m.checksum]))
        for column in range(5):
            self.messages.resizeColumnToContents(column)
        self.notes.clear()
        self.notes.addItems(list(result.notes) or ["nothing was skipped or repaired"])

    # -- library --------------------------------------------------------------------------

    def show_library(self) -> None:
        """Fill the table with the library (search applies as for files)."""
        self._view = ("library",)
        self._reload_rows()

    def library_changed(self) -> None:
        """Tags, stars or contents of the library changed: refresh the rows, keep selection."""
        self._reload_rows(keep=[r.key for r in self.selected_rows()])
        if self._view is None or self._view[0] != "library":
            try:
                self._library_item.setText(1, str(self.library.count()))
            except CoreError as exc:
                self.report("Library", exc)

    def _ask_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of SysEx dumps")
        if folder:
            self.import_paths([Path(folder)])

    def import_paths(self, paths: Sequence[Path]) -> None:
        """Import files/folders into the library in a worker, with a progress bar."""
        if self._import_worker is not None:
            self.status.setText("an import is already running")
            return
        worker = Worker(self.library.import_paths, [str(p) for p in paths], title="Import SysEx")
        worker.progressed.connect(lambda f, s: (self.progress.setValue(int(f * 100)),
                                                self.status.setText(s)))
        worker.succeeded.connect(self._on_imported)
        worker.failed.connect(lambda exc: self.report("Import failed", exc))
        worker.cancelled.connect(lambda: self.status.setText("import cancelled"))
        worker.finished.connect(self._import_done)
        self._import_worker = worker
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.context.runner.start(worker)

    def cancel_import(self) -> None:
        """Cancel a running import (what was stored stays)."""
        if self._import_worker is not None:
            self._import_worker.cancel()

    def _on_imported(self, report: object) -> None:
        self.say(report.summary())  # type: ignore[attr-defined]
        self.import_finished.emit(report)
        self.library_changed()

    def _import_done(self) -> None:
        self._import_worker = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    # -- selection, parameters, compare ---------------------------------------------------

    def _on_search(self, text: str) -> None:
        keep = [r.key for r in self.selected_rows()]
        self.table_model.set_filter(text)
        self._select_keys(keep)
        self._update_match_label()

    def _update_match_label(self) -> None:
        model = self.table_model
        self.match_label.setText(f"{model.rowCount()} of {model.total()}" if model.total()
                                 else "")
        if model.query_text:
            self.status.setText(f"{model.rowCount()} of {model.total()} presets match")

    def _select_keys(self, keys: Sequence[Hashable]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for key in keys:
            row = self.table_model.find_row(key)
            if row is not None:
                selection.select(self.table_model.index(row, 0),
                                 QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
        self._on_selection()

    def selected_rows(self) -> list[PresetRow]:
        """Rows selected in the table, in view order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.table_model.row_at(r) for r in rows]

    def selected_presets(self) -> list[Preset]:
        """Presets selected in the table (with their edits)."""
        return [r.preset for r in self.selected_rows()]

    def _on_selection(self, *_: object) -> None:
        rows = self.selected_rows()
        self._shown_key = rows[0].key if len(rows) == 1 else None
        if len(rows) == 2:
            self.show_comparison(rows[0].preset, rows[1].preset)
        elif len(rows) == 1:
            preset = rows[0].preset
            self.params.show_preset(preset, rows[0].original)
            self.status.setText(f"{preset.display_name} — {preset.synth}"
                                + (f", {preset.slot}" if preset.slot else "")
                                + " · double-click a value to edit it")
        else:
            if len(rows) > 2:
                self.status.setText(f"{len(rows)} presets selected")
            self.params.clear()
            if rows:
                self.params.tree.set_hint(
                    f"{len(rows)} presets selected.\n\nExport them as a bank, tag or star them;"
                    " select one to see its parameters, two to compare them.")
            else:
                self.params.tree.set_hint("Select a preset to see its parameters.\n\nSelect "
                                          "two to compare them; double-click a value to edit "
                                          "it.")
        self._update_actions()

    def show_parameters(self, preset: Preset) -> None:
        """Parameters grouped by section, values in the synth's units."""
        self.params.show_preset(preset)

    def show_comparison(self, a: Preset, b: Preset) -> list[str]:
        """Two presets side by side, differing parameters highlighted; returns their names."""
        differing = self.params.show_comparison(a, b)
        self.status.setText(f"{len(differing)} parameter(s) differ between "
                            f"{a.display_name} and {b.display_name}")
        return differing

    # -- export, copy, send ---------------------------------------------------------------

    def _update_actions(self) -> None:
        rows = self.selected_rows()
        for action in (self.export_action, self.copy_action, self.favourite_action,
                       self.add_tag_action):
            action.setEnabled(bool(rows))
        self.tags_button.setEnabled(bool(rows))
        self.remove_action.setEnabled(any(r.library_id is not None for r in rows))
        self.revert_action.setEnabled(len(rows) == 1 and rows[0].modified)
        stack = self.undo_stack
        self.undo_action.setEnabled(stack.canUndo())
        self.redo_action.setEnabled(stack.canRedo())
        self.undo_action.setToolTip(f"Undo {stack.undoText()} (Ctrl+Z)" if stack.canUndo()
                                    else "Nothing to undo")
        self.redo_action.setToolTip(f"Redo {stack.redoText()} (Ctrl+Shift+Z)"
                                    if stack.canRedo() else "Nothing to redo")
        status = self._port_status
        self.send_action.setEnabled(status.available and len(rows) == 1)
        self.send_action.setToolTip(status.reason or "Send the selected preset to the synth's "
                                                     "edit buffer")

    def showEvent(self, event: QShowEvent) -> None:
        """Qt override: look for MIDI outputs the first time the tab is shown."""
        super().showEvent(event)
        if not self._ports_probed:
            self.refresh_ports()
            try:
                self._library_item.setText(1, str(self.library.count()))
            except CoreError as exc:
                self.report("Library", exc)
