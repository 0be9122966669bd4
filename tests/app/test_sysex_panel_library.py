"""The SysEx panel's library edits: tags and stars on presets of an open file or the library,
removal with Delete — all persisted in the SQLite file and undoable."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt

from core.sysex import encode_bank
from core.sysex.library import Library
from tests.support.sysex_dumps import random_preset
from tests.support.sysex_panel import make_panel, open_file, select_rows


@pytest.fixture
def dump(tmp_path):
    rng = random.Random(9)
    presets = [random_preset("virus_c_single", rng, name=n).with_values(
        {"category_1": 0, "category_2": 0}) for n in ("Deep Sub", "Glass Pad", "Rave Stab")]
    path = tmp_path / "virus.syx"
    path.write_bytes(b"".join(encode_bank(presets, bank=1)))
    return path


@pytest.fixture
def db(tmp_path):
    return tmp_path / "lib.sqlite3"


@pytest.fixture
def panel(qtbot, app_context, db):
    return make_panel(qtbot, app_context, db)






def _cell(panel, row, column):
    return panel.table_model.data(panel.table_model.index(row, column))


def _tags_in(db):
    library = Library(db)  # a fresh library on the same file, as after a restart
    try:
        return {item.name: item.tags for item in library.search("")}
    finally:
        library.close()


def test_tag_presets_of_a_file_persist_and_undo(qtbot, panel, dump, db):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0, 2])
    panel.add_tags(["Dark", " warm "])
    assert _cell(panel, 0, 4) == "dark, warm" and _cell(panel, 2, 4) == "dark, warm"
    assert _cell(panel, 1, 4) == ""
    assert _tags_in(db) == {"Deep Sub": ("dark", "warm"), "Rave Stab": ("dark", "warm")}
    assert [r.preset.name for r in panel.selected_rows()] == ["Deep Sub", "Rave Stab"]

    panel.search.setText("tag:dark")
    assert panel.table_model.rowCount() == 2
    panel.search.setText("")

    panel.undo_stack.undo()  # both tags in one step; the presets were stored for them
    assert _tags_in(db) == {}
    assert _cell(panel, 0, 4) == ""
    panel.undo_stack.redo()
    assert _tags_in(db) == {"Deep Sub": ("dark", "warm"), "Rave Stab": ("dark", "warm")}

    select_rows(panel, [0])
    panel.remove_tag("dark")
    assert _tags_in(db)["Deep Sub"] == ("warm",)
    panel.undo_stack.undo()
    assert _tags_in(db)["Deep Sub"] == ("dark", "warm")


def test_tags_menu_lists_the_tags_of_the_selection(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [1])
    panel.add_tags(["pad"])
    panel._fill_tags_menu()
    texts = [a.text() for a in panel.tags_menu.actions() if a.text()]
    assert texts == ["Add tag…", "Remove “pad”"]
    panel.tags_menu.actions()[-1].trigger()
    assert _cell(panel, 1, 4) == ""


def test_star_toggles_persists_and_undoes(qtbot, panel, dump, db):
    open_file(qtbot, panel, dump)
    select_rows(panel, [1])
    panel.toggle_favourite()
    assert _cell(panel, 1, 1) == "★ Glass Pad"
    again = Library(db)
    assert [p.name for p in again.search("is:fav")] == ["Glass Pad"]
    again.close()
    panel.toggle_favourite()
    assert _cell(panel, 1, 1) == "Glass Pad"
    panel.undo_stack.undo()
    assert _cell(panel, 1, 1) == "★ Glass Pad"
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.table_model.rowCount() == 1
    panel.search.setText("is:fav")
    assert panel.table_model.rowCount() == 1


def test_delete_removes_from_the_library_and_ctrl_z_brings_it_back(qtbot, panel, dump, db):
    panel.library.import_paths([dump])
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.table_model.rowCount() == 3
    select_rows(panel, [0])
    gone = panel.selected_rows()[0].preset.name
    panel.library.add_tag(panel.selected_rows()[0].library_id, "keeper")
    panel.table.window().activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5000)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert panel.table_model.rowCount() == 2
    assert gone not in _tags_in(db)
    assert "Ctrl+Z" in panel.status.text()
    qtbot.keyClick(panel.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.table_model.rowCount() == 3
    assert _tags_in(db)[gone] == ("keeper",)


def test_delete_on_presets_not_in_the_library_only_says_so(qtbot, panel, dump):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    assert not panel.remove_action.isEnabled()
    panel.remove_from_library()
    assert "not in the library" in panel.status.text()
    assert not panel.undo_stack.canUndo()


def test_a_failing_library_is_reported_not_raised(qtbot, panel, dump, tmp_path, app_context):
    open_file(qtbot, panel, dump)
    select_rows(panel, [0])
    blocker = tmp_path / "not a folder"
    blocker.write_text("x")
    panel.library = Library(blocker / "lib.sqlite3")  # its folder cannot be created
    panel.add_tags(["dark"])
    assert app_context.notifier.last_error is not None
    assert "tag" in app_context.notifier.last_error.title
    assert not panel.undo_stack.canUndo()  # the failed edit is not kept as a step
