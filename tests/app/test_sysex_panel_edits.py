"""The SysEx panel's edits: parameter values (spin box / combo) with undo and redo, export to
the edit buffer, a slot or a bank through the core encoder (checksums right, the opened file
untouched), copy as hex, and keyboard shortcuts."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QComboBox

from app.sysex.export_dialog import ExportDialog, ExportPlan
from app.sysex.param_view import ParamSpinBox
from core.sysex import decode_bytes, decode_file, encode_bank
from core.sysex.checksums import sum7
from tests.support.sysex_dumps import random_preset
from tests.support.sysex_panel import make_panel, open_file, select_rows


@pytest.fixture
def dump(tmp_path):
    rng = random.Random(5)
    presets = [random_preset("virus_c_single", rng, name=n).with_values(
        {"category_1": 0, "category_2": 0, "cutoff": cut, "osc2_sync": 0})
        for n, cut in (("Sub Bass", 120), ("Soft Pad", 20), ("Acid Line", 110))]
    path = tmp_path / "virus.syx"
    path.write_bytes(b"".join(encode_bank(presets, bank=1)))
    return path


@pytest.fixture
def panel(qtbot, app_context, tmp_path):
    return make_panel(qtbot, app_context, tmp_path / "lib.sqlite3")






def _focus(qtbot, widget):
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


def _edit_with_spin_box(qtbot, panel, name, text):
    panel.params.edit_parameter(name)
    editor = QApplication.focusWidget()
    assert isinstance(editor, ParamSpinBox) and editor.param.name == name
    editor.lineEdit().selectAll()
    qtbot.keyClicks(editor.lineEdit(), text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop
    qtbot.waitUntil(lambda: panel.params.item_of(name).text(1) == text, timeout=5000)


def _name(panel, row):
    return panel.table_model.data(panel.table_model.index(row, 1))


def test_edit_a_value_undo_redo_and_export_to_a_slot(qtbot, panel, dump, tmp_path):
    original_bytes = dump.read_bytes()
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    _edit_with_spin_box(qtbot, panel, "cutoff", "77")
    item = panel.params.item_of("cutoff")
    assert item.text(1) == "77" and item.font(1).bold()
    assert _name(panel, 0) == "Sub Bass *"
    assert "edited: 1 parameter" in panel.params.header.text()
    assert panel.undo_stack.undoText().startswith("set cutoff 120 → 77")

    out = tmp_path / "edited.syx"
    assert panel.export_selected(out, ExportPlan(slot=4, bank=2))
    (message,) = decode_file(out).messages
    assert message.checksum == "ok"
    raw = out.read_bytes()
    assert raw[7:9] == b"\x02\x04" and raw[-2] == sum7(raw[5:-2])
    (exported,) = decode_file(out).presets
    assert exported.values()["cutoff"] == 77 and exported.name == "Sub Bass"
    assert not exported.warnings
    assert dump.read_bytes() == original_bytes  # the opened file is never written

    panel.undo_stack.undo()
    assert panel.params.item_of("cutoff").text(1) == "120"
    assert _name(panel, 0) == "Sub Bass" and not panel.edits
    panel.undo_stack.redo()
    assert panel.params.item_of("cutoff").text(1) == "77"
    assert panel.selected_presets()[0].values()["cutoff"] == 77


def test_edits_survive_switching_files_and_show_in_copy_hex(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [1])
    panel.edit_value("cutoff", 99)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))  # the library, then back
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    assert _name(panel, 1) == "Soft Pad *"
    select_rows(panel, [1])
    text = panel.copy_hex()
    assert QGuiApplication.clipboard().text() == text
    (preset,) = decode_bytes(bytes.fromhex(text)).presets
    assert preset.values()["cutoff"] == 99 and not preset.warnings


def test_named_values_are_edited_with_a_combo(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    panel.params.edit_parameter("osc2_sync")
    editor = QApplication.focusWidget()
    assert isinstance(editor, QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == ["Off", "On"]
    editor.setCurrentIndex(1)
    panel.params.tree.commitData(editor)
    assert panel.params.item_of("osc2_sync").text(1) == "On"
    assert panel.selected_presets()[0].values()["osc2_sync"] == 1


def test_spin_box_stays_in_range_and_reads_synth_units(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    table = panel.selected_presets()[0].table
    spin = ParamSpinBox(table.parameter("osc1_semitone"))
    qtbot.addWidget(spin)
    assert (spin.minimum(), spin.maximum()) == (16, 112)
    spin.setValue(76)
    assert spin.text() == "+12 st"
    assert spin.validate("loud", 0)[0].name == "Intermediate"
    assert spin.valueFromText("-5") == 59
    panel.edit_value("osc1_semitone", 200)  # outside the range: refused, reported
    assert panel.selected_presets()[0].values()["osc1_semitone"] != 200
    assert panel.context.notifier.last_error.title == "Edit refused"
    assert not panel.undo_stack.canUndo()


def test_revert_undoes_every_edit_of_the_preset(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    panel.edit_value("cutoff", 1)
    panel.edit_value("filter1_resonance", 2)
    assert panel.revert_action.isEnabled()
    panel.revert_selected()
    assert _name(panel, 0) == "Sub Bass" and not panel.edits
    panel.undo_stack.undo()  # the revert is one step
    assert panel.selected_presets()[0].values()["filter1_resonance"] == 2


def test_export_never_overwrites_the_opened_file_and_asks_for_others(qtbot, panel, dump,
                                                                     tmp_path, app_context):
    before = dump.read_bytes()
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    panel.edit_value("cutoff", 5)
    assert not panel.export_selected(dump)
    assert dump.read_bytes() == before
    assert "never overwritten" in app_context.notifier.last_error.message

    other = tmp_path / "other.syx"
    other.write_bytes(b"keep me")
    asked = []
    panel.confirm_overwrite = lambda path: asked.append(path) or False
    assert not panel.export_selected(other)
    assert asked == [other] and other.read_bytes() == b"keep me"
    panel.confirm_overwrite = lambda path: True
    assert panel.export_selected(other)
    assert decode_file(other).presets[0].values()["cutoff"] == 5


def test_export_a_bank_to_a_chosen_virus_bank(qtbot, panel, dump, tmp_path):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0, 2])
    assert panel.export_selected(tmp_path / "bank", ExportPlan(as_bank=True, bank=3))
    result = decode_file(tmp_path / "bank.syx")
    assert [p.name for p in result.presets] == ["Sub Bass", "Acid Line"]
    assert [p.slot for p in result.presets] == ["C000", "C001"]
    assert all(m.checksum == "ok" for m in result.messages)


def test_export_dialog_offers_what_the_format_allows(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    virus = panel.table_model.row_at(0).preset
    one = ExportDialog([virus])
    qtbot.addWidget(one)
    assert one.edit_radio.isChecked() and one.slot_radio.isEnabled()
    assert one.bank_combo.count() == 8
    one.slot_radio.setChecked(True)
    one.slot_spin.setValue(12)
    one.bank_combo.setCurrentIndex(1)
    assert one.plan() == ExportPlan(slot=11, bank=2)
    several = ExportDialog([virus, panel.table_model.row_at(1).preset])
    qtbot.addWidget(several)
    assert several.bank_radio.isChecked() and not several.edit_radio.isEnabled()
    assert several.plan().as_bank
    dx7 = ExportDialog([random_preset("dx7_vced", random.Random(1))])
    qtbot.addWidget(dx7)
    assert not dx7.slot_radio.isEnabled() and "bank" in dx7.problem.text()
    mixed = ExportDialog([virus, random_preset("dx7_vced", random.Random(2))])
    qtbot.addWidget(mixed)
    assert not mixed.bank_radio.isEnabled() and mixed.problem.text()


def test_keyboard_shortcuts(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    _focus(qtbot, panel.table)
    qtbot.keyClick(panel.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    _focus(qtbot, panel.table)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text().startswith("F0 00 20 33 01")
    panel.edit_value("cutoff", 64)
    _focus(qtbot, panel.table)
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.selected_presets()[0].values()["cutoff"] == 120
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert panel.selected_presets()[0].values()["cutoff"] == 64
    assert panel.undo_action.toolTip().startswith("Undo set cutoff")


def test_empty_views_say_what_to_do(qtbot, panel, dump):
    assert "Open" in panel.table.hint_for()
    assert "Select a preset" in panel.params.tree.hint
    open_file(qtbot, panel, dump)
    panel.search.setText("zzzz")
    assert panel.table_model.rowCount() == 0
    assert "No preset matches “zzzz”" in panel.table.hint_for()
    assert not panel.export_action.isEnabled()
    panel.search.setText("")
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert "library is empty" in panel.table.hint_for()


def test_search_keeps_the_selection_and_compare_can_hide_equal_values(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0, 1])
    panel.search.setText("s")  # both names contain an "s"
    assert [r.preset.name for r in panel.selected_rows()] == ["Sub Bass", "Soft Pad"]
    tree = panel.params.tree
    total = sum(tree.topLevelItem(i).childCount() for i in range(tree.topLevelItemCount()))
    panel.params.diff_only.setChecked(True)
    shown = [tree.topLevelItem(i).child(j).text(0) for i in range(tree.topLevelItemCount())
             for j in range(tree.topLevelItem(i).childCount())]
    assert "cutoff" in shown and "osc2 sync" not in shown and len(shown) < total
