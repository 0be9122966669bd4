"""The SysEx preset browser: files → banks → presets, search, parameters, compare, export,
copy as hex, send to hardware, and a library with import progress.

Decoding and importing run in :class:`app.workers.worker.Worker` threads; the UI thread only
fills models and views.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QShowEvent,
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
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.sysex.preset_model import PresetRow, PresetTableModel
from app.workers.worker import Worker
from core.errors import CoreError
from core.sysex import encode_bank, encode_preset, to_hex, write_syx
from core.sysex.compare import compare_presets
from core.sysex.decode import decode_file
from core.sysex.library import Library
from core.sysex.model import DumpResult, Preset
from core.sysex.ports import PortStatus, output_ports, send_messages

DIFF_BRUSH = QBrush(QColor(255, 214, 120))
SYX_FILTER = "SysEx dumps (*.syx *.mid *.midi *.bin *.sysex);;All files (*)"


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
        self._import_worker: Worker | None = None
        self._port_status = PortStatus((), "looking for MIDI outputs…")
        self.ports_checked = False
        self._ports_probed = False
        self._build()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.open_button = QPushButton("Open…")
        self.import_button = QPushButton("Import folder to library…")
        self.search = QLineEdit(placeholderText="search: name, tag, cutoff>100 category:bass")
        self.export_button = QPushButton("Export .syx…")
        self.copy_button = QPushButton("Copy hex")
        self.favourite_button = QPushButton("★ Favourite")
        self.port_combo = QComboBox()
        self.send_button = QPushButton("Send to edit buffer")
        bar = QHBoxLayout()
        for w in (self.open_button, self.import_button, self.search, self.export_button,
                  self.copy_button, self.favourite_button, self.port_combo, self.send_button):
            bar.addWidget(w)
        bar.setStretchFactor(self.search, 1)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["files / banks", "presets"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table_model = PresetTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.params = QTreeWidget()
        self.params.setHeaderLabels(["parameter", "value", "raw"])
        self.messages = QTreeWidget()
        self.messages.setHeaderLabels(["#", "bytes", "manufacturer", "kind", "status",
                                       "checksum"])
        self.notes = QListWidget()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.params, "Parameters")
        self.tabs.addTab(self.messages, "Messages")
        self.tabs.addTab(self.notes, "Notes")

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.setSizes([220, 420, 360])
        self.status = QLabel("Drop .syx or .mid files here, or Open…")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        foot = QHBoxLayout()
        foot.addWidget(self.status, 1)
        foot.addWidget(self.progress)
        foot.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addLayout(foot)

        self.open_button.clicked.connect(self._ask_open)
        self.import_button.clicked.connect(self._ask_import)
        self.search.textChanged.connect(self._on_search)
        self.export_button.clicked.connect(self._ask_export)
        self.copy_button.clicked.connect(self.copy_hex)
        self.favourite_button.clicked.connect(self.toggle_favourite)
        self.send_button.clicked.connect(self.send_selected)
        self.cancel_button.clicked.connect(self.cancel_import)
        self.tree.currentItemChanged.connect(self._on_tree)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self._library_item = QTreeWidgetItem(["Library", ""])
        self.tree.addTopLevelItem(self._library_item)
        self._update_actions()

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
            worker.failed.connect(lambda exc, p=path: self._report(f"Cannot open {p}", exc))
            self.context.runner.start(worker)

    def _on_decoded(self, result: DumpResult) -> None:
        self.results[result.source] = result
        item = QTreeWidgetItem([Path(result.source).name, str(len(result.presets))])
        item.setData(0, Qt.ItemDataRole.UserRole, ("file", result.source, None))
        item.setToolTip(0, result.source + "\n" + result.summary())
        for i, bank in enumerate(result.banks):
            child = QTreeWidgetItem([bank.title, str(len(bank.presets))])
            child.setData(0, Qt.ItemDataRole.UserRole, ("bank", result.source, i))
            item.addChild(child)
        self.tree.addTopLevelItem(item)
        item.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.status.setText(f"{Path(result.source).name}: {result.summary()}")
        self.file_loaded.emit(result.source)

    def _on_tree(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        if item is self._library_item:
            self.show_library()
            return
        kind, source, bank = item.data(0, Qt.ItemDataRole.UserRole)
        result = self.results[source]
        presets = result.presets if kind == "file" else list(result.banks[bank].presets)
        self.table_model.set_rows([PresetRow(p, tuple(c.lower() for c in p.categories),
                                             origin=source) for p in presets])
        self._fill_messages(result)

    def _fill_messages(self, result: DumpResult) -> None:
        self.messages.clear()
        for m in result.messages[:5000]:
            self.messages.addTopLevelItem(QTreeWidgetItem(
                [str(m.index + 1), str(m.length), m.manufacturer, m.kind, m.status,
                 m.checksum]))
        self.notes.clear()
        self.notes.addItems(list(result.notes) or ["nothing was skipped or repaired"])

    # -- library --------------------------------------------------------------------------

    def show_library(self) -> None:
        """Fill the table with the library (search applies as for files)."""
        try:
            found = self.library.search("")
        except CoreError as exc:
            self._report("Library", exc)
            return
        self.table_model.set_rows([PresetRow(p.to_preset(), p.tags, p.favourite, p.id)
                                   for p in found])
        self._library_item.setText(1, str(len(found)))

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
        worker.failed.connect(lambda exc: self._report("Import failed", exc))
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
        self.status.setText(report.summary())  # type: ignore[attr-defined]
        self.import_finished.emit(report)
        if self.tree.currentItem() is self._library_item:
            self.show_library()

    def _import_done(self) -> None:
        self._import_worker = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def toggle_favourite(self) -> None:
        """Mark/unmark the selected library presets as favourites."""
        rows = [r for r in self.selected_rows() if r.library_id is not None]
        for row in rows:
            self.library.set_favourite(row.library_id, not row.favourite)
        if rows:
            self.show_library()

    # -- selection, parameters, compare ---------------------------------------------------

    def _on_search(self, text: str) -> None:
        self.table_model.set_filter(text)
        self.status.setText(f"{self.table_model.rowCount()} of {self.table_model.total()} "
                            "presets match")

    def selected_rows(self) -> list[PresetRow]:
        """Rows selected in the table, in view order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.table_model.row_at(r) for r in rows]

    def selected_presets(self) -> list[Preset]:
        """Presets selected in the table."""
        return [r.preset for r in self.selected_rows()]

    def _on_selection(self, *_: object) -> None:
        presets = self.selected_presets()
        if len(presets) == 2:
            self.show_comparison(*presets)
        elif presets:
            self.show_parameters(presets[0])
        else:
            self.params.clear()
        self._update_actions()

    def show_parameters(self, preset: Preset) -> None:
        """Parameters grouped by section, values in the synth's units."""
        self.params.clear()
        self.params.setHeaderLabels(["parameter", "value", "raw"])
        head = QTreeWidgetItem([preset.display_name, preset.synth, preset.slot])
        self.params.addTopLevelItem(head)
        for warning in preset.warnings:
            head.addChild(QTreeWidgetItem(["warning", warning, ""]))
        for section, params in preset.table.sections().items():
            group = QTreeWidgetItem([section, "", ""])
            for p in params:
                value = p.read(preset.data)
                group.addChild(QTreeWidgetItem([p.title, p.format(value), str(value)]))
            self.params.addTopLevelItem(group)
            group.setExpanded(True)
        head.setExpanded(True)

    def show_comparison(self, a: Preset, b: Preset) -> list[str]:
        """Two presets side by side, differing parameters highlighted; returns their names."""
        self.params.clear()
        self.params.setHeaderLabels(["parameter", a.display_name, b.display_name])
        groups: dict[str, QTreeWidgetItem] = {}
        differing: list[str] = []
        for row in compare_presets(a, b):
            group = groups.get(row.section)
            if group is None:
                group = groups[row.section] = QTreeWidgetItem([row.section, "", ""])
                self.params.addTopLevelItem(group)
                group.setExpanded(True)
            item = QTreeWidgetItem([row.name, row.a_text or "–", row.b_text or "–"])
            if row.differs:
                differing.append(row.name)
                for column in range(3):
                    item.setBackground(column, DIFF_BRUSH)
            group.addChild(item)
        self.status.setText(f"{len(differing)} parameter(s) differ")
        return differing

    # -- export, copy, send ---------------------------------------------------------------

    def _update_actions(self) -> None:
        presets = self.selected_presets()
        for button in (self.export_button, self.copy_button):
            button.setEnabled(bool(presets))
        status = self._port_status
        self.send_button.setEnabled(status.available and len(presets) == 1)
        self.send_button.setToolTip(status.reason or "send the selected preset to the "
                                                     "synth's edit buffer")
        self.favourite_button.setEnabled(any(r.library_id is not None
                                             for r in self.selected_rows()))

    def showEvent(self, event: QShowEvent) -> None:
        """Qt override: look for MIDI outputs the first time the tab is shown."""
        super().showEvent(event)
        if not self._ports_probed:
            self.refresh_ports()

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
        self.port_combo.addItems(list(self._port_status.names) or ["(no MIDI output)"])
        self.port_combo.setEnabled(self._port_status.available)
        self.port_combo.setToolTip(self._port_status.reason)
        self._update_actions()

    def messages_for_selection(self) -> list[bytes]:
        """One preset → its edit-buffer dump; several → a bank (slots 0, 1, …)."""
        presets = self.selected_presets()
        if len(presets) == 1:
            return encode_preset(presets[0])
        return encode_bank(presets)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export as .syx", "presets.syx",
                                              "SysEx (*.syx)")
        if path:
            self.export_selected(Path(path))

    def export_selected(self, path: Path) -> bool:
        """Write the selection (single dump or bank) to ``path``; errors go to the notifier."""
        try:
            write_syx(path, self.messages_for_selection(), overwrite=True)
        except CoreError as exc:
            self._report("Export failed", exc)
            return False
        self.status.setText(f"wrote {path}")
        return True

    def copy_hex(self) -> str:
        """Copy the selection's messages as hex text; returns the text."""
        try:
            text = to_hex(self.messages_for_selection())
        except CoreError as exc:
            self._report("Copy failed", exc)
            return ""
        QGuiApplication.clipboard().setText(text)
        self.status.setText(f"copied {len(text)} characters of hex")
        return text

    def send_selected(self) -> None:
        """Send the selected preset to the chosen port's edit buffer."""
        presets = self.selected_presets()
        if len(presets) != 1 or not self._port_status.available:
            return
        try:
            send_messages(self.port_combo.currentText(), encode_preset(presets[0]))
        except CoreError as exc:
            self._report("Send failed", exc)
            return
        self.status.setText(f"sent {presets[0].display_name} to {self.port_combo.currentText()}")

    def _report(self, title: str, exc: object) -> None:
        self.context.notifier.error(title, str(exc))
        self.status.setText(f"{title}: {exc}")
