"""The visible time range shared by every track view.

A model: :class:`TimeAxis` holds ``start``/``end`` of the visible range in seconds, the track
duration and the playhead, and every view redraws from its ``rangeChanged`` signal. Views never
change their own x range; they translate the user's wheel, drags and buttons into calls on this
object, so all views always show the same seconds.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, Signal

MIN_SPAN_S = 0.05
"""Narrowest visible range in seconds (50 ms)."""
ZOOM_STEP = 2.0
"""Zoom factor of one zoom-in/zoom-out command."""
FOLLOW_LEAD = 0.05
"""While following, a page turn puts the playhead this fraction of the span from the left."""
FOLLOW_EDGE = 0.02
"""While following, a page turns when the playhead is this fraction of the span from the right."""
_EPS = 1e-9


class TimeAxis(QObject):
    """One visible range ``[start, end]`` (s) within ``[0, duration]`` and a follow mode.

    The range always spans at least :data:`MIN_SPAN_S` (or the whole track when that is
    shorter) and lies inside the track. While :attr:`follow` is on, :meth:`set_playhead` turns
    pages so the playhead stays in view; a user pan or zoom that leaves the playhead outside
    the range turns following off.

    Signals
    -------
    rangeChanged(float start_s, float end_s)
        The visible range changed.
    durationChanged(float seconds)
        A new track length (0 when cleared).
    followChanged(bool on)
        Follow-playhead mode switched.
    playheadChanged(object seconds)
        The playhead moved (a float in s) or was hidden (``None``).
    """

    rangeChanged = Signal(float, float)
    durationChanged = Signal(float)
    followChanged = Signal(bool)
    playheadChanged = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._duration = 0.0
        self._start = 0.0
        self._end = 1.0
        self._follow = False
        self._playhead: float | None = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        """Track length in seconds (0 when there is no track)."""
        return self._duration

    @property
    def start(self) -> float:
        """Left edge of the visible range in seconds."""
        return self._start

    @property
    def end(self) -> float:
        """Right edge of the visible range in seconds."""
        return self._end

    @property
    def span(self) -> float:
        """Width of the visible range in seconds."""
        return self._end - self._start

    @property
    def range(self) -> tuple[float, float]:
        """``(start, end)`` in seconds."""
        return self._start, self._end

    @property
    def follow(self) -> bool:
        """Whether the range follows the playhead."""
        return self._follow

    @property
    def playhead(self) -> float | None:
        """Playhead position in seconds, or ``None`` when hidden."""
        return self._playhead

    @property
    def min_span(self) -> float:
        """Narrowest allowed span in seconds for this track."""
        return min(MIN_SPAN_S, self._duration) if self._duration > 0 else MIN_SPAN_S

    def is_full(self) -> bool:
        """Whether the whole track is visible."""
        return self._start <= _EPS and self._end >= self._duration - 1e-6

    # -- changes --------------------------------------------------------------------------------

    def set_duration(self, seconds: float) -> None:
        """Set the track length; a new track (from none) shows all of it, otherwise the range
        is kept and clamped. 0 clears."""
        seconds = max(0.0, float(seconds)) if math.isfinite(seconds) else 0.0
        if abs(seconds - self._duration) <= _EPS:
            return
        had_track = self._duration > 0
        self._duration = seconds
        self.durationChanged.emit(seconds)
        if seconds <= 0:
            self._playhead = None
            self._apply(0.0, 1.0)
        elif not had_track:
            self._apply(0.0, seconds)
        else:
            self._apply(self._start, self._end)

    def set_range(self, start_s: float, end_s: float) -> None:
        """Show ``start_s``–``end_s`` (clamped to the track, at least the minimum span)."""
        self._apply(start_s, end_s)
        self._drop_follow_if_lost()

    def fit(self) -> None:
        """Show the whole track."""
        if self._duration > 0:
            self._apply(0.0, self._duration)

    def zoom(self, factor: float, anchor_s: float | None = None) -> None:
        """Zoom by ``factor`` (> 1 zooms in) keeping ``anchor_s`` at the same place on screen.

        Without an anchor the playhead is used while following (and visible), else the centre.
        """
        if factor <= 0 or not math.isfinite(factor) or self._duration <= 0:
            return
        if anchor_s is None:
            anchor_s = self._default_anchor()
        anchor_s = min(max(float(anchor_s), self._start), self._end)
        span = self.span
        new_span = min(max(span / factor, self.min_span), self._duration)
        ratio = (anchor_s - self._start) / span if span > 0 else 0.5
        start = anchor_s - ratio * new_span
        self._apply(start, start + new_span)
        self._drop_follow_if_lost()

    def zoom_in(self) -> None:
        """Zoom in one step (×2) around the playhead while following, else the centre."""
        self.zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out one step (×2)."""
        self.zoom(1.0 / ZOOM_STEP)

    def pan(self, delta_s: float) -> None:
        """Move the range by ``delta_s`` seconds (positive: later), stopping at the edges."""
        if math.isfinite(delta_s):
            self._apply(self._start + delta_s, self._end + delta_s)
            self._drop_follow_if_lost()

    def centre_on(self, seconds: float) -> None:
        """Move the range (same span) so that ``seconds`` is in its middle."""
        half = self.span / 2.0
        self._apply(seconds - half, seconds + half)
        self._drop_follow_if_lost()

    def set_follow(self, on: bool) -> None:
        """Switch follow-playhead mode; switching it on brings the playhead into view."""
        on = bool(on)
        if on == self._follow:
            return
        self._follow = on
        self.followChanged.emit(on)
        if on and self._playhead is not None:
            self._turn_page(self._playhead, force=False)

    def set_playhead(self, seconds: float | None) -> None:
        """Move the playhead (s; ``None`` hides it); while following, keep it in view."""
        if seconds is not None:
            seconds = float(seconds)
            if not math.isfinite(seconds):
                return
            seconds = min(max(seconds, 0.0), self._duration) if self._duration > 0 else 0.0
        if seconds == self._playhead:
            return
        self._playhead = seconds
        self.playheadChanged.emit(seconds)
        if self._follow and seconds is not None:
            self._turn_page(seconds, force=False)

    # -- internals ------------------------------------------------------------------------------

    def _default_anchor(self) -> float:
        head = self._playhead
        if self._follow and head is not None and self._start <= head <= self._end:
            return head
        return (self._start + self._end) / 2.0

    def _turn_page(self, seconds: float, *, force: bool) -> None:
        span = self.span
        if force or seconds < self._start or seconds > self._end - FOLLOW_EDGE * span:
            start = seconds - FOLLOW_LEAD * span
            self._apply(start, start + span)

    def _drop_follow_if_lost(self) -> None:
        head = self._playhead
        if self._follow and head is not None and not self._start <= head <= self._end:
            self.set_follow(False)

    def _apply(self, start: float, end: float) -> None:
        if not (math.isfinite(start) and math.isfinite(end)):
            return
        if end < start:
            start, end = end, start
        if self._duration > 0:
            span = min(max(end - start, self.min_span), self._duration)
            centre_kept = (start + end) / 2.0 if end - start < span else None
            if centre_kept is not None:  # widened to the minimum span around the centre
                start = centre_kept - span / 2.0
            start = min(max(start, 0.0), self._duration - span)
            end = start + span
        if abs(start - self._start) <= _EPS and abs(end - self._end) <= _EPS:
            return
        self._start, self._end = start, end
        self.rangeChanged.emit(start, end)
