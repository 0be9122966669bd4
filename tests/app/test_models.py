"""SessionModel and its table adapter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.models.formatting import format_db, format_duration, format_size
from app.models.session_model import SessionModel, TrackStatus
from app.models.track_table_model import TRACK_ID_ROLE, Column, TrackTableModel
from core.results import Key
from tests.app.analysis_fakes import make_analysis


def spy(signal) -> list[object]:
    seen: list[object] = []
    signal.connect(seen.append)
    return seen


def test_add_dedupes_the_same_path(qtbot: QtBot, tmp_path: Path) -> None:
    model = SessionModel()
    added = spy(model.track_added)
    first, is_new = model.add_track(tmp_path / "a.wav")
    again, again_new = model.add_track(str(tmp_path / "sub" / ".." / "a.wav"))
    other, _ = model.add_track(tmp_path / "b.wav")
    assert is_new and not again_new and again == first
    assert added == [first, other] and len(model) == 2
    assert model.track(first).status is TrackStatus.QUEUED  # type: ignore[union-attr]
    assert model.find_by_path(tmp_path / "a.wav") == first


def test_remove_clears_selection_and_allows_re_adding(qtbot: QtBot, tmp_path: Path) -> None:
    model = SessionModel()
    removed, selections = spy(model.track_removed), spy(model.selection_changed)
    track_id, _ = model.add_track(tmp_path / "a.wav")
    model.select(track_id)
    assert model.remove_track(track_id)
    assert removed == [track_id] and selections == [track_id, None]
    assert model.selected_id is None and track_id not in model
    assert not model.remove_track(track_id)
    new_id, is_new = model.add_track(tmp_path / "a.wav")
    assert is_new and new_id != track_id


def test_updates_emit_once_and_ignore_unknown_ids(qtbot: QtBot) -> None:
    model = SessionModel()
    changed = spy(model.track_changed)
    track_id, _ = model.add_track("/music/a.wav")
    model.set_analyzing(track_id)
    model.set_progress(track_id, 0.42, "decoding")
    model.set_progress(track_id, 0.42, "decoding")  # no change, no signal
    model.set_result(track_id, make_analysis())
    model.set_progress("nope", 0.5, "x")
    entry = model.track(track_id)
    assert entry is not None and entry.status is TrackStatus.DONE and entry.progress == 1.0
    assert changed == [track_id] * 3
    model.select("nope")
    assert model.selected_id is None


def test_table_shows_columns_and_follows_the_session(qtbot: QtBot) -> None:
    session = SessionModel()
    table = TrackTableModel(session)
    a, _ = session.add_track("/music/amen break.wav")
    b, _ = session.add_track("/music/reese.wav")
    assert table.rowCount() == 2 and table.columnCount() == len(Column)
    header = [table.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert header == ["Name", "Duration", "BPM", "Key", "LUFS", "Status"]

    def row(track_id: str) -> list[str]:
        r = table.row_of(track_id)
        return [table.data(table.index(r, c)) for c in Column]

    assert row(a) == ["amen break.wav", "", "", "", "", "queued"]
    session.set_analyzing(a)
    session.set_progress(a, 0.426, "decoding")
    assert row(a)[Column.STATUS] == "analyzing 43%"
    session.set_result(a, make_analysis(bpm=174.04, lufs=-9.25, duration=185.4))
    assert row(a) == ["amen break.wav", "3:05", "174.0", "", "-9.2", "done"]
    session.set_result(b, make_analysis(key=Key("F", "minor", 0.7)))
    assert row(b)[Column.KEY] == "F minor"
    assert table.data(table.index(0, 0), TRACK_ID_ROLE) == a
    session.set_failed(b, "reese.wav: not audio")
    assert table.data(table.index(1, Column.STATUS), Qt.ItemDataRole.ToolTipRole) == \
        "reese.wav: not audio"
    session.remove_track(a)
    assert table.rowCount() == 1 and table.track_id_at(0) == b


def test_formatting() -> None:
    assert format_duration(5.6) == "0:06"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == ""
    assert format_db(-14.234, "LUFS") == "-14.2 LUFS"
    assert format_db(None, "LUFS") == "–"
    assert format_db(-200.0, "dBFS") == "-inf dBFS"
    assert format_size(1_400_000) == "1.4 MB"
