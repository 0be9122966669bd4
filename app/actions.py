"""The window's QActions and menus, created in one place with their shortcuts.

Actions only carry text, shortcuts and enabled state; :class:`app.main_window.MainWindow`
connects their ``triggered`` signals. Later features add their actions here.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


class AppActions:
    """Every action of the main window, parented to it (so shortcuts work window-wide)."""

    def __init__(self, window: QMainWindow) -> None:
        def make(text: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
                 tip: str) -> QAction:
            action = QAction(text, window)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            action.setStatusTip(tip)
            action.setToolTip(tip)
            window.addAction(action)
            return action

        self.open_files = make("&Open…", QKeySequence.StandardKey.Open,
                               "Open audio files and analyse them")
        self.open_folder = make("Open &Folder…", "Ctrl+Shift+O",
                                "Open every audio file in a folder (and its sub-folders)")
        self.clear_recent = make("&Clear Menu", None, "Forget the recently opened files")
        self.quit = make("&Quit", "Ctrl+Q", "Close Breakroom (running analyses are cancelled)")
        self.reanalyze = make("&Re-analyse", "Ctrl+R", "Analyse the selected track again")
        self.cancel_analysis = make("&Cancel Analysis", "Esc",
                                    "Stop analysing the selected track")
        self.remove_track = make("Re&move", QKeySequence.StandardKey.Delete,
                                 "Remove the selected track from the session")
        self.separate = make("&Separate Stems", "Ctrl+Shift+S",
                             "Split the selected track into stems (Demucs when installed, else "
                             "the offline separator); analysis then uses the drum stem")
        self.export_midi = make("&Export Loop as MIDI…", "Ctrl+E",
                                "Export the loop region as quantized drum MIDI (and audio)")
        self.tempo_half = make("Tempo ½×", "Ctrl+Shift+Down",
                               "Re-derive the grid at half the tempo")
        self.tempo_double = make("Tempo 2×", "Ctrl+Shift+Up",
                                 "Re-derive the grid at twice the tempo")
        self.preferences = make("&Preferences…", QKeySequence.StandardKey.Preferences,
                                "Separation model, device, folders, analysis and theme")
        if self.preferences.shortcut().isEmpty():
            self.preferences.setShortcut(QKeySequence("Ctrl+,"))
        self.open_demo = make("Open &Demo Track", None,
                              "Open a generated drum & bass track to try the whole flow")
        self.show_last_error = make("Show Last &Error…", None,
                                    "Show the details of the most recent error")
        self.about = make("&About Breakroom", None, "Version and analysis backends")
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.setObjectName("recent_menu")

    def track_actions(self) -> tuple[QAction, ...]:
        """Actions that need a selected track."""
        return (self.reanalyze, self.cancel_analysis, self.remove_track, self.separate,
                self.export_midi, self.tempo_half, self.tempo_double)

    def build_menus(self, window: QMainWindow) -> dict[str, QMenu]:
        """Create the menu bar: File, Track, View, Help. Returns the menus by name."""
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_files)
        file_menu.addAction(self.open_folder)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.export_midi)
        file_menu.addSeparator()
        file_menu.addAction(self.preferences)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        track_menu = bar.addMenu("&Track")
        track_menu.addAction(self.reanalyze)
        track_menu.addAction(self.cancel_analysis)
        track_menu.addAction(self.separate)
        track_menu.addSeparator()
        track_menu.addAction(self.tempo_half)
        track_menu.addAction(self.tempo_double)
        track_menu.addSeparator()
        track_menu.addAction(self.remove_track)
        view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.open_demo)
        help_menu.addAction(self.show_last_error)
        help_menu.addSeparator()
        help_menu.addAction(self.about)
        return {"file": file_menu, "track": track_menu, "view": view_menu, "help": help_menu}
