"""Playback in the window: the transport controller, its bar and the stem mixer.

The engine itself (:mod:`core.playback`) is Qt-free; this package adapts it to actions,
signals and widgets.
"""

from app.playback.stem_mixer import StemMixerWidget, StemStrip
from app.playback.transport import PlaybackBackend, TransportController, TransportState
from app.playback.transport_bar import TransportBar

__all__ = [
    "PlaybackBackend",
    "StemMixerWidget",
    "StemStrip",
    "TransportBar",
    "TransportController",
    "TransportState",
]
