"""Track views (pyqtgraph): waveform, spectrogram and drum timeline on one shared time axis.

Views only draw from models: :class:`TimeAxis` (visible range, playhead, follow mode) and
:class:`LoopRegionModel` (the loop, snapped to bars) are shared by all views; the data are
core values (:class:`core.audio.peaks.PeakPyramid`,
:class:`core.analysis.spectrogram.SpectrogramImage`, :class:`core.results.TrackAnalysis`).
:class:`TrackViews` stacks the three views with a toolbar and is what the window embeds.
"""

from app.views.drum_timeline_view import DrumTimelineView
from app.views.loop_region import LoopRegionItem, LoopRegionModel
from app.views.spectrogram_view import SpectrogramView
from app.views.time_axis import TimeAxis
from app.views.track_views import TrackViews
from app.views.waveform_view import WaveformView

__all__ = [
    "DrumTimelineView",
    "LoopRegionItem",
    "LoopRegionModel",
    "SpectrogramView",
    "TimeAxis",
    "TrackViews",
    "WaveformView",
]
