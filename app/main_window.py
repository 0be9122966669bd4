"""The main window: track views in the centre, library, results, loops, stems and activity in
docks, transport on top, menus and status bar.

The window is the composition root of the UI: it builds the session model, the controllers
(analysis, media: peaks/spectrogram/loops/separation, transport) and the panels, and routes user
intents (menu actions, drops, clicks on the views) to the controllers. Panels and views only
read models. The SysEx browser and the latent-space lab get their own workspace tabs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.actions import AppActions
from app.context import AppContext
from app.controllers.analysis_controller import AnalysisController
from app.controllers.media_controller import MediaController
from app.dialogs.about_dialog import show_about
from app.latent import create_latent_page
from app.models.session_model import SessionModel
from app.notifier import ErrorRecord
from app.panels.activity_panel import ActivityPanel
from app.panels.library_panel import LibraryPanel
from app.panels.loop_panel import LoopPanel
from app.panels.results_panel import ResultsPanel
from app.playback.stem_mixer import StemMixerWidget
from app.playback.transport import TransportController
from app.playback.transport_bar import TransportBar
from app.resources import app_icon
from app.sysex import create_sysex_page
from app.views.track_views import TrackViews
from core.audio import AUDIO_EXTENSIONS

SHUTDOWN_TIMEOUT_MS = 5000
_STATE_VERSION = 2  # QMainWindow.saveState/restoreState version of the dock layout


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
    transport
        Optional playback controller (tests inject one over an offline engine); by default one
        over the sound card, disabled with the reason when there is none.
    """

    def __init__(self, context: AppContext, *, controller: AnalysisController | None = None,
                 transport: TransportController | None = None,
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

        self.media = MediaController(context, self.session, reanalyze=self.controller.reanalyze,
                                     parent=self)
        self.transport = transport or TransportController(parent=self)
        self.track_views = TrackViews(self)
        self.transport_bar = TransportBar(self.transport, self)
        self.workspace = self._build_workspace()
        self.setCentralWidget(self.workspace)
        self.results_panel = ResultsPanel(self.session, self)
        self.library_panel = LibraryPanel(self.session, self)
        self.library_panel.set_hidden_columns(context.settings.hidden_library_columns(
            self.library_panel.hidden_columns))
        self.library_panel.columns_changed.connect(
            lambda: context.settings.set_hidden_library_columns(
                self.library_panel.hidden_columns))
        self.library_dock = self._dock("Library", "library_dock", self.library_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.results_dock = self._dock("Results", "results_dock", self.results_panel,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.loop_panel = LoopPanel(self.session, int(context.config.get("export.bars")), self)
        self.loop_dock = self._dock("Loops", "loop_dock", self.loop_panel,
                                    Qt.DockWidgetArea.RightDockWidgetArea)
        self.stem_mixer = StemMixerWidget(self.transport, self)
        self.stems_dock = self._dock("Stems", "stems_dock", self.stem_mixer,
                                     Qt.DockWidgetArea.RightDockWidgetArea)
        self.stems_dock.hide()
        self.activity_panel = ActivityPanel(context.runner, self)
        self.activity_dock = self._dock("Activity", "activity_dock", self.activity_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.library_dock, self.results_dock], [270, 460],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.activity_dock], [120], Qt.Orientation.Vertical)
        self.resizeDocks([self.results_dock, self.loop_dock], [560, 300],
                         Qt.Orientation.Vertical)
        self._loaded_media: tuple[str, tuple] | None = None
        self._shown_analysis: object = None
        self._shown_state: dict[str, object] = {}  # busy, loop, stems as last applied

        self.actions_ = AppActions(self)
        self.menus = self.actions_.build_menus(self)
        self._build_status_bar()
        self._connect()
        self._restore_layout()
        self._update_track_actions()
        for message in context.startup_errors:
            context.notifier.error("Settings problem", message)

    # -- construction -------------------------------------------------------------------------

    def _build_workspace(self) -> QTabWidget:
        """The central tabs: the track (transport + views), the SysEx browser, the latent lab."""
        tabs = QTabWidget(self)
        tabs.setObjectName("workspace_tabs")
        self._put_away_docks: list[QDockWidget] | None = None
        track_page = self.track_page = QWidget(tabs)
        layout = QVBoxLayout(track_page)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.transport_bar)
        layout.addWidget(self.track_views, 1)
        tabs.addTab(track_page, "Track")
        self.sysex_page = create_sysex_page(self.context, tabs)
        self.sysex_tab = _scrollable(self.sysex_page, tabs)
        tabs.addTab(self.sysex_tab, "SysEx")
        self.latent_page = create_latent_page(self.context, tabs)
        self.latent_tab = _scrollable(self.latent_page, tabs)
        tabs.addTab(self.latent_tab, "Latent lab")
        return tabs

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
        a.separate.triggered.connect(self.separate_selected)
        a.export_midi.triggered.connect(self.export_midi)
        a.tempo_half.triggered.connect(lambda: self.flip_tempo(0.5))
        a.tempo_double.triggered.connect(lambda: self.flip_tempo(2.0))
        a.preferences.triggered.connect(self.show_preferences)
        a.open_demo.triggered.connect(self.open_demo_track)
        for dock in (self.library_dock, self.results_dock, self.loop_dock, self.stems_dock,
                     self.activity_dock):
            self.menus["view"].addAction(dock.toggleViewAction())
        self.transport.install_shortcuts(self)
        self.workspace.currentChanged.connect(self._on_workspace_changed)
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
        self.session.selection_changed.connect(self._show_selected)
        self.session.track_changed.connect(self._on_track_changed)
        self.media.peaks_ready.connect(self._on_peaks)
        self.media.spectrogram_ready.connect(self._on_spectrogram)
        self.results_panel.flip_requested.connect(self.flip_tempo)
        self.loop_panel.bars_changed.connect(self._on_loop_bars)
        self.loop_panel.export_requested.connect(self.export_midi)
        self.track_views.loopChanged.connect(self._on_loop_dragged)
        self.track_views.seekRequested.connect(self.transport.seek)
        self.track_views.hitClicked.connect(lambda t, _i: self.transport.play_hit(t))
        self.transport.positionChanged.connect(self.track_views.set_playhead)
        self.transport.errorOccurred.connect(
            lambda text: notifier.error("Playback problem", text))

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
        entry = self.session.track(track_id) if track_id else None
        busy = track_id is not None and self.controller.is_busy(track_id)
        analysed = entry is not None and entry.analysis is not None
        has_tempo = analysed and entry.analysis.tempo_bpm is not None  # type: ignore[union-attr]
        self.actions_.reanalyze.setEnabled(track_id is not None and not busy)
        self.actions_.cancel_analysis.setEnabled(busy)
        self.actions_.remove_track.setEnabled(track_id is not None)
        self.actions_.separate.setEnabled(
            track_id is not None and not self.media.is_separating(track_id))
        self.actions_.export_midi.setEnabled(bool(analysed and entry.loop and not busy))
        self.actions_.tempo_half.setEnabled(bool(has_tempo and not busy))
        self.actions_.tempo_double.setEnabled(bool(has_tempo and not busy))

    # -- the selected track: views, loop, playback ----------------------------------------------

    def _show_selected(self, *_: object) -> None:
        entry = self.session.selected_track()
        self._shown_analysis = None
        self._shown_state = {}
        self.track_views.clear()
        if entry is None:
            return
        self._on_track_changed(entry.id)

    def _changed(self, key: str, value: object) -> bool:
        """Whether ``value`` differs from what was last applied for ``key`` (then remember it).

        ``track_changed`` fires on every progress report and every step of a loop drag; only
        what actually changed is pushed to the views, the transport and the stem mixer (whose
        strips would otherwise be rebuilt, losing the user's solo, mute and volume)."""
        if key in self._shown_state and self._shown_state[key] == value:
            return False
        self._shown_state[key] = value
        return True

    def _on_track_changed(self, track_id: str) -> None:
        entry = self.session.track(track_id)
        if entry is None or track_id != self.session.selected_id:
            return
        if entry.analysis is not self._shown_analysis:
            self._shown_analysis = entry.analysis
            self.track_views.set_analysis(entry.analysis)
        busy = entry.analysis is None and entry.status.value in ("queued", "analyzing")
        if self._changed("busy", busy):
            self.track_views.set_busy(busy)
        if self._changed("loop", (entry.loop, id(entry.analysis))):
            model = self.track_views.loop_model
            if entry.loop is not None and (not model.has_loop or any(
                    abs(a - b) > 1e-3 for a, b in zip(model.loop[:2], entry.loop[:2],
                                                      strict=True))):
                model.set_loop(entry.loop[0], entry.loop[1])
            self.transport.set_loop_region(*(entry.loop[:2] if entry.loop else (None, None)))
        self._load_playback(entry)
        if self._changed("stems", entry.stems):
            self.stem_mixer.set_stems(list(entry.stem_files))
            if entry.stems:
                self._show_track_dock(self.stems_dock)

    def _load_playback(self, entry: object) -> None:
        analysis = entry.analysis  # type: ignore[attr-defined]
        key = (entry.id, (str(entry.path), entry.stems,  # type: ignore[attr-defined]
                          id(analysis)))
        if analysis is None or self._loaded_media == key:
            return
        self._loaded_media = key
        self.transport.load(entry.path, entry.stem_files,  # type: ignore[attr-defined]
                            analysis.beats, analysis.downbeats)

    def _on_peaks(self, track_id: str, pyramid: object) -> None:
        if track_id == self.session.selected_id:
            self.track_views.set_peaks(pyramid)

    def _on_spectrogram(self, track_id: str, image: object) -> None:
        if track_id == self.session.selected_id:
            self.track_views.set_spectrogram(image)

    def _on_loop_dragged(self, start: float, end: float, bars: int) -> None:
        track_id = self.session.selected_id
        if track_id is not None and bars > 0:
            self.session.update_track(track_id, loop=(start, end, bars))

    def _on_loop_bars(self, bars: int) -> None:
        self.media.loop_bars = bars
        if self.session.selected_id is not None:
            self.media.refresh_loops(self.session.selected_id)

    def flip_tempo(self, factor: float) -> None:
        """Track → Tempo ½× / 2×: re-derive the grid at that factor of the tempo."""
        track_id = self.session.selected_id
        if track_id is not None and self.controller.flip_tempo(track_id, factor):
            self.show_status(f"Re-analysing at {factor:g}× the tempo…", 5000)

    def separate_selected(self) -> None:
        """Track → Separate Stems."""
        track_id = self.session.selected_id
        if track_id is not None and self.media.separate(track_id) is not None:
            self.show_status("Separating stems…", 5000)
            self._update_track_actions()

    def export_midi(self) -> QDialog | None:
        """File → Export Loop as MIDI…: the export dialog over the selected track's loop."""
        from app.dialogs.export_dialog import ExportMidiDialog, worker_export

        entry = self.session.selected_track()
        if entry is None or entry.analysis is None:
            return None
        loops = entry.loops
        dialog = ExportMidiDialog(self.context.config, entry.path, candidates=loops,
                                  stems=entry.stem_files,
                                  export=worker_export(self.context, entry.path,
                                                       analysis=entry.analysis), parent=self)
        dialog.exported.connect(self.loop_panel.drag_handle.set_files)
        if self.context.notifier.show_dialogs:
            dialog.open()
        return dialog

    def show_preferences(self) -> QDialog:
        """File → Preferences…: changes apply to the next job and are saved to the user
        config file."""
        from app.dialogs.preferences_dialog import PreferencesDialog

        dialog = PreferencesDialog(self.context.config, parent=self)

        def accepted() -> None:
            try:
                dialog.save()
                self.context.config = dialog.new_config()
            except Exception as exc:  # a config the user cannot write is their message
                self.context.notifier.error("Could not save the preferences", str(exc))
                return
            self.show_status("Preferences saved", 4000)

        dialog.accepted.connect(accepted)
        if self.context.notifier.show_dialogs:
            dialog.open()
        return dialog

    def open_demo_track(self) -> list[str]:
        """Help → Open Demo Track: a generated drum & bass track (no download)."""
        from core.devset.demo import demo_track

        return self.open_paths([demo_track()])

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
        """Store geometry and dock layout in the settings (the Track tab's docks as they are
        there, even when another workspace tab has them put away)."""
        put_away = self._put_away_docks
        for dock in put_away or ():
            dock.show()
        self.context.settings.set_window_layout(self.saveGeometry(),
                                                self.saveState(_STATE_VERSION))
        for dock in put_away or ():
            dock.hide()
        self.context.settings.sync()

    # -- workspace tabs -----------------------------------------------------------------------

    @property
    def track_docks(self) -> tuple[QDockWidget, ...]:
        """The docks that belong to the Track tab (library, results, loops, stems)."""
        return (self.library_dock, self.results_dock, self.loop_dock, self.stems_dock)

    def _on_workspace_changed(self, index: int) -> None:
        """The SysEx browser and the latent lab get the whole window: the Track tab's docks
        are put away while they show, and come back as they were."""
        on_track = self.workspace.widget(index) is self.track_page
        if not on_track and self._put_away_docks is None:
            self._put_away_docks = [d for d in self.track_docks if d.isVisible()]
            for dock in self._put_away_docks:
                dock.hide()
        elif on_track and self._put_away_docks is not None:
            for dock in self._put_away_docks:
                dock.show()
            self._put_away_docks = None

    def _show_track_dock(self, dock: QDockWidget) -> None:
        """Show a Track-tab dock now, or when the Track tab is back."""
        if self._put_away_docks is None:
            dock.show()
        elif dock not in self._put_away_docks:
            self._put_away_docks.append(dock)

    def shutdown(self) -> bool:
        """Save the layout, cancel all analyses and join the worker threads (idempotent).

        Returns whether every thread stopped within the timeout.
        """
        if self._closed:
            return True
        self._closed = True
        self.save_layout()
        self.controller.cancel_all()
        self.transport.close()
        return self.context.runner.shutdown(SHUTDOWN_TIMEOUT_MS)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Shut the workers down before the window goes."""
        self.shutdown()
        event.accept()


def _scrollable(page: QWidget, parent: QWidget) -> QScrollArea:
    """``page`` in a scroll area: a tab wider than a small screen scrolls instead of forcing
    the whole window (every tab's minimum size counts) wider than the screen."""
    area = QScrollArea(parent)
    area.setObjectName(f"{page.objectName() or 'page'}_scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area
