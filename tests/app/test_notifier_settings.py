"""Notifier (one route for errors, log file, hooks) and AppSettings (QSettings wrapper)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, qWarning
from pytestqt.qtbot import QtBot

from app.notifier import Notifier
from app.settings import SCHEMA_VERSION, AppSettings


def test_error_goes_to_status_list_and_log(qtbot: QtBot, tmp_path: Path) -> None:
    notifier = Notifier(tmp_path / "logs", show_dialogs=False)
    messages: list[tuple[str, int]] = []
    notifier.message_posted.connect(lambda text, ms: messages.append((text, ms)))
    try:
        notifier.error("Could not analyse a.wav", "a.wav: not audio", "details here")
        assert [e.message for e in notifier.errors] == ["a.wav: not audio"]
        assert messages == [("Could not analyse a.wav: a.wav: not audio", 0)]
        box = notifier.show_details()
        assert box is not None and not box.isVisible()
        assert box.detailedText() == "details here" and box.text() == "a.wav: not audio"
        box.deleteLater()
    finally:
        notifier.close()
    log_text = notifier.log_path.read_text(encoding="utf-8")
    assert "a.wav: not audio" in log_text and "details here" in log_text


def test_error_from_another_thread_arrives_on_the_ui_thread(qtbot: QtBot, tmp_path: Path) -> None:
    notifier = Notifier(tmp_path / "logs", show_dialogs=False)
    try:
        thread = threading.Thread(target=notifier.error, args=("Bg", "from a thread"))
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(notifier.errors) == 1, timeout=5000)
    finally:
        notifier.close()


def test_excepthook_routes_uncaught_exceptions(qtbot: QtBot, tmp_path: Path) -> None:
    notifier = Notifier(tmp_path / "logs", show_dialogs=False)
    before = sys.excepthook
    notifier.install_excepthook()
    try:
        assert sys.excepthook == notifier.handle_uncaught
        try:
            raise KeyError("missing-thing")
        except KeyError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        notifier.close()
    assert sys.excepthook is before
    record = notifier.last_error
    assert record is not None and "missing-thing" in record.message
    assert "Traceback" in record.details


def test_qt_warnings_go_to_the_log(qtbot: QtBot, tmp_path: Path) -> None:
    notifier = Notifier(tmp_path / "logs", show_dialogs=False)
    notifier.install_qt_message_handler()
    try:
        qWarning("a Qt warning for the log")
    finally:
        notifier.close()
    assert "Qt: a Qt warning for the log" in notifier.log_path.read_text(encoding="utf-8")
    assert notifier.errors == []


def test_settings_recent_files_and_window_layout(tmp_path: Path) -> None:
    settings = AppSettings(tmp_path)
    assert settings.file_path == tmp_path / "breakroom.ini"
    assert settings.schema_version == SCHEMA_VERSION
    for name in ("a.wav", "b.wav", "c.wav", "a.wav"):
        settings.add_recent_file(tmp_path / name, max_entries=2)
    assert settings.recent_files() == [str(tmp_path / "a.wav"), str(tmp_path / "c.wav")]
    settings.set_window_layout(QByteArray(b"geometry"), QByteArray(b"state"))
    settings.sync()
    reopened = AppSettings(tmp_path)
    assert reopened.window_geometry() == QByteArray(b"geometry")
    assert reopened.window_state() == QByteArray(b"state")
    assert reopened.recent_files()[0] == str(tmp_path / "a.wav")
    reopened.add_recent_file(tmp_path / "x.wav", max_entries=0)
    assert reopened.recent_files() == []


def test_settings_of_another_schema_drop_the_window_layout(tmp_path: Path) -> None:
    raw = QSettings(str(tmp_path / "breakroom.ini"), QSettings.Format.IniFormat)
    raw.setValue("meta/schema_version", SCHEMA_VERSION + 5)
    raw.setValue("window/state", QByteArray(b"from the future"))
    raw.setValue("files/recent", ["/music/a.wav"])
    raw.sync()
    settings = AppSettings(tmp_path)
    assert settings.migrated_from == SCHEMA_VERSION + 5
    assert settings.schema_version == SCHEMA_VERSION
    assert settings.window_state() is None
    assert settings.recent_files() == ["/music/a.wav"]
