"""Preferences dialog: reads the config, returns validated dotted changes, writes the user
file atomically (keeping the user's other keys and comments)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pytestqt.qtbot import QtBot

from app.dialogs.preferences_dialog import MANAGED_KEYS, PreferencesDialog, write_user_config
from core.config import Config, load_config
from core.errors import ConfigError


def config(env: dict[str, str] | None = None, **overrides: object) -> Config:
    return load_config(use_user_file=False, env=env or {}, overrides=overrides)


def make(qtbot: QtBot, cfg: Config, **kwargs: object) -> PreferencesDialog:
    dialog = PreferencesDialog(cfg, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def test_the_editors_show_the_current_config(qtbot: QtBot, tmp_path: Path) -> None:
    cfg = config(**{"separation.model": "htdemucs_ft", "separation.device": "cpu",
                    "analysis.device": "cuda", "analysis.tempo_min_bpm": 150,
                    "analysis.tempo_max_bpm": 190, "analysis.style_hint": "dnb",
                    "app.theme": "light", "app.analyze_on_drop": False,
                    "export.out_dir": str(tmp_path)})
    dialog = make(qtbot, cfg)
    assert dialog.model_combo.currentData() == "htdemucs_ft"
    assert dialog.separation_device_combo.currentData() == "cpu"
    assert dialog.analysis_device_combo.currentData() == "cuda"
    assert dialog.tempo_min_box.value() == 150 and dialog.tempo_max_box.value() == 190
    assert dialog.style_combo.currentData() == "dnb"
    assert dialog.theme_combo.currentData() == "light"
    assert not dialog.drop_check.isChecked()
    assert dialog.folder_edit.text() == str(tmp_path)
    assert dialog.values() == {key: cfg.get(key) for key in MANAGED_KEYS}
    assert dialog.changes() == {}
    assert [dialog.model_combo.itemData(i) for i in range(dialog.model_combo.count())] == [
        "auto", "htdemucs", "htdemucs_ft", "htdemucs_6s", "classic"]


def test_changes_are_only_the_edited_keys_as_dotted_overrides(qtbot: QtBot,
                                                              tmp_path: Path) -> None:
    dialog = make(qtbot, config())
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("htdemucs_6s"))
    dialog.tempo_min_box.setValue(140)
    dialog.drop_check.setChecked(False)
    dialog.folder_edit.setText(str(tmp_path))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    changes = dialog.changes()
    assert changes == {"separation.model": "htdemucs_6s", "analysis.tempo_min_bpm": 140.0,
                       "app.analyze_on_drop": False, "export.out_dir": str(tmp_path),
                       "app.theme": "light"}
    new = dialog.new_config()
    assert new.get("analysis.tempo_min_bpm") == 140.0 and new.get("app.theme") == "light"
    dialog.folder_edit.setText("   ")  # empty = next to the track (null)
    assert "export.out_dir" not in dialog.changes()
    assert dialog.ok_button.isEnabled()


def test_invalid_values_are_shown_inline_and_disable_ok(qtbot: QtBot) -> None:
    dialog = make(qtbot, config())
    dialog.tempo_min_box.setValue(180)
    dialog.tempo_max_box.setValue(170)
    assert not dialog.ok_button.isEnabled()
    assert not dialog.error_label.isHidden()
    message = dialog.error_label.text()
    assert "analysis.tempo_min_bpm" in message and "analysis.tempo_max_bpm" in message
    assert dialog.error() == message
    dialog.accept()
    assert dialog.result() == 0  # not accepted while invalid
    with pytest.raises(ConfigError):
        dialog.save()
    dialog.tempo_max_box.setValue(190)
    assert dialog.ok_button.isEnabled() and dialog.error_label.isHidden()


def test_a_missing_folder_is_a_note_not_an_error(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = make(qtbot, config())
    dialog.folder_edit.setText(str(tmp_path / "not yet"))
    assert dialog.ok_button.isEnabled()
    assert "does not exist yet" in dialog.note_label.text()


def test_environment_overrides_are_pointed_out(qtbot: QtBot) -> None:
    dialog = make(qtbot, config(env={"BREAKROOM_APP__THEME": "light"}))
    assert dialog.theme_combo.currentData() == "light"
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    assert "BREAKROOM_APP__THEME" in dialog.note_label.text()


def test_restore_defaults_fills_the_shipped_values(qtbot: QtBot) -> None:
    cfg = config(**{"app.theme": "light", "analysis.tempo_min_bpm": 150})
    dialog = make(qtbot, cfg)
    dialog.restore_defaults()
    assert dialog.changes() == {"app.theme": "dark", "analysis.tempo_min_bpm": 60.0}


def test_save_writes_only_the_changes_to_a_new_user_file(qtbot: QtBot, tmp_path: Path) -> None:
    user_file = tmp_path / "cfg" / "config.yaml"
    dialog = make(qtbot, config(), user_file=user_file)
    assert dialog.save() is None and not user_file.exists()  # nothing changed
    dialog.tempo_min_box.setValue(150)
    dialog.style_combo.setCurrentIndex(dialog.style_combo.findData("dnb"))
    assert dialog.save() == user_file
    data = yaml.safe_load(user_file.read_text())
    assert data == {"analysis": {"tempo_min_bpm": 150.0, "style_hint": "dnb"}}
    loaded = load_config(user_file=user_file, env={})
    assert loaded.get("analysis.tempo_min_bpm") == 150.0
    assert loaded.get("analysis.style_hint") == "dnb"
    assert [p.name for p in user_file.parent.iterdir()] == ["config.yaml"]  # no temp files


def test_save_keeps_the_users_other_keys_and_comments(qtbot: QtBot, tmp_path: Path) -> None:
    user_file = tmp_path / "config.yaml"
    user_file.write_text(
        "# my settings\n"
        "analysis:\n"
        "  tempo_min_bpm: 150  # neuro only\n"
        "  loudness: false\n"
        "\n"
        "# caching\n"
        "cache:\n"
        "  max_mb: 64\n")
    cfg = load_config(user_file=user_file, env={})
    dialog = make(qtbot, cfg, user_file=user_file)
    dialog.tempo_min_box.setValue(160)
    dialog.analysis_device_combo.setCurrentIndex(dialog.analysis_device_combo.findData("cpu"))
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    dialog.save()
    text = user_file.read_text()
    assert "# my settings" in text and "tempo_min_bpm: 160.0  # neuro only" in text
    assert "# caching" in text
    assert yaml.safe_load(text) == {
        "analysis": {"tempo_min_bpm": 160.0, "loudness": False, "device": "cpu"},
        "cache": {"max_mb": 64},
        "app": {"theme": "light"},
    }
    assert load_config(user_file=user_file, env={}).get("analysis.device") == "cpu"


def test_flow_style_files_are_rewritten_correctly(tmp_path: Path) -> None:
    user_file = tmp_path / "config.yaml"
    user_file.write_text("analysis: {tempo_min_bpm: 150, style_hint: dnb}\n")
    write_user_config({"analysis.tempo_max_bpm": 180.0}, user_file)
    assert yaml.safe_load(user_file.read_text()) == {
        "analysis": {"tempo_min_bpm": 150, "style_hint": "dnb", "tempo_max_bpm": 180.0}}


def test_a_malformed_user_file_is_never_overwritten(tmp_path: Path) -> None:
    user_file = tmp_path / "config.yaml"
    user_file.write_text("analysis: [unclosed\n")
    with pytest.raises(ConfigError, match="not readable YAML"):
        write_user_config({"app.theme": "light"}, user_file)
    assert user_file.read_text() == "analysis: [unclosed\n"
    with pytest.raises(ConfigError):
        write_user_config({"app.colour": "red"}, tmp_path / "other.yaml")
    assert not (tmp_path / "other.yaml").exists()
