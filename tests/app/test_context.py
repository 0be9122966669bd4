"""AppContext: config, cache switch, startup errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import core.config
from app.context import AppContext
from app.main_window import MainWindow
from core.config import load_config


def test_cache_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BREAKROOM_CACHE__ENABLED", "false")
    monkeypatch.setenv("BREAKROOM_CACHE__DIR", str(tmp_path / "cache"))
    context = AppContext.create(config=load_config(use_user_file=False),
                                settings_dir=tmp_path / "s", log_dir=tmp_path / "l",
                                show_dialogs=False)
    try:
        assert not context.cache.enabled
        assert context.analyze_on_drop and context.recent_files_max == 10
    finally:
        assert context.close()


def test_cache_can_be_forced_off(tmp_path: Path) -> None:
    config = load_config(use_user_file=False, env={},
                         overrides={"cache.dir": str(tmp_path / "cache")})
    context = AppContext.create(config=config, settings_dir=tmp_path / "s",
                                log_dir=tmp_path / "l", cache_enabled=False, show_dialogs=False)
    try:
        assert not context.cache.enabled
    finally:
        context.close()


def test_a_broken_user_config_falls_back_to_defaults_and_is_reported(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user_file = tmp_path / "config.yaml"
    user_file.write_text("analysis:\n  tempo_min_bpm: [oops\n", encoding="utf-8")
    monkeypatch.setattr(core.config, "default_user_config_path", lambda: user_file)
    context = AppContext.create(settings_dir=tmp_path / "s", log_dir=tmp_path / "l",
                                cache_enabled=False, show_dialogs=False)
    try:
        assert context.config.get("analysis.tempo_min_bpm") == 60.0
        assert len(context.startup_errors) == 1 and str(user_file) in context.startup_errors[0]
        window = MainWindow(context)
        qtbot.addWidget(window)
        assert [e.title for e in context.notifier.errors] == ["Settings problem"]
    finally:
        context.close()
