"""Edit ▸ Preferences: the settings a producer changes most, written to the user config file.

:class:`PreferencesDialog` shows a handful of keys of the current :class:`core.config.Config`
(separation model and device, the drum model's device, the export folder, analyse-on-drop,
the tempo range, the style hint, the theme). :meth:`PreferencesDialog.changes` returns only
what differs from that config, as dotted overrides; every edit is validated by
:mod:`core.config` itself (types, ranges, choices, min < max), an invalid value is shown
inline and disables OK. :meth:`PreferencesDialog.save` (or :func:`write_user_config`) writes
the changes into the user's ``config.yaml``.

Writing the user file
---------------------
``core.config`` reads but does not write. :func:`write_user_config` merges the changed keys
into the existing user file (every key the user had is kept), validates the merged result
with ``core.config``, and writes it atomically (:func:`core.fileutil.atomic_write_text`): a
reader sees the old file or the new one, never half of it. When the existing file is plain
block YAML the values are replaced in place, so the user's comments and layout survive;
anything the line editor cannot prove right (flow style, odd quoting) falls back to writing
the merged mapping anew. A malformed existing file is never overwritten (``ConfigError``).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.dialogs.folder_chooser import FolderChooser
from core.config import Config, default_config, default_user_config_path, env_var_name
from core.errors import ConfigError
from core.fileutil import atomic_write_text

__all__ = ["MANAGED_KEYS", "PreferencesDialog", "write_user_config"]

MANAGED_KEYS = (
    "separation.model",
    "separation.device",
    "analysis.device",
    "export.out_dir",
    "app.analyze_on_drop",
    "analysis.tempo_min_bpm",
    "analysis.tempo_max_bpm",
    "analysis.style_hint",
    "app.theme",
)
"""The dotted keys the dialog edits, in display order."""

USER_FILE_HEADER = (
    "# Breakroom user settings (written by Preferences; you may edit it by hand).\n"
    "# Only the keys you change belong here; configs/default.yaml documents every key.\n"
)

_LABELS = {
    "separation.model": "Model",
    "separation.device": "Device",
    "analysis.device": "Drum model device",
    "export.out_dir": "Export folder",
    "app.analyze_on_drop": "Analyse files as soon as they are dropped",
    "analysis.tempo_min_bpm": "Tempo from",
    "analysis.tempo_max_bpm": "to",
    "analysis.style_hint": "Style hint",
    "app.theme": "Theme",
}

_TIPS = {
    "separation.model": "auto = the best installed Demucs model, else classic (no download)",
    "separation.device": "auto = CUDA, then Apple MPS, then the CPU",
    "analysis.device": "Where the drum-transcription model runs (auto = best available)",
    "export.out_dir": "Where exported MIDI and loops go; empty = next to the track",
    "analysis.style_hint": "Biases the tempo octave and drum classification (auto = none)",
}

_BPM_TOLERANCE = 0.005


class PreferencesDialog(FolderChooser, QDialog):
    """The preferences, read from ``config``; OK is enabled only while they are valid.

    Parameters
    ----------
    config
        The current configuration (what the window runs with).
    user_file
        The user config file :meth:`save` writes; ``None`` = the platform's
        (:func:`core.config.default_user_config_path`).
    """

    folder_title = 'Export folder'

    def __init__(self, config: Config, *, user_file: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self.config = config
        self.user_file = Path(user_file) if user_file is not None else None
        self._combos: dict[str, QComboBox] = {}
        self._build()
        self._load(config)
        self._connect()
        self._validate()

    # -- construction ---------------------------------------------------------------------------

    def _combo(self, key: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(key.replace(".", "_"))
        for choice in self.config.spec(key).choices or ():
            combo.addItem(str(choice), choice)
        self._combos[key] = combo
        return combo

    def _bpm_box(self, key: str) -> QDoubleSpinBox:
        spec = self.config.spec(key)
        box = QDoubleSpinBox(self)
        box.setObjectName(key.replace(".", "_"))
        box.setDecimals(2)
        box.setRange(spec.minimum or 20.0, spec.maximum or 400.0)
        box.setSingleStep(1.0)
        box.setSuffix(" BPM")
        return box

    def _build(self) -> None:
        self.model_combo = self._combo("separation.model")
        self.separation_device_combo = self._combo("separation.device")
        self.analysis_device_combo = self._combo("analysis.device")
        self.style_combo = self._combo("analysis.style_hint")
        self.theme_combo = self._combo("app.theme")
        self.tempo_min_box = self._bpm_box("analysis.tempo_min_bpm")
        self.tempo_max_box = self._bpm_box("analysis.tempo_max_bpm")
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setObjectName("export_out_dir")
        self.folder_edit.setPlaceholderText("next to the track")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("browse_button")
        self.drop_check = QCheckBox(_LABELS["app.analyze_on_drop"], self)
        self.drop_check.setObjectName("app_analyze_on_drop")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.note_label = QLabel(self)
        self.note_label.setObjectName("note_label")
        self.note_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)

        separation = QGroupBox("Stem separation", self)
        form = QFormLayout(separation)
        form.addRow(_LABELS["separation.model"], self.model_combo)
        form.addRow(_LABELS["separation.device"], self.separation_device_combo)
        analysis = QGroupBox("Analysis", self)
        form = QFormLayout(analysis)
        tempo = QHBoxLayout()
        tempo.addWidget(self.tempo_min_box)
        tempo.addWidget(QLabel(_LABELS["analysis.tempo_max_bpm"], self))
        tempo.addWidget(self.tempo_max_box)
        form.addRow(_LABELS["analysis.tempo_min_bpm"], tempo)
        form.addRow(_LABELS["analysis.style_hint"], self.style_combo)
        form.addRow(_LABELS["analysis.device"], self.analysis_device_combo)
        form.addRow(self.drop_check)
        files = QGroupBox("Files and look", self)
        form = QFormLayout(files)
        folder = QHBoxLayout()
        folder.addWidget(self.folder_edit, 1)
        folder.addWidget(self.browse_button)
        form.addRow(_LABELS["export.out_dir"], folder)
        form.addRow(_LABELS["app.theme"], self.theme_combo)
        layout = QVBoxLayout(self)
        for box in (separation, analysis, files):
            layout.addWidget(box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.buttons)
        for key, tip in _TIPS.items():
            widget = self.widget_for(key)
            widget.setToolTip(tip)

    def _load(self, config: Config) -> None:
        for key, combo in self._combos.items():
            index = combo.findData(config.get(key))
            combo.setCurrentIndex(max(0, index))
        self.tempo_min_box.setValue(float(config.get("analysis.tempo_min_bpm")))
        self.tempo_max_box.setValue(float(config.get("analysis.tempo_max_bpm")))
        out_dir = config.get("export.out_dir")
        self.folder_edit.setText("" if out_dir is None else str(out_dir))
        self.drop_check.setChecked(bool(config.get("app.analyze_on_drop")))

    def _connect(self) -> None:
        for combo in self._combos.values():
            combo.currentIndexChanged.connect(self._validate)
        self.tempo_min_box.valueChanged.connect(self._validate)
        self.tempo_max_box.valueChanged.connect(self._validate)
        self.folder_edit.textChanged.connect(self._validate)
        self.drop_check.toggled.connect(self._validate)
        self.browse_button.clicked.connect(self._browse)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self.restore_defaults)

    def widget_for(self, key: str) -> QWidget:
        """The editor of a managed key."""
        if key in self._combos:
            return self._combos[key]
        return {
            "export.out_dir": self.folder_edit,
            "app.analyze_on_drop": self.drop_check,
            "analysis.tempo_min_bpm": self.tempo_min_box,
            "analysis.tempo_max_bpm": self.tempo_max_box,
        }[key]

    # -- hooks ----------------------------------------------------------------------------------

    def restore_defaults(self) -> None:
        """Put the shipped defaults in the editors (nothing is saved until OK / save)."""
        self._load(default_config())

    # -- values ---------------------------------------------------------------------------------

    def values(self) -> dict[str, object]:
        """Every managed key as the editors show it (an empty folder is ``None``)."""
        values: dict[str, object] = {key: combo.currentData()
                                     for key, combo in self._combos.items()}
        folder = self.folder_edit.text().strip()
        values["export.out_dir"] = folder or None
        values["app.analyze_on_drop"] = self.drop_check.isChecked()
        values["analysis.tempo_min_bpm"] = round(self.tempo_min_box.value(), 2)
        values["analysis.tempo_max_bpm"] = round(self.tempo_max_box.value(), 2)
        return {key: values[key] for key in MANAGED_KEYS}

    def changes(self) -> dict[str, object]:
        """The managed keys whose value differs from the config, as dotted overrides
        (``{"analysis.tempo_min_bpm": 150.0}``); empty when nothing changed."""
        changed: dict[str, object] = {}
        for key, value in self.values().items():
            current = self.config.get(key)
            if isinstance(value, float) and isinstance(current, (int, float)):
                if math.isclose(value, float(current), abs_tol=_BPM_TOLERANCE):
                    continue
            elif value == current:
                continue
            changed[key] = value
        return changed

    def error(self) -> str | None:
        """Why the current values are invalid (``core.config``'s message), or ``None``."""
        try:
            self.config.with_overrides(self.changes())
        except ConfigError as exc:
            # core.config names where each value came from; here it is this dialog.
            text = str(exc).replace(" in override", "")
            return re.sub(r", from [^)]*\)", ")", text)
        return None

    def new_config(self) -> Config:
        """The config with the changes applied (raises :class:`ConfigError` when invalid)."""
        return self.config.with_overrides(self.changes())

    def _validate(self, *_: object) -> None:
        error = self.error()
        self.error_label.setText(error or "")
        self.error_label.setVisible(bool(error))
        self.ok_button.setEnabled(error is None)
        notes = []
        folder = self.folder_edit.text().strip()
        if folder and not Path(folder).expanduser().is_dir():
            notes.append(f"The export folder {folder} does not exist yet; it is created on "
                         "the first export.")
        for key in self.changes():
            source = self.config.source(key)
            if source.startswith("environment variable"):
                notes.append(f"{key} is set by {env_var_name(key)} in the environment; the "
                             "saved value applies only without it.")
        self.note_label.setText("\n".join(notes))
        self.note_label.setVisible(bool(notes))

    # -- saving ---------------------------------------------------------------------------------

    def save(self, path: Path | None = None) -> Path | None:
        """Write :meth:`changes` into the user config file (``path``, else the dialog's
        ``user_file``, else the platform's); returns the file, or ``None`` when nothing
        changed. Raises :class:`ConfigError` when the values are invalid or the existing file
        is malformed (it is left untouched)."""
        changes = self.changes()
        if not changes:
            return None
        self.new_config()  # validate against the running config first
        return write_user_config(changes, path or self.user_file)

    def accept(self) -> None:
        """OK: only when valid."""
        if self.error() is None:
            super().accept()


# -- the user file ---------------------------------------------------------------------------


def write_user_config(changes: Mapping[str, object], path: Path | None = None) -> Path:
    """Merge dotted ``changes`` into the user config YAML at ``path`` and write it atomically.

    Parameters
    ----------
    changes
        ``{"section.key": value}``; every key must exist in the defaults.
    path
        The user file; ``None`` = :func:`core.config.default_user_config_path`. Its folder is
        created when missing.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        An unknown key or invalid value (nothing is written), or an existing file that is not
        valid YAML or not a mapping of sections (left untouched).
    """
    target = Path(path) if path is not None else default_user_config_path()
    text = ""
    existing: dict[str, Any] = {}
    if target.exists():
        try:
            text = target.read_text(encoding="utf-8-sig")
            data = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot update {target}: it is not readable YAML ({exc}); "
                              "fix or remove it first") from None
        if data is not None and not isinstance(data, dict):
            raise ConfigError(f"cannot update {target}: it is not a mapping of sections")
        existing = data or {}
    merged = copy.deepcopy(existing)
    for key, value in changes.items():
        section, _, name = str(key).partition(".")
        if not name:
            raise ConfigError(f"'{key}' is not a dotted key (section.key)")
        if not isinstance(merged.get(section), dict):
            merged[section] = {}
        merged[section][name] = value
    # Validates every key and value of the file as it will be (names the offending key).
    default_config().with_overrides({s: k for s, k in merged.items() if k})
    new_text = _edit_in_place(text, changes) if text.strip() else None
    if new_text is None or _parsed(new_text) != merged:
        new_text = USER_FILE_HEADER + yaml.safe_dump(merged, sort_keys=False,
                                                     allow_unicode=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, new_text, overwrite=True)
    return target


def _parsed(text: str) -> object:
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return None


def _scalar(value: object) -> str:
    """``value`` as a YAML scalar (``null``, ``true``, ``150.0``, ``'1/16'`` …)."""
    dumped = yaml.safe_dump({"k": value}, default_flow_style=False, allow_unicode=True)
    return dumped[len("k: "):].rstrip("\n")


_SECTION_RE = re.compile(r"^(?P<name>[A-Za-z_][\w]*)\s*:\s*(#.*)?$")


def _edit_in_place(text: str, changes: Mapping[str, object]) -> str:
    """``text`` with each changed key's value replaced (or the key added) line by line,
    keeping comments. Only right for simple block YAML: the caller checks the result."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for key, value in changes.items():
        section, _, name = str(key).partition(".")
        rendered = _scalar(value)
        head = next((i for i, line in enumerate(lines)
                     if (m := _SECTION_RE.match(line.rstrip("\n"))) and m["name"] == section),
                    None)
        if head is None:
            if lines and lines[-1].strip():
                lines.append("\n")
            lines += [f"{section}:\n", f"  {name}: {rendered}\n"]
            continue
        end = head + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
            end += 1
        key_re = re.compile(rf"^(?P<indent>[ \t]+){re.escape(name)}[ \t]*:[ \t]*"
                            rf"(?P<value>[^#\n]*?)(?P<comment>[ \t]+#.*)?$")
        indent = "  "
        for i in range(head + 1, end):
            match = key_re.match(lines[i].rstrip("\n"))
            if match:
                lines[i] = (f"{match['indent']}{name}: {rendered}"
                            f"{match['comment'] or ''}\n")
                break
            stripped = lines[i].lstrip(" \t")
            if stripped.strip() and not stripped.startswith("#"):
                indent = lines[i][:len(lines[i]) - len(stripped)]
        else:
            last = end
            while last > head + 1 and (not lines[last - 1].strip()
                                       or lines[last - 1].startswith("#")):
                last -= 1
            lines.insert(last, f"{indent}{name}: {rendered}\n")
    return "".join(lines)
