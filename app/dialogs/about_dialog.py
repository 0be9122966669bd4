"""Help → About: version and the backends this installation analyses with."""

from __future__ import annotations

import html
import platform
import shutil

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

import core


def backend_lines() -> list[str]:
    """One line per backend: decoding, resampling, GUI toolkit (each import is cheap)."""
    lines: list[str] = []
    try:
        import soundfile

        lines.append(f"Decoding: libsndfile {soundfile.__libsndfile_version__}")
    except (ImportError, OSError) as exc:  # pragma: no cover - setup guarantees it
        lines.append(f"Decoding: libsndfile unavailable ({exc})")
    lines.append("Other formats: ffmpeg " + ("found on PATH" if shutil.which("ffmpeg")
                                             else "not found (mp4/m4a/aac need it)"))
    try:
        import soxr

        lines.append(f"Resampling: soxr {soxr.__version__}")
    except ImportError:  # pragma: no cover
        lines.append("Resampling: soxr unavailable")
    lines.append("Tempo, onsets, loudness: Breakroom's built-in analysers (no download)")
    lines.append(f"Interface: Qt {qVersion()}, PySide6 {PySide6.__version__}, "
                 f"Python {platform.python_version()}")
    return lines


def about_text() -> str:
    """The About box body as rich text."""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in backend_lines())
    return (f"<h3>Breakroom {html.escape(core.__version__)}</h3>"
            "<p>A workbench for electronic-music producers: tempo, loudness and more from "
            "the tracks you drop in.</p>"
            f"<p><b>Backends</b></p><ul>{items}</ul>")


def show_about(parent: QWidget | None, *, show: bool = True) -> QMessageBox:
    """Build the About box and open it (non-blocking) when ``show`` is true."""
    box = QMessageBox(parent)
    box.setWindowTitle("About Breakroom")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64) if parent else box.iconPixmap())
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if show:
        box.open()
    return box
