"""Plays auditions (the built-in synth's renders) through the playback engine.

The lab keeps its own :class:`core.playback.engine.PlaybackEngine` (the track transport keeps
the track): a render is written to a temporary WAV and loaded and played like any track, so
it goes out through the same sounddevice path. Without an audio output the player says why
and does nothing; tests pass ``stream_factory=OfflineStream`` to run the engine without a
device.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from core.latent.map_items import Audition
from core.playback.engine import PlaybackEngine, PlaybackUnavailable


class ClipPlayer:
    """Plays one :class:`Audition` at a time (a new one replaces the old)."""

    def __init__(self, *, stream_factory: Callable[..., Any] | None = None) -> None:
        self._factory = stream_factory
        self._engine: PlaybackEngine | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="breakroom-latent-")
        self._count = 0
        self.last_file: Path | None = None

    def available(self) -> tuple[bool, str]:
        """``(True, …)`` when audio can play here, else ``(False, reason)``."""
        if self._factory is not None:
            return True, "offline stream"
        return PlaybackEngine.available()

    @property
    def engine(self) -> PlaybackEngine | None:
        """The engine (built on the first :meth:`play`)."""
        return self._engine

    def play(self, audition: Audition) -> None:
        """Play ``audition`` from its start.

        Raises :class:`PlaybackUnavailable` when there is no audio output.
        """
        ok, reason = self.available()
        if not ok:
            raise PlaybackUnavailable(f"cannot play the clip: {reason}")
        if self._engine is None:
            self._engine = PlaybackEngine(stream_factory=self._factory)
        self._count += 1
        path = Path(self._folder.name) / f"clip{self._count % 4}.wav"
        samples = np.asarray(audition.samples, dtype=np.float32)
        sf.write(str(path), samples, int(audition.sample_rate), subtype="FLOAT")
        self._engine.load(path)
        self._engine.play()
        self.last_file = path

    def stop(self) -> None:
        """Stop playing."""
        if self._engine is not None:
            self._engine.stop()

    def close(self) -> None:
        """Release the audio stream and the temporary files."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self._folder.cleanup()
