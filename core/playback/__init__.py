"""Playback: stream a track (and its stems) to the sound card with a loop, a metronome and a
stem mixer.

Pure Python, no Qt. :mod:`core.playback.mixer` is the deterministic heart (testable without a
sound card), :mod:`core.playback.reader` streams files through a prefetch thread into fixed
buffers, :mod:`core.playback.engine` drives a sounddevice output stream, and
:mod:`core.playback.timeline` formats positions. Times are seconds, positions frames at the
output rate, gains dB.

``core.playback.engine`` imports ``sounddevice`` only when a stream is opened or availability
is asked, so this package imports on machines without PortAudio.
"""

from core.playback.engine import (
    OfflineStream,
    PlaybackEngine,
    PlaybackUnavailable,
    TransportSnapshot,
    audio_output_status,
)
from core.playback.mixer import Mixer, StemState, db_to_gain
from core.playback.reader import Prefetcher, StreamingReader
from core.playback.source import ArraySource, Source
from core.playback.timeline import bar_beat, bar_beat_text, clock_text

__all__ = [
    "ArraySource",
    "Mixer",
    "OfflineStream",
    "PlaybackEngine",
    "PlaybackUnavailable",
    "Prefetcher",
    "Source",
    "StemState",
    "StreamingReader",
    "TransportSnapshot",
    "audio_output_status",
    "bar_beat",
    "bar_beat_text",
    "clock_text",
    "db_to_gain",
]
