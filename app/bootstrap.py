"""Create the QApplication, the services and the main window, then run the event loop."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.main_window import MainWindow
from app.resources import app_icon, load_stylesheet

APP_NAME = "Breakroom"


def create_application(argv: list[str]) -> QApplication:
    """The process's ``QApplication`` (reused if one exists), named and styled."""
    existing = QApplication.instance()
    if existing is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
    else:
        app = existing  # type: ignore[assignment]
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("breakroom")
    app.setWindowIcon(app_icon())
    share_interpreter_lock()
    return app  # type: ignore[return-value]


#: How long a thread may hold the interpreter lock while another waits for it (s). Python's
#: default, 5 ms, is paid again at every return from Qt's C++ into a Python paint override
#: while a worker computes, and a window repaint makes dozens of those.
UI_SWITCH_INTERVAL_S = 0.001


def share_interpreter_lock() -> None:
    """Let the UI thread take the interpreter lock back from workers within
    :data:`UI_SWITCH_INTERVAL_S` (workers lose a little throughput to the extra switches)."""
    sys.setswitchinterval(min(sys.getswitchinterval(), UI_SWITCH_INTERVAL_S))


def apply_theme(app: QApplication, theme: str) -> None:
    """Load ``resources/style/<theme>.qss`` (Fusion underneath so it renders the same
    everywhere); an unknown theme keeps Qt's default look."""
    stylesheet = load_stylesheet(theme)
    if stylesheet:
        app.setStyle("Fusion")
        app.setStyleSheet(stylesheet)


def paths_from_argv(argv: list[str]) -> list[Path]:
    """Existing files and folders named after the program name (options are ignored)."""
    return [Path(arg) for arg in argv[1:] if not arg.startswith("-") and Path(arg).exists()]


def preload_engines() -> None:
    """Import the heavy numerical modules (torch, the drum model, the separators) up front.

    Their first import runs long stretches of module initialisation that hold the interpreter
    lock; done on the UI thread before the window shows, it cannot stall a repaint later when
    the first analysis or separation worker would otherwise trigger it.
    """
    import contextlib
    import importlib

    for name in ("torch", "scipy.signal", "core.analysis.pipeline",
                 "core.analysis.drum_model.inference", "core.analysis.loops",
                 "core.separation.pipeline", "core.separation.classic_adapter",
                 "core.separation.classic", "core.separation.weights", "sounddevice",
                 "core.audio.peaks", "core.analysis.spectrogram"):
        with contextlib.suppress(ImportError):  # a missing part only disables its feature
            importlib.import_module(name)
    freeze_heap()


def freeze_heap() -> None:
    """Move every object alive now (modules, torch, Qt wrappers) out of the garbage
    collector's reach.

    A full collection walks every tracked object while holding the interpreter lock; with
    torch, pyqtgraph and Qt loaded that took 250–300 ms and froze the window whenever a worker
    happened to trigger one. Objects created at start-up live as long as the process, so
    freezing them loses nothing and leaves collections only the young objects to walk.
    """
    gc.collect()
    gc.freeze()


def main(argv: list[str]) -> int:
    """Run the window until it closes; returns the event loop's exit status."""
    app = create_application(argv)
    context = AppContext.create()
    context.notifier.install_excepthook()
    context.notifier.install_qt_message_handler()
    apply_theme(app, str(context.config.get("app.theme")))
    preload_engines()
    window = MainWindow(context)
    window.show()
    freeze_heap()  # the window's own long-lived objects too
    paths = paths_from_argv(argv)
    if paths:
        window.open_paths(paths)
    elif not context.settings.recent_files():
        # A first-time user gets a generated demo track, analysing, to see the whole flow.
        try:
            window.open_demo_track()
        except Exception as exc:  # the demo is a courtesy; the window works without it
            context.notifier.error("Could not create the demo track", str(exc))
    try:
        status = app.exec()
    finally:
        window.shutdown()
        if not context.close():
            print("breakroom: some background jobs did not stop in time", file=sys.stderr)
    return int(status)
