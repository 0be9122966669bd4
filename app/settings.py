"""User preferences and window state, stored with ``QSettings`` in INI format.

Typed defaults live in ``configs/``; this file only keeps what the window remembers (recent
files, the last folder, geometry and dock layout). A schema version is stored alongside; when it
does not match :data:`SCHEMA_VERSION` the remembered window layout is dropped (it may not fit
the current docks) and the version is rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

SCHEMA_VERSION = 1
"""Bumped when stored keys change meaning; older layouts are then discarded."""

SETTINGS_FILE_NAME = "breakroom.ini"

_KEY_VERSION = "meta/schema_version"
_KEY_RECENT = "files/recent"
_KEY_LAST_DIR = "files/last_dir"
_KEY_GEOMETRY = "window/geometry"
_KEY_STATE = "window/state"
_KEY_HIDDEN_COLUMNS = "library/hidden_columns"


class AppSettings:
    """A typed wrapper around one ``QSettings`` INI file.

    Parameters
    ----------
    directory
        Folder holding ``breakroom.ini``; ``None`` uses Qt's per-user location for
        organisation/application "Breakroom" (tests always pass a temporary folder).
    """

    def __init__(self, directory: Path | None = None) -> None:
        if directory is None:
            self._qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                        "Breakroom", "Breakroom")
        else:
            Path(directory).mkdir(parents=True, exist_ok=True)
            self._qsettings = QSettings(str(Path(directory) / SETTINGS_FILE_NAME),
                                        QSettings.Format.IniFormat)
        self.migrated_from: int | None = None
        self._check_schema()

    @property
    def file_path(self) -> Path:
        """The INI file on disk."""
        return Path(self._qsettings.fileName())

    @property
    def schema_version(self) -> int:
        """The stored schema version (equals :data:`SCHEMA_VERSION` after construction)."""
        return _int(self._qsettings.value(_KEY_VERSION), 0)

    def _check_schema(self) -> None:
        stored = _int(self._qsettings.value(_KEY_VERSION), 0)
        if stored == SCHEMA_VERSION:
            return
        if stored:
            self.migrated_from = stored
        self._qsettings.remove("window")
        self._qsettings.setValue(_KEY_VERSION, SCHEMA_VERSION)
        self._qsettings.sync()

    # -- recent files -------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        """Recently opened files and folders, most recent first."""
        value = self._qsettings.value(_KEY_RECENT, [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def add_recent_file(self, path: str | Path, max_entries: int) -> list[str]:
        """Put ``path`` first in the recent list, keeping at most ``max_entries`` (0 = none)."""
        text = os.path.abspath(os.fspath(path))
        entries = [text, *(p for p in self.recent_files() if p != text)][:max(0, max_entries)]
        self._qsettings.setValue(_KEY_RECENT, entries)
        return entries

    def clear_recent_files(self) -> None:
        """Forget the recent list."""
        self._qsettings.setValue(_KEY_RECENT, [])

    def last_directory(self) -> str:
        """Folder the last Open dialog was in ("" if none)."""
        return str(self._qsettings.value(_KEY_LAST_DIR, "") or "")

    def set_last_directory(self, directory: str | Path) -> None:
        """Remember the folder of the last Open dialog."""
        self._qsettings.setValue(_KEY_LAST_DIR, os.fspath(directory))

    # -- window -------------------------------------------------------------------------------

    def window_geometry(self) -> QByteArray | None:
        """Saved ``QWidget.saveGeometry()`` bytes, or ``None``."""
        return _bytes(self._qsettings.value(_KEY_GEOMETRY))

    def window_state(self) -> QByteArray | None:
        """Saved ``QMainWindow.saveState()`` bytes, or ``None``."""
        return _bytes(self._qsettings.value(_KEY_STATE))

    def set_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        """Store geometry and dock/toolbar state."""
        self._qsettings.setValue(_KEY_GEOMETRY, geometry)
        self._qsettings.setValue(_KEY_STATE, state)

    # -- library ------------------------------------------------------------------------------

    def hidden_library_columns(self, default: list[str]) -> list[str]:
        """Names of the library columns the user hid (``default`` until they choose)."""
        value = self._qsettings.value(_KEY_HIDDEN_COLUMNS)
        if value is None:
            return list(default)
        return [name for name in str(value).split(",") if name]

    def set_hidden_library_columns(self, names: list[str]) -> None:
        """Remember which library columns are hidden (stored as one comma-separated string:
        an INI file cannot tell an empty list from a missing key)."""
        self._qsettings.setValue(_KEY_HIDDEN_COLUMNS, ",".join(names))

    def sync(self) -> None:
        """Write pending changes to disk."""
        self._qsettings.sync()


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _bytes(value: object) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None
