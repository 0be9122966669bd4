"""The offline ``classic`` separator behind the pipeline's chunk interface.

:class:`core.separation.classic.ClassicSeparator` maps a chunk to a dict of stems; this adapter
gives it the attributes :func:`core.separation.pipeline.separate_file` drives (rate, channels,
chunk and overlap in samples, ``separate`` returning ``[stems, channels, n]``), with chunks of
:data:`CHUNK_SECONDS` and an overlap of the separator's own context, cross-faded linearly.
"""

from __future__ import annotations

import numpy as np

from core.jobs import CancelToken

CHUNK_SECONDS = 8.0
"""Length of one chunk (s); the separator's masks only look a few hundred ms around."""
SAMPLE_RATE = 44100
"""Rate the classic separator runs at (Hz); other files are resampled on the way in/out."""


class ClassicChunkSeparator:
    """The offline separator as a pipeline :class:`~core.separation.pipeline.Separator`."""

    needs_stats = False
    window = "linear"
    pad_input = False

    def __init__(self) -> None:
        from core.separation.classic import ClassicSeparator

        self._impl = ClassicSeparator(SAMPLE_RATE)
        self.name = "classic"
        self.device = "cpu"
        self.stems: tuple[str, ...] = tuple(self._impl.stems)
        self.sample_rate = SAMPLE_RATE
        self.channels = 2
        self.chunk = int(CHUNK_SECONDS * SAMPLE_RATE)
        context = float(getattr(self._impl, "context_seconds", 0.5))
        self.overlap = min(self.chunk // 2, max(1, int(2 * context * SAMPLE_RATE)))
        self.cancel: CancelToken | None = None

    @property
    def backend(self) -> str:
        """What ran, for reports."""
        return "classic (harmonic/percussive masks, cpu)"

    def prepare(self, mean: float, std: float) -> None:
        """Not needed: the classic separator is scale-invariant."""

    def separate(self, chunk: np.ndarray) -> np.ndarray:
        """Stems ``[len(stems), channels, n]`` of ``chunk`` ``[channels, n]``."""
        out = self._impl.separate(np.asarray(chunk, dtype=np.float32))
        return np.stack([np.asarray(out[s], dtype=np.float32) for s in self.stems])

    def close(self) -> None:
        """Nothing to release."""
