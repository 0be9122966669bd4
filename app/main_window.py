"""The main window: library dock, results panel, activity dock, menus and status bar.

The window is the composition root of the UI: it builds the session model, the analysis
controller and the panels, and routes user intents (menu actions, drops, double-clicks) to the
controller. Panels only read models.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolButton,
    QWidget,
)

from app.actions import AppActions
from app.context import AppContext
from app.controllers.analysis_controller import AnalysisController
from app.dialogs.about_dialog import show_about
from app.models.session_model import SessionModel
from app.notifier import ErrorRecord
from app.panels.activity_panel import ActivityPanel
from app.panels.library_panel import LibraryPanel
from app.panels.results_panel import ResultsPanel
from app.resources import app_icon
from core.audio import AUDIO_EXTENSIONS

SHUTDOWN_TIMEOUT_MS = 5000
_STATE_VERSION = 1  # QMainWindow.saveState/restoreState version of the dock layout


def local_paths(mime: QMimeData) -> list[Path]:
    """Local files and folders named by a drag's URLs (other URLs are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MainWindow(QMainWindow):
    """Breakroom's main window.

    Parameters
    ----------
    context
        Shared services (config, runner, notifier, settings).
    controller
        Optional pre-built analysis controller (tests inject one with a fake core call);
        by default one is built over a new :class:`SessionModel`.
    """

    def __init__(self, context: AppContext, *, controller: AnalysisController | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.session = SessionModel(self) if controller is None else controller.session
        self.controller = controller or AnalysisController(context, self.session, parent=self)
        self.setWindowTitle("Breakroom")
        self.setWindowIcon(app_icon())
        self.setObjectName("main_window")
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._closed = False

        self.results_panel = ResultsPanel(self.session, self)
        self.setCentralWidget(self.results_panel)
        self.library_panel = LibraryPanel(self.session, self)
        self.library_dock = self._dock("Library", "library_dock", self.library_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.activity_panel = ActivityPanel(context.runner, self)
        self.activity_dock = self._dock("Activity", "activity_dock", self.activity_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.library_dock], [560], Qt.Orientation.Horizontal)
        self.resizeDocks([self.activity_dock], [130], Qt.Orientation.Vertical)

        self.actions_ = AppActions(self)
        self.menus = self.actions_.build_menus(self)
        self._build_status_bar()
        self._connect()
        self._restore_layout()
        self._update_track_actions()
        for message in context.startup_errors:
            context.notifier.error("Settings problem", message)

    # -- construction -------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.jobs_label = QLabel("", self)
        self.jobs_label.setObjectName("jobs_label")
        self.error_button = QToolButton(self)
        self.error_button.setObjectName("error_button")
        self.error_button.setAutoRaise(True)
        self.error_button.setToolTip("Show the details of the last error")
        self.error_button.hide()
        bar.addPermanentWidget(self.jobs_label)
        bar.addPermanentWidget(self.error_button)
        bar.showMessage("Ready", 3000)

    def _connect(self) -> None:
        a = self.actions_
        a.open_files.triggered.connect(self.open_files_dialog)
        a.open_folder.triggered.connect(self.open_folder_dialog)
        a.clear_recent.triggered.connect(self._clear_recent)
        a.quit.triggered.connect(self.close)
        a.reanalyze.triggered.connect(self.reanalyze_selected)
        a.cancel_analysis.triggered.connect(self.cancel_selected)
        a.remove_track.triggered.connect(self.remove_selected)
        a.show_last_error.triggered.connect(self.show_last_error)
        a.about.triggered.connect(self.show_about)
        a.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self.error_button.clicked.connect(self.show_last_error)

        notifier = self.context.notifier
        notifier.message_posted.connect(self.show_status)
        notifier.error_reported.connect(self._on_error_reported)
        self.context.runner.active_changed.connect(self._on_active_changed)
        self.activity_panel.count_changed.connect(self._on_activity_count)
        self.library_panel.reanalyze_requested.connect(self.controller.reanalyze)
        self.controller.paths_opened.connect(self._remember_recent)
        self.session.selection_changed.connect(self._update_track_actions)
        self.session.track_changed.connect(self._update_track_actions)

    # -- opening ------------------------------------------------------------------------------

    def open_paths(self, paths: Iterable[str | Path]) -> list[str]:
        """Open files and folders (drop, menu, command line); returns ids added at once."""
        return self.controller.add_paths(paths)

    def open_files_dialog(self) -> None:
        """File → Open…: choose audio files."""
        patterns = " ".join(f"*{ext}" for ext in sorted(AUDIO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Open audio files", self.context.settings.last_directory(),
            f"Audio files ({patterns});;All files (*)")
        if files:
            self.context.settings.set_last_directory(os.path.dirname(files[0]))
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        """File → Open Folder…: choose a folder (walked recursively)."""
        folder = QFileDialog.getExistingDirectory(self, "Open folder",
                                                  self.context.settings.last_directory())
        if folder:
            self.context.settings.set_last_directory(folder)
            self.open_paths([folder])

    def _remember_recent(self, paths: list[str]) -> None:
        limit = self.context.recent_files_max
        for path in reversed(paths):
            self.context.settings.add_recent_file(path, limit)

    def _rebuild_recent_menu(self) -> None:
        menu = self.actions_.recent_menu
        menu.clear()
        recent = self.context.settings.recent_files()
        for path in recent:
            action = menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
        if not recent:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.actions_.clear_recent)
        self.actions_.clear_recent.setEnabled(bool(recent))

    def _clear_recent(self) -> None:
        self.context.settings.clear_recent_files()

    # -- drag and drop (Qt overrides) ---------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept drags that carry local files or folders."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Keep accepting over child widgets."""
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the dropped files and folders."""
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    # -- track commands -----------------------------------------------------------------------

    def reanalyze_selected(self) -> None:
        """Track → Re-analyse."""
        track_id = self.session.selected_id
        if track_id is not None:
            self.controller.reanalyze(track_id)

    def cancel_selected(self) -> None:
        """Track → Cancel analysis."""
        track_id = self.session.selected_id
        if track_id is not None:
            self.controller.cancel(track_id)

    def remove_selected(self) -> None:
        """Track → Remove: drop the selected track and select its neighbour."""
        track_id = self.session.selected_id
        if track_id is None:
            return
        ids = self.session.track_ids()
        index = ids.index(track_id)
        self.controller.remove(track_id)
        remaining = self.session.track_ids()
        if remaining:
            self.session.select(remaining[min(index, len(remaining) - 1)])

    def _update_track_actions(self, *_: object) -> None:
        track_id = self.session.selected_id
        busy = track_id is not None and self.controller.is_busy(track_id)
        self.actions_.reanalyze.setEnabled(track_id is not None and not busy)
        self.actions_.cancel_analysis.setEnabled(busy)
        self.actions_.remove_track.setEnabled(track_id is not None)

    # -- status and errors --------------------------------------------------------------------

    def show_status(self, text: str, timeout_ms: int = 0) -> None:
        """Show ``text`` in the status bar."""
        self.statusBar().showMessage(text, timeout_ms)

    def _on_error_reported(self, _record: ErrorRecord) -> None:
        count = len(self.context.notifier.errors)
        self.error_button.setText(f"⚠ {count} error{'s' if count != 1 else ''}")
        self.error_button.show()

    def show_last_error(self) -> QMessageBox | None:
        """Help → Show Last Error: the details dialog of the notifier's last error."""
        return self.context.notifier.show_details(parent=self)

    def show_about(self) -> QMessageBox:
        """Help → About."""
        return show_about(self, show=self.context.notifier.show_dialogs)

    def _on_active_changed(self, count: int) -> None:
        queued = self.controller.queued_count
        parts = [f"{count} running"] if count else []
        if queued:
            parts.append(f"{queued} queued")
        self.jobs_label.setText(" · ".join(parts))
        self._update_track_actions()

    def _on_activity_count(self, count: int) -> None:
        self.activity_dock.setWindowTitle(f"Activity ({count})" if count else "Activity")

    # -- layout persistence and closing -------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.context.settings
        geometry = settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.window_state()
        if state is not None:
            self.restoreState(state, _STATE_VERSION)

    def save_layout(self) -> None:
        """Store geometry and dock layout in the settings."""
        self.context.settings.set_window_layout(self.saveGeometry(),
                                                self.saveState(_STATE_VERSION))
        self.context.settings.sync()

    def shutdown(self) -> bool:
        """Save the layout, cancel all analyses and join the worker threads (idempotent).

        Returns whether every thread stopped within the timeout.
        """
        if self._closed:
            return True
        self._closed = True
        self.save_layout()
        self.controller.cancel_all()
        return self.context.runner.shutdown(SHUTDOWN_TIMEOUT_MS)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Shut the workers down before the window goes."""
        self.shutdown()
        event.accept()
