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

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
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
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.sysex.commands import (
    FavouriteCommand,
    LibraryRef,
    RemoveCommand,
    SetParameterCommand,
    TagCommand,
)
from app.sysex.export_dialog import ExportDialog, ExportPlan, default_plan
from app.sysex.param_view import DIFF_BRUSH, ParameterView
from app.sysex.preset_model import PresetRow, PresetTableModel
from app.sysex.widgets import HintTreeWidget, PresetTableView, action_button
from app.workers.worker import Worker
from core.errors import CoreError, OutputExists, SysExError
from core.sysex import encode_preset, to_hex, write_syx
from core.sysex.decode import decode_file
from core.sysex.encode import encode_selection
from core.sysex.library import Library
from core.sysex.model import DumpResult, Preset
from core.sysex.ports import PortStatus, output_ports, send_messages

__all__ = ["DIFF_BRUSH", "SysExPanel"]

SYX_FILTER = "SysEx dumps (*.syx *.mid *.midi *.bin *.sysex);;All files (*)"
SEARCH_TIP = ("Search names, tags and synths. Terms: tag:dark  category:bass  synth:virus  "
              "is:fav  and parameter filters such as cutoff>100 resonance<=20 (raw values). "
              "Ctrl+F jumps here.")
View = tuple  # ("library",) or ("file", source, bank index or None)


class SysExPanel(QWidget):
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
        self.undo_stack = QUndoStack(self)
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
                             ["Ctrl+Shift+Z", QKeySequence.StandardKey.Redo])
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
        split.setSizes([170, 380, 430])
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
        self.undo_stack.canUndoChanged.connect(lambda _: self._update_actions())
        self.undo_stack.canRedoChanged.connect(lambda _: self._update_actions())
        self.undo_stack.indexChanged.connect(lambda _: self._update_actions())
        self._library_item = QTreeWidgetItem(["Library", ""])
        self._library_item.setToolTip(0, "Every preset you imported, tagged or starred")
        self.tree.addTopLevelItem(self._library_item)
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

    # -- tags, favourites, removal (undoable) ---------------------------------------------

    def _refs(self) -> list[LibraryRef]:
        return [LibraryRef(r.fingerprint, r.original or r.preset, r.origin)
                for r in self.selected_rows()]

    def toggle_favourite(self) -> None:
        """Star the selected presets (unstar when all are starred); undoable."""
        rows = self.selected_rows()
        if not rows:
            return
        star = not all(r.favourite for r in rows)
        self.undo_stack.push(FavouriteCommand(self, self._refs(), star))
        self.say(f"{'starred' if star else 'unstarred'} {len(rows)} preset(s)")

    def add_tags(self, tags: Sequence[str]) -> None:
        """Add tags to the selected presets (stored in the library first when needed)."""
        refs = self._refs()
        tags = [t.strip().lower() for t in tags if t.strip()]
        if not refs or not tags:
            return
        self.undo_stack.beginMacro(f"tag {len(refs)} preset(s) with {', '.join(tags)}")
        for tag in tags:
            self.undo_stack.push(TagCommand(self, refs, tag, add=True))
        self.undo_stack.endMacro()
        self.say(f"tagged {len(refs)} preset(s) with {', '.join(tags)}")

    def remove_tag(self, tag: str) -> None:
        """Remove a tag from the selected presets."""
        refs = self._refs()
        if refs:
            self.undo_stack.push(TagCommand(self, refs, tag, add=False))
            self.say(f"removed the tag “{tag}” from {len(refs)} preset(s)")

    def _ask_tag(self) -> None:
        if not self.selected_rows():
            return
        try:
            known = self.library.all_tags()
        except CoreError:
            known = []
        text, ok = QInputDialog.getItem(self, "Add tags", "Tags (comma separated):",
                                        known, 0, True)
        if ok:
            self.add_tags(text.split(","))

    def _fill_tags_menu(self) -> None:
        self.tags_menu.clear()
        self.tags_menu.addAction(self.add_tag_action)
        tags = sorted({t for r in self.selected_rows() for t in r.tags})
        if tags:
            self.tags_menu.addSeparator()
        for tag in tags:
            self.tags_menu.addAction(f"Remove “{tag}”", lambda t=tag: self.remove_tag(t))

    def remove_from_library(self) -> None:
        """Delete: take the selected presets out of the library (undoable; files stay)."""
        ids = [r.library_id for r in self.selected_rows() if r.library_id is not None]
        if not ids:
            if self.selected_rows():
                self.say("the selected presets are not in the library")
            return
        self.undo_stack.push(RemoveCommand(self, ids))
        self.say(f"removed {len(ids)} preset(s) from the library — Ctrl+Z brings them back")

    # -- parameter edits (undoable) -------------------------------------------------------

    def edit_value(self, name: str, value: int) -> None:
        """Set parameter ``name`` of the shown preset to the raw ``value`` (undoable)."""
        row = self._shown_row()
        if row is None:
            return
        param = row.preset.table.parameter(name)
        if not param.minimum <= value <= param.maximum:
            self.report("Edit refused", SysExError(
                f"{param.title}: {value} is outside {param.minimum}–{param.maximum}"))
            return
        old = param.read(row.preset.data)
        if old == value:
            return
        self.undo_stack.push(SetParameterCommand(self, row.key, row.preset.display_name,
                                                 param, old, value))
        self.say(f"{param.title}: {param.format(old)} → {param.format(value)} on "
                 f"{row.preset.display_name} (not saved: export to keep it)")

    def apply_values(self, key: Hashable, values: dict[str, int]) -> None:
        """Set parameters of the preset ``key`` (used by the undo commands)."""
        original = self._originals[key]
        edited = self.edits.get(key, original).with_values(values)
        if edited.data == original.data:
            self.edits.pop(key, None)
        else:
            self.edits[key] = edited
        index = self.table_model.find_row(key)
        if index is not None:
            row = self.table_model.row_at(index)
            row.preset = edited
            self.table_model.refresh_row(row)
        if key == self._shown_key:
            self.params.show_preset(edited, original)
        self._update_actions()

    def revert_selected(self) -> None:
        """Put the selected preset's edited parameters back to their decoded values."""
        row = self._shown_row()
        if row is None or not row.modified:
            return
        assert row.original is not None
        old, new = row.preset.values(), row.original.values()
        changed = [n for n in old if old[n] != new[n]]
        self.undo_stack.beginMacro(f"revert {row.preset.display_name}")
        for name in changed:
            param = row.preset.table.parameter(name)
            self.undo_stack.push(SetParameterCommand(self, row.key, row.preset.display_name,
                                                     param, old[name], new[name]))
        self.undo_stack.endMacro()
        self.say(f"reverted {len(changed)} parameter(s) of {row.original.display_name}")

    def _shown_row(self) -> PresetRow | None:
        rows = self.selected_rows()
        return rows[0] if len(rows) == 1 else None

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
            self.params.show_preset(rows[0].preset, rows[0].original)
        else:
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

    def refresh_ports(self) -> None:
        """Look for MIDI outputs in a worker (loading the MIDI backend takes ~0.2 s); "Send"
        stays disabled, with the reason, until a port is found."""
        self.ports_checked = False
        self._ports_probed = True
        probe = self._ports
        worker = Worker(lambda progress=None, cancel=None: probe(), title="Find MIDI outputs")
        worker.succeeded.connect(self._on_ports)
        worker.failed.connect(lambda exc: self._on_ports(PortStatus((), str(exc))))
        self.context.runner.start(worker)

    def _on_ports(self, status: PortStatus) -> None:
        self._port_status = status
        self.ports_checked = True
        self.port_combo.clear()
        self.port_combo.addItems(list(self._port_status.names) or ["(none)"])
        self.port_combo.setEnabled(self._port_status.available)
        self.port_combo.setToolTip(self._port_status.reason or "MIDI output to send to")
        self._update_actions()

    def messages_for_selection(self, plan: ExportPlan | None = None) -> list[bytes]:
        """The selection encoded (edits included): by default one preset → its edit buffer,
        several → a bank."""
        presets = self.selected_presets()
        plan = plan or default_plan(presets)
        return encode_selection(presets, slot=plan.slot, bank=plan.bank, as_bank=plan.as_bank)

    def _ask_export(self) -> None:
        presets = self.selected_presets()
        if not presets:
            return
        dialog = ExportDialog(presets, self)
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        plan = dialog.plan()
        first = presets[0]
        stem = "".join(c if c.isalnum() or c in "-_ " else "_" for c in first.display_name)
        folder = Path(first.source).parent if first.source else Path.home()
        name = f"{stem.strip() or 'preset'}{' bank' if plan.as_bank else ''}.syx"
        path, _ = QFileDialog.getSaveFileName(
            self, "Export as .syx", str(folder / name), "SysEx (*.syx)",
            options=QFileDialog.Option.DontConfirmOverwrite)  # asked below, once
        if path:
            self.export_selected(Path(path), plan)

    def export_selected(self, path: Path, plan: ExportPlan | None = None) -> bool:
        """Write the selection to ``path`` (never over a file that was opened here; over
        another existing file only after :attr:`confirm_overwrite`); errors go to the
        notifier."""
        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(".syx")
        sources = {Path(p).resolve() for p in self.results} | {
            Path(p.source).resolve() for p in self.selected_presets() if p.source}
        if path.resolve() in sources:
            self.report("Export refused", SysExError(
                f"{path} is a file presets were read from; choose another name — original "
                "files are never overwritten"))
            return False
        try:
            messages = self.messages_for_selection(plan)
            try:
                write_syx(path, messages)
            except OutputExists:
                if not self.confirm_overwrite(path):
                    self.status.setText(f"export cancelled: {path.name} exists")
                    return False
                write_syx(path, messages, overwrite=True)
        except CoreError as exc:
            self.report("Export failed", exc)
            return False
        plan = plan or default_plan(self.selected_presets())
        self.say(f"wrote {path} ({len(self.selected_presets())} preset(s), {plan.describe()})")
        return True

    def _ask_overwrite(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self, "Replace file?", f"{path.name} already exists in {path.parent}.\n\n"
            "Replace it with the exported presets?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def copy_hex(self) -> str:
        """Copy the selection's messages (edits included) as hex text; returns the text."""
        if not self.selected_rows():
            return ""
        try:
            text = to_hex(self.messages_for_selection())
        except CoreError as exc:
            self.report("Copy failed", exc)
            return ""
        QGuiApplication.clipboard().setText(text)
        self.say(f"copied {len(text.splitlines())} message(s) as hex ({len(text)} characters)")
        return text

    def send_selected(self) -> None:
        """Send the selected preset (edits included) to the chosen port's edit buffer."""
        presets = self.selected_presets()
        if len(presets) != 1 or not self._port_status.available:
            return
        try:
            send_messages(self.port_combo.currentText(), encode_preset(presets[0]))
        except CoreError as exc:
            self.report("Send failed", exc)
            return
        self.say(f"sent {presets[0].display_name} to {self.port_combo.currentText()}")
