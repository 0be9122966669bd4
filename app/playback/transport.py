"""The transport: play/pause, stop, loop and metronome actions over the playback engine.

:class:`TransportController` owns the :class:`core.playback.engine.PlaybackEngine` (or any
object with the same methods, see :class:`PlaybackBackend`) and turns it into Qt: four
``QAction``\\ s with shortcuts (Space, L, M), a ~30 Hz playhead signal while playing, and
signals for state changes. Widgets (:mod:`app.playback.transport_bar`,
:mod:`app.playback.stem_mixer`) and the window only talk to the controller.

Without an audio output (no PortAudio, no device — :meth:`PlaybackEngine.available`) the
controller holds no engine: every action is disabled with the reason as its tooltip, every
command is a no-op, and the rest of the app works as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

from core.playback.engine import PlaybackEngine, PlaybackUnavailable
from core.playback.timeline import bar_beat_text, clock_text

__all__ = ["PlaybackBackend", "TransportController", "TransportState"]

POSITION_INTERVAL_MS = 33
"""Playhead update period while playing (about 30 Hz), in milliseconds."""

DEFAULT_HIT_SECONDS = 0.4
"""Length of an auditioned drum hit, in seconds."""


class TransportState:
    """The three transport states (the strings :attr:`TransportController.stateChanged`
    carries)."""

    STOPPED = "stopped"
    PAUSED = "paused"
    PLAYING = "playing"


class PlaybackBackend(Protocol):
    """What the controller needs from an engine (``PlaybackEngine`` provides it)."""

    def load(self, mix_path: str | Path, stems: Mapping[str, str | Path] | None = None,
             beats: Sequence[float] = (), downbeats: Sequence[float] = ()) -> None: ...
    def play(self) -> None: ...
    def pause(self) -> None: ...
    def stop(self) -> None: ...
    def seek(self, seconds: float) -> None: ...
    def set_loop(self, start_s: float, end_s: float | None) -> None: ...
    def set_metronome(self, on: bool, level_db: float | None = None) -> None: ...
    def set_stem(self, name: str, gain_db: float | None = None, mute: bool | None = None,
                 solo: bool | None = None) -> None: ...
    def play_hit(self, time_s: float, duration_s: float = 0.4) -> None: ...
    def position(self) -> float: ...
    def is_playing(self) -> bool: ...
    def ended(self) -> bool: ...
    def close(self) -> None: ...


class TransportController(QObject):
    """Owns the playback engine and exposes it as actions and signals.

    Parameters
    ----------
    engine
        The engine to drive; ``None`` builds a :class:`PlaybackEngine` when
        :meth:`PlaybackEngine.available` says yes, else runs without one.
    availability
        ``(ok, reason)`` to use instead of asking :meth:`PlaybackEngine.available` (tests;
        a passed ``engine`` counts as available unless this says otherwise).
    interval_ms
        Playhead update period while playing, in milliseconds.

    Signals
    -------
    positionChanged(float)
        The playhead in seconds: ~30 times a second while playing, and after every seek,
        stop, pause or load.
    stateChanged(str)
        ``"playing"``, ``"paused"`` or ``"stopped"`` (:class:`TransportState`).
    loopToggled(bool), metronomeToggled(bool)
        The loop / metronome switch changed.
    stemsChanged(list)
        Names of the loaded stems (empty when the track has none).
    availabilityChanged(bool, str)
        Playback became unavailable (the device refused to open) — with the reason.
    errorOccurred(str)
        A command failed (a file could not be read …); one line for the notifier.
    """

    positionChanged = Signal(float)
    stateChanged = Signal(str)
    loopToggled = Signal(bool)
    metronomeToggled = Signal(bool)
    stemsChanged = Signal(list)
    availabilityChanged = Signal(bool, str)
    errorOccurred = Signal(str)

    def __init__(self, engine: PlaybackBackend | None = None, *,
                 availability: tuple[bool, str] | None = None,
                 parent: QObject | None = None,
                 interval_ms: int = POSITION_INTERVAL_MS) -> None:
        super().__init__(parent)
        if engine is None:
            ok, reason = availability or PlaybackEngine.available()
            if ok:
                engine = PlaybackEngine()
        else:
            ok, reason = availability or (True, "")
        self._engine: PlaybackBackend | None = engine if ok else None
        self._available = bool(ok and self._engine is not None)
        self._reason = "" if self._available else (reason or "audio playback is unavailable")
        self._state = TransportState.STOPPED
        self._loaded = False
        self._stems: list[str] = []
        self._beats: tuple[float, ...] = ()
        self._downbeats: tuple[float, ...] = ()
        self._loop_region: tuple[float, float] | None = None
        self._metronome_db = -6.0
        self._timer = QTimer(self)
        self._timer.setInterval(int(interval_ms))
        self._timer.timeout.connect(self._tick)
        self._build_actions()
        self._update_actions()

    # -- actions ------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        style = _style()

        def make(text: str, name: str, shortcut: str | None, checkable: bool) -> QAction:
            action = QAction(text, self)
            action.setObjectName(name)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setCheckable(checkable)
            return action

        self.play_action = make("Play", "play_action", "Space", False)
        self.stop_action = make("Stop", "stop_action", None, False)
        self.loop_action = make("Loop", "loop_action", "L", True)
        self.metronome_action = make("Metronome", "metronome_action", "M", True)
        if style is not None:
            self.play_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
            self.stop_action.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
            self.loop_action.setIcon(
                style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.play_action.triggered.connect(self.toggle_play)
        self.stop_action.triggered.connect(self.stop)
        self.loop_action.toggled.connect(self.set_loop_enabled)
        self.metronome_action.toggled.connect(self.set_metronome_enabled)

    @property
    def actions(self) -> tuple[QAction, ...]:
        """Play/pause, stop, loop and metronome."""
        return (self.play_action, self.stop_action, self.loop_action, self.metronome_action)

    def install_shortcuts(self, widget: QWidget) -> None:
        """Add the actions to ``widget`` (the window) so their shortcuts work there."""
        widget.addActions(list(self.actions))

    def _update_actions(self) -> None:
        if not self._available:
            tip = f"Playback unavailable: {self._reason}"
            for action in self.actions:
                action.setEnabled(False)
                action.setToolTip(tip)
                action.setStatusTip(tip)
            return
        loaded = self._loaded
        playing = self._state == TransportState.PLAYING
        self.play_action.setEnabled(loaded)
        self.stop_action.setEnabled(loaded)
        self.loop_action.setEnabled(loaded and self._loop_region is not None)
        self.metronome_action.setEnabled(loaded)
        self.play_action.setText("Pause" if playing else "Play")
        style = _style()
        if style is not None:
            icon = (QStyle.StandardPixmap.SP_MediaPause if playing
                    else QStyle.StandardPixmap.SP_MediaPlay)
            self.play_action.setIcon(style.standardIcon(icon))
        nothing = "" if loaded else " — open a track first"
        tips = {
            self.play_action: ("Pause (Space)" if playing else "Play (Space)") + nothing,
            self.stop_action: "Stop and return to the start" + nothing,
            self.loop_action: ("Loop the selected loop (L)" if self._loop_region
                               else "Loop (L) — choose a loop first"),
            self.metronome_action: "Metronome click on the beat grid (M)" + nothing,
        }
        for action, tip in tips.items():
            action.setToolTip(tip)
            action.setStatusTip(tip)

    # -- state ----------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether audio can be played."""
        return self._available

    @property
    def unavailable_reason(self) -> str:
        """Why not ("" when available)."""
        return self._reason

    @property
    def engine(self) -> PlaybackBackend | None:
        """The engine (``None`` without audio output)."""
        return self._engine

    @property
    def state(self) -> str:
        """``"playing"``, ``"paused"`` or ``"stopped"``."""
        return self._state

    @property
    def loaded(self) -> bool:
        """Whether a track is loaded."""
        return self._loaded

    @property
    def stems(self) -> list[str]:
        """Names of the loaded stems."""
        return list(self._stems)

    @property
    def loop_region(self) -> tuple[float, float] | None:
        """The loop to play, ``(start_s, end_s)``, or ``None``."""
        return self._loop_region

    @property
    def loop_enabled(self) -> bool:
        """Whether the loop switch is on."""
        return self.loop_action.isChecked()

    @property
    def metronome_enabled(self) -> bool:
        """Whether the metronome switch is on."""
        return self.metronome_action.isChecked()

    @property
    def metronome_level_db(self) -> float:
        """Click level, dBFS."""
        return self._metronome_db

    def position(self) -> float:
        """The playhead in seconds (0 without an engine)."""
        if self._engine is None:
            return 0.0
        try:
            return float(self._engine.position())
        except Exception:
            return 0.0

    def clock_text(self, seconds: float | None = None) -> str:
        """``mm:ss.mmm`` of ``seconds`` (default: the playhead)."""
        return clock_text(self.position() if seconds is None else seconds)

    def bar_beat_text(self, seconds: float | None = None) -> str:
        """``bar.beat`` of ``seconds`` (default: the playhead) on the loaded beat grid."""
        at = self.position() if seconds is None else seconds
        return bar_beat_text(at, self._beats, self._downbeats)

    def _set_state(self, state: str) -> None:
        if state == self._state:
            return
        self._state = state
        if state == TransportState.PLAYING:
            self._timer.start()
        else:
            self._timer.stop()
        self._update_actions()
        self.stateChanged.emit(state)

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, PlaybackUnavailable):
            self._mark_unavailable(str(exc))
        self.errorOccurred.emit(str(exc) or type(exc).__name__)

    def _mark_unavailable(self, reason: str) -> None:
        self._available = False
        self._reason = reason
        self._loaded = False
        self._timer.stop()
        self._state = TransportState.STOPPED
        self._update_actions()
        self.availabilityChanged.emit(False, reason)

    # -- commands -------------------------------------------------------------------------------

    def load(self, mix_path: str | Path, stems: Mapping[str, str | Path] | None = None,
             beats: Sequence[float] = (), downbeats: Sequence[float] = ()) -> bool:
        """Load a track (and its stems) stopped at 0:00; returns whether it worked."""
        if self._engine is None:
            return False
        try:
            self._engine.load(mix_path, stems, beats, downbeats)
        except Exception as exc:
            self._fail(exc)
            return False
        self._loaded = True
        self._stems = [str(name) for name in (stems or {})]
        self._beats = tuple(float(b) for b in beats)
        self._downbeats = tuple(float(b) for b in downbeats)
        self._state = TransportState.STOPPED
        self._timer.stop()
        self._loop_region = None  # the previous track's loop
        if self.loop_action.isChecked():
            self.loop_action.setChecked(False)
        if self.metronome_enabled:
            self._call("set_metronome", True, self._metronome_db)
        self._update_actions()
        self.stemsChanged.emit(list(self._stems))
        self.stateChanged.emit(self._state)
        self.positionChanged.emit(0.0)
        return True

    def _call(self, name: str, *args: object, **kwargs: object) -> bool:
        if self._engine is None:
            return False
        try:
            getattr(self._engine, name)(*args, **kwargs)
        except Exception as exc:
            self._fail(exc)
            return False
        return True

    def toggle_play(self) -> None:
        """Play when paused or stopped, pause when playing (Space)."""
        if self._state == TransportState.PLAYING:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Start or resume playback."""
        if self._loaded and self._call("play"):
            self._set_state(TransportState.PLAYING)

    def pause(self) -> None:
        """Pause at the playhead."""
        if self._loaded and self._call("pause"):
            self._set_state(TransportState.PAUSED)
            self.positionChanged.emit(self.position())

    def stop(self) -> None:
        """Stop and go back to the start (the loop start when looping)."""
        if self._loaded and self._call("stop"):
            self._set_state(TransportState.STOPPED)
            self.positionChanged.emit(self.position())

    def seek(self, seconds: float) -> None:
        """Move the playhead (a click on the waveform)."""
        if self._loaded and self._call("seek", float(seconds)):
            self.positionChanged.emit(self.position())

    def play_hit(self, time_s: float, duration_s: float = DEFAULT_HIT_SECONDS) -> None:
        """Audition one drum hit at ``time_s`` (the transport does not move)."""
        if self._loaded:
            self._call("play_hit", float(time_s), float(duration_s))

    def set_loop_region(self, start_s: float | None, end_s: float | None = None) -> None:
        """The loop the L switch plays (a ranked loop candidate); ``None`` clears it."""
        region = None if start_s is None or end_s is None else (float(start_s), float(end_s))
        if region is not None and region[1] <= region[0]:
            self.errorOccurred.emit(f"a loop must end after it starts ({start_s}–{end_s} s)")
            return
        self._loop_region = region
        if region is None and self.loop_action.isChecked():
            self.loop_action.setChecked(False)  # clears the engine's loop
        elif region is not None and self.loop_action.isChecked():
            self._apply_loop(True)
        self._update_actions()

    def set_loop_enabled(self, on: bool) -> None:
        """Loop switch (L): loop the region, jumping into it when the playhead is outside."""
        if self.loop_action.isChecked() != bool(on):
            self.loop_action.setChecked(bool(on))  # re-enters through toggled
            return
        self._apply_loop(bool(on))
        self.loopToggled.emit(bool(on))

    def _apply_loop(self, on: bool) -> None:
        if not self._loaded:
            return
        if on and self._loop_region is not None:
            start, end = self._loop_region
            if self._call("set_loop", start, end):
                here = self.position()
                if not start <= here < end:
                    self.seek(start)
        else:
            self._call("set_loop", 0.0, None)

    def set_metronome_enabled(self, on: bool) -> None:
        """Metronome switch (M)."""
        if self.metronome_action.isChecked() != bool(on):
            self.metronome_action.setChecked(bool(on))
            return
        self._call("set_metronome", bool(on), self._metronome_db)
        self.metronomeToggled.emit(bool(on))

    def set_metronome_level(self, level_db: float) -> None:
        """Click level in dBFS (≤ 0)."""
        self._metronome_db = min(0.0, float(level_db))
        if self._loaded:
            self._call("set_metronome", self.metronome_enabled, self._metronome_db)

    def set_stem(self, name: str, gain_db: float | None = None, mute: bool | None = None,
                 solo: bool | None = None) -> None:
        """Pass a stem-mixer change on to the engine."""
        if self._loaded:
            self._call("set_stem", name, gain_db=gain_db, mute=mute, solo=solo)

    # -- playhead -------------------------------------------------------------------------------

    def _tick(self) -> None:
        """Timer: publish the playhead; notice that playback ended by itself."""
        engine = self._engine
        if engine is None:
            self._timer.stop()
            return
        self.positionChanged.emit(self.position())
        try:
            running = engine.is_playing()
            ended = engine.ended()
        except Exception:
            return
        if not running:
            self._set_state(TransportState.STOPPED if ended else TransportState.PAUSED)
            self.positionChanged.emit(self.position())

    def close(self) -> None:
        """Stop the timer and close the engine (the window calls this when it closes)."""
        self._timer.stop()
        engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.close()
            finally:
                self._available = False
                self._reason = "playback is closed"
                self._loaded = False
                self._update_actions()


def _style() -> QStyle | None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return app.style() if isinstance(app, QApplication) else None
