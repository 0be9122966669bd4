"""The main window end to end: real analysis of generated audio, drops, failures, cancel, close."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.context import AppContext
from app.controllers.analysis_controller import AnalysisController
from app.main_window import MainWindow
from app.models.session_model import SessionModel, TrackStatus
from app.models.track_table_model import Column
from app.panels.library_panel import EMPTY_TEXT
from app.settings import AppSettings
from app.workers.worker import running_workers
from tests.app.analysis_fakes import GatedAnalysis

ANALYSIS_TIMEOUT_MS = 60_000


def status_of(window: MainWindow, track_id: str) -> TrackStatus | None:
    entry = window.session.track(track_id)
    return entry.status if entry else None


def wait_status(qtbot: QtBot, window: MainWindow, track_id: str, *statuses: TrackStatus,
                timeout: int = ANALYSIS_TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: status_of(window, track_id) in statuses, timeout=timeout)


def cell(window: MainWindow, track_id: str, column: Column) -> str:
    model = window.library_panel.table_model
    return model.data(model.index(model.row_of(track_id), column))


def url_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def make_window(qtbot: QtBot, context: AppContext, analyze_fn: GatedAnalysis) -> MainWindow:
    """A shown window whose controller runs ``analyze_fn`` instead of the core pipeline."""
    controller = AnalysisController(context, SessionModel(), analyze_fn=analyze_fn)
    window = MainWindow(context, controller=controller)
    qtbot.addWidget(window)
    window.show()
    return window


def test_empty_state_then_a_real_analysis(qtbot: QtBot, window: MainWindow,
                                          click_wav: Path) -> None:
    assert window.library_panel.is_empty_state_shown
    assert window.library_panel.empty_label.text() == EMPTY_TEXT
    [track_id] = window.open_paths([click_wav])
    assert not window.library_panel.is_empty_state_shown
    wait_status(qtbot, window, track_id, TrackStatus.DONE, TrackStatus.FAILED)
    entry = window.session.track(track_id)
    assert entry is not None and entry.status is TrackStatus.DONE, entry
    assert abs(float(cell(window, track_id, Column.BPM)) - 120.0) <= 2.0
    assert cell(window, track_id, Column.DURATION) == "0:06"
    assert entry.analysis is not None and entry.analysis.loudness is not None
    lufs = entry.analysis.loudness.integrated_lufs
    assert lufs is not None
    assert cell(window, track_id, Column.LUFS) == f"{lufs:.1f}"
    assert window.session.selected_id == track_id
    text = window.results_panel.text()
    assert f"{lufs:.1f} LUFS" in text
    assert "dBTP" in text and "Runner-up" in text and "Onsets" in text
    assert "backends: " in text and "libsndfile" in text
    qtbot.waitUntil(lambda: not window.activity_panel.rows(), timeout=10_000)


def test_a_real_drop_event_opens_the_file(qtbot: QtBot, window: MainWindow,
                                          click_wav: Path) -> None:
    mime = url_mime(click_wav)
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    track_id = window.session.find_by_path(click_wav)
    assert track_id is not None
    wait_status(qtbot, window, track_id, TrackStatus.DONE, TrackStatus.FAILED)
    assert status_of(window, track_id) is TrackStatus.DONE
    assert abs(float(cell(window, track_id, Column.BPM)) - 120.0) <= 2.0
    assert str(click_wav) in window.context.settings.recent_files()


def test_drags_without_local_files_are_refused(qtbot: QtBot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_a_corrupt_file_fails_and_the_window_keeps_working(
        qtbot: QtBot, window: MainWindow, corrupt_wav: Path, click_wav: Path) -> None:
    [bad] = window.open_paths([corrupt_wav])
    wait_status(qtbot, window, bad, TrackStatus.FAILED, TrackStatus.DONE)
    assert status_of(window, bad) is TrackStatus.FAILED
    errors = window.context.notifier.errors
    assert len(errors) == 1
    assert corrupt_wav.name in errors[0].title and corrupt_wav.name in errors[0].message
    assert window.error_button.isVisible() and "1 error" in window.error_button.text()
    assert corrupt_wav.name in window.statusBar().currentMessage()
    assert "Analysis failed" in window.results_panel.text()
    box = window.show_last_error()
    assert box is not None and not box.isVisible()
    box.deleteLater()
    [good] = window.open_paths([click_wav])
    wait_status(qtbot, window, good, TrackStatus.DONE, TrackStatus.FAILED)
    assert status_of(window, good) is TrackStatus.DONE
    assert len(window.context.notifier.errors) == 1


def test_cancelling_a_long_analysis_is_quick(qtbot: QtBot, window: MainWindow,
                                             long_noise_wav: Path) -> None:
    [track_id] = window.open_paths([long_noise_wav])
    qtbot.waitUntil(lambda: window.session.track(track_id).progress > 0.1,  # type: ignore[union-attr]
                    timeout=ANALYSIS_TIMEOUT_MS)
    assert [row.worker.title for row in window.activity_panel.rows()] == \
        [f"Analyse {long_noise_wav.name}"]
    window.session.select(track_id)
    assert window.actions_.cancel_analysis.isEnabled()
    started = time.monotonic()
    window.actions_.cancel_analysis.trigger()
    wait_status(qtbot, window, track_id, TrackStatus.CANCELLED, TrackStatus.DONE,
                TrackStatus.FAILED, timeout=10_000)
    assert status_of(window, track_id) is TrackStatus.CANCELLED
    assert time.monotonic() - started < 3.0
    assert window.context.notifier.errors == []
    qtbot.waitUntil(lambda: window.context.runner.active_count == 0, timeout=10_000)
    assert window.actions_.reanalyze.isEnabled()


def test_activity_cancel_button_cancels_the_job(
        qtbot: QtBot, make_context: Callable[..., AppContext]) -> None:
    context = make_context()
    window = make_window(qtbot, context, GatedAnalysis())
    [track_id] = window.open_paths(["/music/a.wav"])
    qtbot.waitUntil(lambda: len(window.activity_panel.rows()) == 1, timeout=10_000)
    row = window.activity_panel.rows()[0]
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    wait_status(qtbot, window, track_id, TrackStatus.CANCELLED, timeout=10_000)
    qtbot.waitUntil(lambda: not window.activity_panel.rows(), timeout=10_000)


def test_at_most_two_analyses_run_and_the_rest_queue(
        qtbot: QtBot, make_context: Callable[..., AppContext]) -> None:
    fake = GatedAnalysis()
    window = make_window(qtbot, make_context(), fake)
    ids = window.open_paths([f"/music/{n}.wav" for n in "abcd"])
    qtbot.waitUntil(lambda: len(fake.started) == 2, timeout=10_000)
    statuses = [status_of(window, i) for i in ids]
    assert statuses == [TrackStatus.ANALYZING] * 2 + [TrackStatus.QUEUED] * 2
    assert window.controller.queued_count == 2
    fake.release()
    for track_id in ids:
        wait_status(qtbot, window, track_id, TrackStatus.DONE, timeout=10_000)
    assert len(fake.started) == 4


def test_duplicates_delete_and_double_click(qtbot: QtBot, make_context) -> None:
    fake = GatedAnalysis()
    fake.release()
    window = make_window(qtbot, make_context(), fake)
    a, b = window.open_paths(["/music/a.wav", "/music/b.wav"])
    assert window.open_paths(["/music/a.wav"]) == []
    assert len(window.session) == 2
    wait_status(qtbot, window, b, TrackStatus.DONE, timeout=10_000)
    wait_status(qtbot, window, a, TrackStatus.DONE, timeout=10_000)
    table = window.library_panel.table
    table.selectRow(1)
    assert window.session.selected_id == b
    rect = table.visualRect(table.model().index(1, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(fake.started) == 3, timeout=10_000)
    wait_status(qtbot, window, b, TrackStatus.DONE, timeout=10_000)
    assert fake.started.count(Path("/music/b.wav")) == 2
    window.activateWindow()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert b not in window.session and len(window.session) == 1
    assert window.session.selected_id == a
    window.actions_.remove_track.trigger()
    assert len(window.session) == 0 and window.library_panel.is_empty_state_shown
    assert "Select a track" in window.results_panel.text()


def test_no_analysis_on_drop_when_configured_off(qtbot: QtBot, make_context) -> None:
    fake = GatedAnalysis()
    fake.release()
    window = make_window(qtbot, make_context(**{"app.analyze_on_drop": False}), fake)
    [track_id] = window.open_paths(["/music/a.wav"])
    qtbot.wait(100)
    assert status_of(window, track_id) is TrackStatus.QUEUED and fake.started == []
    window.actions_.reanalyze.trigger()
    wait_status(qtbot, window, track_id, TrackStatus.DONE, timeout=10_000)


def test_folders_are_scanned_in_a_worker(qtbot: QtBot, window: MainWindow, tmp_path: Path,
                                         click_wav: Path) -> None:
    folder = tmp_path / "crate"
    (folder / "deep").mkdir(parents=True)
    for name in ("one.wav", "deep/two.wav"):
        (folder / name).write_bytes(click_wav.read_bytes())
    (folder / "notes.txt").write_text("not audio")
    assert window.open_paths([folder]) == []
    qtbot.waitUntil(lambda: len(window.session) == 2, timeout=10_000)
    assert sorted(e.name for e in window.session.tracks()) == ["one.wav", "two.wav"]
    for track_id in window.session.track_ids():
        wait_status(qtbot, window, track_id, TrackStatus.DONE, TrackStatus.FAILED)
        assert status_of(window, track_id) is TrackStatus.DONE


def test_closing_the_window_shuts_the_runner_down(
        qtbot: QtBot, make_context: Callable[..., AppContext]) -> None:
    context = make_context()
    fake = GatedAnalysis()
    window = make_window(qtbot, context, fake)
    window.open_paths(["/music/a.wav", "/music/b.wav"])
    qtbot.waitUntil(lambda: len(fake.started) == 2, timeout=10_000)
    workers = context.runner.workers()
    assert len(workers) == 2
    window.close()
    assert context.runner.is_shut_down and context.runner.active_count == 0
    assert all(w.thread_object.isFinished() for w in workers)
    assert running_workers() == []
    assert context.settings.window_state() is not None


def test_window_layout_is_restored(qtbot: QtBot, make_context) -> None:
    context = make_context()
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.resize(700, 500)
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first.library_dock)
    first.save_layout()
    second = MainWindow(context)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 500)
    assert second.dockWidgetArea(second.library_dock) is Qt.DockWidgetArea.RightDockWidgetArea


def test_library_columns_fit_the_dock_and_the_choice_is_kept(qtbot: QtBot, make_context,
                                                              tmp_path: Path) -> None:
    context = make_context()
    first = MainWindow(context)
    qtbot.addWidget(first)
    first.resize(1400, 900)
    first.show()
    qtbot.waitExposed(first)
    for name in ("Dillinja - Friday (VIP).flac", "amen_break_170.wav"):
        first.session.add_track(tmp_path / name)
    table = first.library_panel.table
    # Duration and LUFS start hidden: name, BPM, key and status fit without a scroll bar
    assert first.library_panel.hidden_columns == ["duration", "lufs"]
    qtbot.waitUntil(lambda: table.horizontalHeader().length() <= table.viewport().width())
    assert table.horizontalScrollBar().maximum() == 0
    menu = first.library_panel.column_menu()
    actions = {a.text(): a for a in menu.actions()}
    assert set(actions) == {"Duration", "BPM", "Key", "LUFS", "Status"}
    assert not actions["LUFS"].isChecked() and actions["Key"].isChecked()
    actions["LUFS"].setChecked(True)  # the user shows LUFS and hides the key
    actions["Key"].setChecked(False)
    assert not table.isColumnHidden(Column.LUFS) and table.isColumnHidden(Column.KEY)
    assert not table.isColumnHidden(Column.NAME)
    second = MainWindow(context)
    qtbot.addWidget(second)
    assert second.library_panel.hidden_columns == ["duration", "key"]
    # every column shown is a choice too, and it survives the settings file being read anew
    for column in ("Duration", "Key"):
        actions[column].setChecked(True)
    menu.deleteLater()
    context.settings.sync()
    assert AppSettings(context.settings.file_path.parent).hidden_library_columns(["lufs"]) == []


@pytest.mark.parametrize("show", [False])
def test_about_lists_version_and_backends(qtbot: QtBot, window: MainWindow, show: bool) -> None:
    box = window.show_about()
    assert "Breakroom" in box.text() and "libsndfile" in box.text()
    assert box.isVisible() is show
    box.deleteLater()


def test_sysex_and_latent_tabs_get_the_whole_window(qtbot: QtBot, make_context) -> None:
    context = make_context()
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.loop_dock.hide()  # the user closed one dock: it stays closed
    shown = [d for d in window.track_docks if d.isVisible()]
    assert window.results_dock in shown and window.loop_dock not in shown
    window.workspace.setCurrentWidget(window.sysex_tab)
    assert not any(d.isVisible() for d in window.track_docks)
    assert window.activity_dock.isVisible()  # jobs of every tab show there
    window._show_track_dock(window.stems_dock)  # stems arrive meanwhile: shown later
    assert not window.stems_dock.isVisible()
    window.save_layout()  # saved as the Track tab has it
    window.workspace.setCurrentWidget(window.latent_tab)
    assert not any(d.isVisible() for d in window.track_docks)
    # However wide a tab's content, the window fits a 1366 × 768 laptop screen (it scrolls).
    assert window.minimumSizeHint().width() <= 1366
    assert window.minimumSizeHint().height() <= 768
    window.workspace.setCurrentWidget(window.track_page)
    assert {d for d in window.track_docks if d.isVisible()} == {*shown, window.stems_dock}
    second = MainWindow(context)
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.results_dock.isVisible() and not second.loop_dock.isVisible()
