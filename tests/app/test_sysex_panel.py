"""The SysEx panel: open files in a worker, tree → banks → presets, search, parameters,
compare with highlights, export, copy as hex, send disabled with a reason, library import."""

from __future__ import annotations

import random

import pytest
from PySide6.QtGui import QGuiApplication

from app.sysex import SysExPanel, create_sysex_page
from core.sysex import decode_file, encode_bank
from core.sysex.library import Library
from core.sysex.ports import PortStatus
from tests.support.sysex_dumps import random_preset
from tests.support.sysex_panel import make_panel, open_file, select_rows


@pytest.fixture
def dump(tmp_path):
    rng = random.Random(3)
    presets = [random_preset("virus_c_single", rng, name=n).with_values(
        {"category_1": c, "category_2": 0, "cutoff": cut})
        for n, c, cut in (("Sub Bass", 2, 120), ("Soft Pad", 3, 20), ("Acid Line", 6, 110))]
    path = tmp_path / "virus.syx"
    path.write_bytes(b"".join(encode_bank(presets, bank=1)))
    return path


@pytest.fixture
def panel(qtbot, app_context, tmp_path):
    return make_panel(qtbot, app_context, tmp_path / "lib.sqlite3", show=False)








def test_the_main_window_builds_the_panel(window):
    assert isinstance(window.sysex_page, SysExPanel)


def test_create_page_signature(qtbot, app_context):
    page = create_sysex_page(app_context, None)
    qtbot.addWidget(page)
    assert isinstance(page, SysExPanel)


def test_open_file_fills_tree_and_table(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    top = panel.tree.topLevelItem(1)
    assert top.text(0) == "virus.syx" and top.text(1) == "3"
    assert top.child(0).text(0) == "Virus bank A"
    assert panel.table_model.rowCount() == 3
    index = panel.table_model.index(0, 1)
    assert panel.table_model.data(index) == "Sub Bass"
    assert panel.table_model.data(panel.table_model.index(0, 3)) == "Bass"
    assert panel.messages.topLevelItemCount() == 3


def test_search_with_parameter_filters(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    panel.search.setText("cutoff>100")
    assert panel.table_model.rowCount() == 2
    panel.search.setText("cutoff>100 category:bass")
    assert panel.table_model.rowCount() == 1
    panel.search.setText("pad")
    assert panel.table_model.data(panel.table_model.index(0, 1)) == "Soft Pad"
    panel.search.setText("")
    assert panel.table_model.rowCount() == 3


def test_parameters_grouped_by_section_in_synth_units(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    tree = panel.params.tree
    sections = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    for wanted in ("oscillators", "filter", "envelopes", "lfos", "effects"):
        assert wanted in sections
    assert "Sub Bass" in panel.params.header.text()
    filt = tree.topLevelItem(sections.index("filter"))
    rows = {filt.child(i).text(0): filt.child(i).text(1) for i in range(filt.childCount())}
    assert rows["cutoff"] == "120"
    assert rows["filter1 mode"] in ("LP", "HP", "BP", "BS") or rows["filter1 mode"].startswith(
        "Analog")


def test_compare_highlights_differences(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0, 1])
    tree = panel.params.tree
    assert tree.headerItem().toolTip(1) == "Sub Bass"
    filt = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(0) == "filter")
    cutoff = next(filt.child(i) for i in range(filt.childCount())
                  if filt.child(i).text(0) == "cutoff")
    assert (cutoff.text(1), cutoff.text(2)) == ("120", "20")
    assert cutoff.background(1).color().name() == "#ffd678"
    assert cutoff.foreground(1).color().lightness() < 60  # dark text on the highlight
    assert "differ" in panel.status.text()


def test_export_single_and_bank(qtbot, panel, dump, tmp_path):
    open_file(qtbot, panel, dump)
    select_rows(panel, [1])
    assert panel.export_selected(tmp_path / "one.syx")
    (preset,) = decode_file(tmp_path / "one.syx").presets
    assert preset.name == "Soft Pad" and preset.slot == "single buffer"
    select_rows(panel, [0, 1, 2])
    assert panel.export_selected(tmp_path / "bank.syx")
    assert [p.name for p in decode_file(tmp_path / "bank.syx").presets] == [
        "Sub Bass", "Soft Pad", "Acid Line"]


def test_copy_hex(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    text = panel.copy_hex()
    assert text.startswith("F0 00 20 33 01") and text.endswith("F7")
    assert QGuiApplication.clipboard().text() == text


def test_send_is_disabled_with_the_reason(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    assert not panel.send_button.isEnabled()
    assert panel.send_button.toolTip() == "no MIDI output ports found"


def test_send_enabled_when_a_port_exists(qtbot, app_context, tmp_path, dump, monkeypatch):
    sent = []
    monkeypatch.setattr("app.sysex.output_actions.send_messages",
                        lambda port, m: sent.append((port, m)))
    widget = SysExPanel(app_context, library=Library(tmp_path / "l.sqlite3"),
                        ports=lambda: PortStatus(("Virus TI",)))
    qtbot.addWidget(widget)
    open_file(qtbot, widget, dump)
    select_rows(widget, [0])
    assert widget.send_button.isEnabled()
    widget.send_selected()
    assert sent and sent[0][0] == "Virus TI" and sent[0][1][0][7:9] == b"\x00\x40"


def test_bad_file_is_reported_not_raised(qtbot, panel, tmp_path, app_context):
    panel.open_files([tmp_path / "absent.syx"])
    qtbot.waitUntil(lambda: "Cannot open" in panel.status.text(), timeout=10000)
    assert app_context.notifier.last_error is not None


def test_import_folder_with_progress_and_library_view(qtbot, panel, dump):
    with qtbot.waitSignal(panel.import_finished, timeout=20000) as blocker:
        panel.import_paths([dump.parent])
    assert blocker.args[0].added == 3
    qtbot.waitUntil(lambda: not panel.progress.isVisible())
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.table_model.rowCount() == 3
    panel.search.setText("tag:acid")
    assert panel.table_model.rowCount() == 1
    select_rows(panel, [0])
    assert panel.favourite_action.isEnabled()
    panel.toggle_favourite()
    panel.search.setText("is:fav")
    assert panel.table_model.rowCount() == 1
