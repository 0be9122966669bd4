"""Locating shipped resources: the stylesheet and the application icon."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"
"""The repository's ``resources/`` folder."""

log = logging.getLogger("breakroom.app")


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/`` (it may not exist)."""
    return RESOURCES_DIR.joinpath(*parts)


def load_stylesheet(theme: str = "dark") -> str:
    """Text of ``resources/style/<theme>.qss``; "" (Qt's default look) when it is missing."""
    path = resource_path("style", f"{theme}.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("stylesheet %s not loaded: %s", path, exc)
        return ""


def app_icon() -> QIcon:
    """The Breakroom icon (an empty icon when the file is missing)."""
    path = resource_path("icons", "breakroom.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
