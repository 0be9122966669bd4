"""The track views stacked: waveform, spectrogram and drum timeline on one time axis.

:class:`TrackViews` is the widget the main window embeds. It owns the shared
:class:`TimeAxis` and :class:`LoopRegionModel`, a small toolbar (zoom out/in, fit, follow
playhead) with keyboard shortcuts (+/−, 0, F) and the empty states. The window feeds it data as
it arrives, in any order::

    views.clear()                       # new track: "Drop a track to see it here" goes away …
    views.set_busy(True)                # … views without data say "Analysing…"
    views.set_peaks(pyramid)            # core.audio.peaks.PeakPyramid
    views.set_spectrogram(image)        # core.analysis.spectrogram.SpectrogramImage
    views.set_analysis(analysis)        # core.results.TrackAnalysis: grid, drums, loop
    views.set_busy(False)
    views.set_playhead(seconds)         # from the player, e.g. 30 times a second

and listens to ``seekRequested``, ``hitClicked`` and ``loopChanged``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.views.base import format_time
from app.views.drum_timeline_view import DrumTimelineView
from app.views.loop_region import LoopRegionModel
from app.views.spectrogram_view import SpectrogramView
from app.views.style import MUTED
from app.views.time_axis import TimeAxis
from app.views.waveform_view import WaveformView
from core.analysis.spectrogram import SpectrogramImage
from core.audio.peaks import PeakPyramid
from core.results import TrackAnalysis

EMPTY_TEXT = "Drop a track to see it here"
BUSY_TEXT = "Analysing…"
NO_WAVEFORM_TEXT = "No waveform"
NO_SPECTROGRAM_TEXT = "No spectrogram"
NO_DRUMS_TEXT = "No drum analysis"
NO_HITS_TEXT = "No drum hits found"


class TrackViews(QWidget):
    """Waveform, spectrogram and drum timeline of one track, sharing one time axis and loop.

    Attributes
    ----------
    time_axis
        The shared visible range (zoom, pan, fit, follow playhead).
    loop_model
        The shared loop; set or clear it from outside with ``loop_model.set_loop`` /
        ``clear_loop``.
    waveform, spectrogram, drums
        The three views.
    zoom_in_action, zoom_out_action, fit_action, follow_action
        The toolbar's actions (shortcuts +/=, −, 0, F while the views have focus).

    Signals
    -------
    seekRequested(float seconds)
        The user clicked the waveform or spectrogram at this time.
    hitClicked(float time_s, str instrument)
        The user clicked a drum hit.
    loopChanged(float start_s, float end_s, int bars)
        The loop changed (snapped to bars; ``bars`` is 0 without a bar grid). A cleared loop
        is announced by ``loop_model.loopCleared``.
    """

    seekRequested = Signal(float)
    hitClicked = Signal(float, str)
    loopChanged = Signal(float, float, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("track_views")
        self.time_axis = TimeAxis(self)
        self.loop_model = LoopRegionModel(self)
        self._analysis: TrackAnalysis | None = None
        self._pyramid: PeakPyramid | None = None
        self._image: SpectrogramImage | None = None
        self._busy = False
        self._busy_text = BUSY_TEXT

        self.waveform = WaveformView(self.time_axis, self.loop_model, self)
        self.spectrogram = SpectrogramView(self.time_axis, self.loop_model, self)
        self.drums = DrumTimelineView(self.time_axis, self.loop_model, self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(3)
        for index, (view, stretch) in enumerate(
                ((self.waveform, 3), (self.spectrogram, 3), (self.drums, 2))):
            self.splitter.addWidget(view)
            self.splitter.setStretchFactor(index, stretch)

        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setObjectName("track_views_empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(f"color: {MUTED}; font-size: 13pt;")
        content = QWidget(self)
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(2)
        content_layout.addLayout(self._build_toolbar())
        content_layout.addWidget(self.splitter, 1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.waveform.seekRequested.connect(self.seekRequested)
        self.spectrogram.seekRequested.connect(self.seekRequested)
        self.drums.hitClicked.connect(self.hitClicked)
        self.loop_model.loopChanged.connect(self.loopChanged)
        self.loop_model.loopChanged.connect(self._show_loop)
        self.loop_model.loopCleared.connect(self._show_loop)
        self.time_axis.rangeChanged.connect(self._show_range)
        self.time_axis.followChanged.connect(self.follow_action.setChecked)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._refresh()

    # -- construction ---------------------------------------------------------------------------

    def _action(self, text: str, tip: str, keys: tuple[str, ...], slot: Callable[..., object],
                name: str, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setToolTip(f"{tip} ({' or '.join(keys)})")
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_toolbar(self) -> QHBoxLayout:
        axis = self.time_axis
        self.zoom_out_action = self._action("−", "Zoom out", ("-",), axis.zoom_out, "zoom_out")
        self.zoom_in_action = self._action("+", "Zoom in", ("+", "="), axis.zoom_in, "zoom_in")
        self.fit_action = self._action("Fit", "Show the whole track", ("0",), axis.fit, "fit")
        self.follow_action = self._action("Follow", "Keep the playhead in view", ("F",),
                                          axis.set_follow, "follow", checkable=True)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.setSpacing(4)
        self.toolbar_buttons: list[QToolButton] = []
        for action in (self.zoom_out_action, self.zoom_in_action, self.fit_action,
                       self.follow_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            button.setMinimumWidth(30)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.addWidget(button)
            self.toolbar_buttons.append(button)
        self.range_label = QLabel("", self)
        self.range_label.setObjectName("track_views_range")
        self.range_label.setStyleSheet(f"color: {MUTED};")
        self.loop_label = QLabel("", self)
        self.loop_label.setObjectName("track_views_loop")
        self.loop_label.setStyleSheet(f"color: {MUTED};")
        bar.addSpacing(10)
        bar.addWidget(self.range_label)
        bar.addStretch(1)
        bar.addWidget(self.loop_label)
        return bar

    # -- API ------------------------------------------------------------------------------------

    @property
    def analysis(self) -> TrackAnalysis | None:
        """The analysis shown, or ``None``."""
        return self._analysis

    def set_analysis(self, analysis: TrackAnalysis | None) -> None:
        """Show the beat grid, drum hits and loop of ``analysis`` (``None`` removes them)."""
        self._analysis = analysis
        beats = analysis.beats if analysis else ()
        downbeats = analysis.downbeats if analysis else ()
        self._update_duration()
        self.loop_model.set_grid(downbeats, self.time_axis.duration)
        self.waveform.set_grid(beats, downbeats)
        self.drums.set_grid(beats, downbeats)
        self.drums.set_hits(analysis.drum_hits if analysis else ())
        if analysis is not None and analysis.loop is not None:
            self.loop_model.set_loop(analysis.loop.start, analysis.loop.end)
        self._refresh()

    def set_peaks(self, pyramid: PeakPyramid | None) -> None:
        """Draw the waveform from ``pyramid`` (``None`` removes it)."""
        self._pyramid = pyramid
        self._update_duration()
        self.waveform.set_peaks(pyramid)
        self._refresh()

    def set_spectrogram(self, image: SpectrogramImage | None) -> None:
        """Draw ``image`` (``None`` removes it)."""
        self._image = image
        self._update_duration()
        self.spectrogram.set_image(image)
        self._refresh()

    def set_playhead(self, seconds: float | None) -> None:
        """Move the playhead line on every view (``None`` hides it); in follow mode the
        visible range turns pages to keep it in view."""
        self.time_axis.set_playhead(seconds)

    def set_busy(self, busy: bool, text: str = BUSY_TEXT) -> None:
        """While ``busy``, views still without data show ``text``; otherwise they say what is
        missing ("No spectrogram", …)."""
        self._busy = bool(busy)
        self._busy_text = text
        self._refresh()

    def clear(self) -> None:
        """Forget the track: every view empties and the drop hint shows."""
        self._analysis = self._pyramid = self._image = None
        self._busy = False
        self.time_axis.set_follow(False)
        self.time_axis.set_playhead(None)
        self.loop_model.set_grid((), 0.0)
        self.waveform.clear()
        self.spectrogram.clear()
        self.drums.clear()
        self.time_axis.set_duration(0.0)
        self._refresh()

    @property
    def has_track(self) -> bool:
        """Whether anything of a track is shown (or being analysed)."""
        return self._busy or any(x is not None
                                 for x in (self._analysis, self._pyramid, self._image))

    # -- internals ------------------------------------------------------------------------------

    def _update_duration(self) -> None:
        known = [x.duration for x in (self._analysis, self._pyramid, self._image)
                 if x is not None]
        self.time_axis.set_duration(max(known) if known else 0.0)

    def _refresh(self) -> None:
        self.stack.setCurrentIndex(1 if self.has_track else 0)
        waiting = self._busy_text if self._busy else None
        self.waveform.set_placeholder(None if self._pyramid else waiting or NO_WAVEFORM_TEXT)
        self.spectrogram.set_placeholder(
            None if self._image else waiting or NO_SPECTROGRAM_TEXT)
        if self._analysis is None:
            drums_text: str | None = waiting or NO_DRUMS_TEXT
        else:
            drums_text = None if self._analysis.drum_hits else NO_HITS_TEXT
        self.drums.set_placeholder(drums_text)
        enabled = self.time_axis.duration > 0
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action,
                       self.follow_action):
            action.setEnabled(enabled)
        self._show_range(*self.time_axis.range)
        self._show_loop()

    def _show_range(self, start_s: float, end_s: float) -> None:
        if self.time_axis.duration <= 0:
            self.range_label.setText("")
            return
        span = end_s - start_s
        step = 0.001 if span < 10 else 0.1 if span < 120 else 1.0
        self.range_label.setText(f"{format_time(start_s, step)} – {format_time(end_s, step)}")

    def _show_loop(self, *_: object) -> None:
        loop = self.loop_model.loop
        if loop is None:
            self.loop_label.setText("")
            return
        start_s, end_s, bars = loop
        length = f"{bars} bar{'s' if bars != 1 else ''}" if bars else f"{end_s - start_s:.2f} s"
        self.loop_label.setText(
            f"Loop {format_time(start_s, 0.01)} – {format_time(end_s, 0.01)} · {length}")
