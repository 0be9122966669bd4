"""The SysEx panel's outputs: MIDI ports, export to a file (edit buffer, slot or bank; never
over an opened file, over another one only when confirmed), copy as hex, send to hardware.
Mixed into :class:`app.sysex.panel.SysExPanel`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QWidget

from app.sysex.export_dialog import ExportDialog, ExportPlan, default_plan
from app.workers.worker import Worker
from core.errors import CoreError, OutputExists, SysExError
from core.sysex import encode_preset, to_hex, write_syx
from core.sysex.encode import encode_selection
from core.sysex.ports import PortStatus, send_messages

if TYPE_CHECKING:
    from app.context import AppContext
    from app.sysex.preset_model import PresetRow
    from core.sysex.model import DumpResult, Preset


class PresetOutputMixin:
    """Ports, export, copy and send for the selected presets (edits included)."""

    def _widget(self) -> QWidget:
        """The panel, as the parent of dialogs."""
        assert isinstance(self, QWidget)
        return self

    if TYPE_CHECKING:
        context: AppContext
        results: dict[str, DumpResult]
        port_combo: QComboBox
        ports_checked: bool
        confirm_overwrite: Callable[[Path], bool]
        _ports: Callable[[], PortStatus]
        _ports_probed: bool
        _port_status: PortStatus

        def selected_rows(self) -> list[PresetRow]: ...
        def selected_presets(self) -> list[Preset]: ...
        def say(self, text: str) -> None: ...
        def report(self, title: str, exc: object) -> None: ...
        def _update_actions(self) -> None: ...

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
        dialog = ExportDialog(presets, self._widget())
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        plan = dialog.plan()
        first = presets[0]
        stem = "".join(c if c.isalnum() or c in "-_ " else "_" for c in first.display_name)
        folder = Path(first.source).parent if first.source else Path.home()
        name = f"{stem.strip() or 'preset'}{' bank' if plan.as_bank else ''}.syx"
        path, _ = QFileDialog.getSaveFileName(
            self._widget(), "Export as .syx", str(folder / name), "SysEx (*.syx)",
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
            self._widget(), "Replace file?", f"{path.name} already exists in {path.parent}.\n\n"
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
