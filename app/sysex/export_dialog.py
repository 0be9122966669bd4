"""Where exported presets go: the edit buffer, a chosen program slot (and Virus bank), or a
bank of every selected preset — the choices of ``sysex export``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.sysex.encode import ExportChoices, export_choices
from core.sysex.model import Preset

BANK_LETTERS = "ABCDEFGH"


@dataclass(frozen=True)
class ExportPlan:
    """What to write: ``as_bank`` (slots 0, 1, …), else program ``slot`` (0-based) or the edit
    buffer (``slot is None``); ``bank`` is the Virus bank 1–8 (``None``: the format's default)."""

    as_bank: bool = False
    slot: int | None = None
    bank: int | None = None

    def describe(self) -> str:
        """For the status line: ``edit buffer``, ``slot 12, bank B``, ``bank A``."""
        bank = f"bank {BANK_LETTERS[self.bank - 1]}" if self.bank else ""
        if self.as_bank:
            return bank or "bank"
        if self.slot is None:
            return "edit buffer"
        return f"slot {self.slot + 1}" + (f", {bank}" if bank else "")


EDIT_BUFFER_PLAN = ExportPlan()


def default_plan(presets: Sequence[Preset]) -> ExportPlan:
    """One preset → the edit buffer; several → a bank."""
    return ExportPlan(as_bank=len(presets) > 1)


class ExportDialog(QDialog):
    """Choose edit buffer, program slot or bank for the selected presets."""

    def __init__(self, presets: Sequence[Preset], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export as .syx")
        self.presets = list(presets)
        first = self.presets[0]
        tables = {p.table.id for p in self.presets}
        self.choices: ExportChoices = export_choices(first.table.id)
        single = len(self.presets) == 1
        choices = self.choices

        self.edit_radio = QRadioButton("Edit buffer — the synth plays it, nothing is stored")
        self.slot_radio = QRadioButton("Program slot")
        self.bank_radio = QRadioButton(f"Bank — {len(self.presets)} preset(s) to slots "
                                       f"1–{len(self.presets)}")
        group = QButtonGroup(self)
        for radio in (self.edit_radio, self.slot_radio, self.bank_radio):
            group.addButton(radio)
        self.slot_spin = QSpinBox()
        self.slot_spin.setRange(1, max(1, choices.slots))
        self.slot_spin.setToolTip("Program slot, counted from 1 (the CLI's --slot counts from 0)")
        if first.program is not None and first.program < choices.slots:
            self.slot_spin.setValue(first.program + 1)
        self.bank_combo = QComboBox()
        self.bank_combo.addItems([f"bank {c}" for c in BANK_LETTERS[:choices.banks]])
        self.bank_combo.setVisible(choices.banks > 0)
        if first.bank and 1 <= first.bank <= choices.banks:
            self.bank_combo.setCurrentIndex(first.bank - 1)

        self.edit_radio.setEnabled(single)
        self.slot_radio.setEnabled(single and choices.slots > 0)
        if not single:
            self.edit_radio.setToolTip("Several presets go out as a bank")
            self.slot_radio.setToolTip("Several presets go out as a bank")
        elif choices.slots == 0:
            self.slot_radio.setToolTip(f"{first.synth}: one preset cannot be written to a slot"
                                       " by itself; export a bank instead")
        bank_problem = ""
        if len(tables) > 1:
            bank_problem = "a bank holds presets of one format; the selection mixes several"
        elif choices.bank_size and len(self.presets) > choices.bank_size:
            bank_problem = (f"{first.synth}: a bank holds {choices.bank_size} presets, "
                            f"{len(self.presets)} are selected")
        self.bank_radio.setEnabled(not bank_problem)
        self.bank_radio.setToolTip(bank_problem or (
            f"{first.synth}: a bank of {choices.bank_size}" + (
                " (the rest filled with INIT VOICE)" if first.table.id == "dx7_vced" else "")
            if choices.bank_size else "the messages one after another"))
        (self.edit_radio if single else self.bank_radio).setChecked(True)
        note = bank_problem or (self.slot_radio.toolTip() if single and not choices.slots
                                else "")
        self.problem = QLabel(note)
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(note))

        grid = QGridLayout()
        grid.addWidget(self.edit_radio, 0, 0, 1, 3)
        grid.addWidget(self.slot_radio, 1, 0)
        grid.addWidget(self.slot_spin, 1, 1)
        grid.addWidget(self.bank_combo, 1, 2)
        grid.addWidget(self.bank_radio, 2, 0, 1, 3)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose file…")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            single or self.bank_radio.isEnabled())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Export {len(self.presets)} preset(s) of {first.synth} — "
                                "edited values included, checksums recomputed."))
        layout.addLayout(grid)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        group.buttonToggled.connect(self._sync)
        self._sync()

    def _sync(self, *_: object) -> None:
        slot = self.slot_radio.isChecked()
        self.slot_spin.setEnabled(slot)
        self.bank_combo.setEnabled(slot or self.bank_radio.isChecked())

    def plan(self) -> ExportPlan:
        """The chosen destination."""
        bank = self.bank_combo.currentIndex() + 1 if self.choices.banks else None
        if self.bank_radio.isChecked():
            return ExportPlan(as_bank=True, bank=bank)
        if self.slot_radio.isChecked():
            return ExportPlan(slot=self.slot_spin.value() - 1, bank=bank)
        return EDIT_BUFFER_PLAN
