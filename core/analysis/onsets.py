"""Onset strength and onset times, computed block by block so any file length fits in memory.

The onset strength is the half-wave-rectified frame-to-frame increase of a log-compressed mel
spectrogram (spectral flux), summed over bands. It is computed on mono audio at
:data:`ONSET_SAMPLE_RATE` with hop :data:`ONSET_HOP` (≈ 86 frames per second).
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

ONSET_SAMPLE_RATE = 22050
"""Sample rate (Hz) the onset envelope is computed at."""
ONSET_HOP = 256
"""Hop between onset-envelope frames, in samples at :data:`ONSET_SAMPLE_RATE`."""
ONSET_N_FFT = 2048
_N_MELS = 96


@dataclass(frozen=True)
class OnsetEnvelope:
    """Onset strength per frame. ``frame_rate`` in frames per second; frame *i* is centred at
    ``i / frame_rate`` seconds."""

    strength: np.ndarray
    frame_rate: float

    def times(self) -> np.ndarray:
        """Frame times in seconds."""
        return np.arange(len(self.strength)) / self.frame_rate


class OnsetEnvelopeBuilder:
    """Accumulate an onset envelope from consecutive mono blocks at :data:`ONSET_SAMPLE_RATE`.

    Blocks may have any length; frames straddling block boundaries are computed exactly once
    because the unconsumed tail of each block is carried into the next.
    """

    def __init__(self) -> None:
        self._pending = np.zeros(ONSET_N_FFT // 2, dtype=np.float32)  # centre the first frame
        self._prev: np.ndarray | None = None
        self._chunks: list[np.ndarray] = []
        self._mel = librosa.filters.mel(sr=ONSET_SAMPLE_RATE, n_fft=ONSET_N_FFT,
                                        n_mels=_N_MELS, fmin=27.5, fmax=11000.0)
        self._window = np.hanning(ONSET_N_FFT).astype(np.float32)

    def feed(self, mono: np.ndarray) -> None:
        """Add the next block of mono samples (1-D float, :data:`ONSET_SAMPLE_RATE`)."""
        data = np.concatenate([self._pending, np.asarray(mono, dtype=np.float32)])
        n_frames = 1 + (len(data) - ONSET_N_FFT) // ONSET_HOP if len(data) >= ONSET_N_FFT else 0
        if n_frames <= 0:
            self._pending = data
            return
        frames = np.lib.stride_tricks.sliding_window_view(data, ONSET_N_FFT)[::ONSET_HOP][:n_frames]
        spectrum = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        logmel = np.log1p(1000.0 * (spectrum @ self._mel.T))  # [frames, mels]
        if self._prev is not None:
            logmel_full = np.vstack([self._prev[None, :], logmel])
        else:
            logmel_full = np.vstack([logmel[:1], logmel])
        flux = np.maximum(np.diff(logmel_full, axis=0), 0.0).mean(axis=1)
        self._chunks.append(flux.astype(np.float32))
        self._prev = logmel[-1]
        self._pending = data[n_frames * ONSET_HOP:]

    def finish(self) -> OnsetEnvelope:
        """Flush the tail (zero-padded) and return the whole envelope."""
        self.feed(np.zeros(ONSET_N_FFT // 2, dtype=np.float32))
        strength = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return OnsetEnvelope(strength, ONSET_SAMPLE_RATE / ONSET_HOP)


def onset_envelope(mono: np.ndarray, sample_rate: int) -> OnsetEnvelope:
    """Onset envelope of a whole mono signal (resampled to :data:`ONSET_SAMPLE_RATE` if needed)."""
    mono = np.asarray(mono, dtype=np.float32)
    if sample_rate != ONSET_SAMPLE_RATE:
        import soxr

        mono = soxr.resample(mono, sample_rate, ONSET_SAMPLE_RATE, quality="HQ")
    builder = OnsetEnvelopeBuilder()
    builder.feed(mono)
    return builder.finish()


def pick_onsets(envelope: OnsetEnvelope, *, threshold: float = 0.15,
                min_gap: float = 0.03) -> np.ndarray:
    """Onset times (s): local maxima of the envelope above an adaptive threshold.

    The threshold is a moving median (≈ 0.5 s) plus ``threshold`` × the envelope's 99th
    percentile; peaks closer than ``min_gap`` seconds keep the stronger one.
    """
    s = envelope.strength
    if len(s) < 3 or float(s.max(initial=0.0)) <= 0.0:
        return np.zeros(0)
    from scipy.ndimage import median_filter

    width = max(3, round(0.5 * envelope.frame_rate) | 1)
    adaptive = median_filter(s, size=width, mode="nearest")
    limit = adaptive + threshold * float(np.percentile(s, 99))
    is_peak = (s[1:-1] > s[:-2]) & (s[1:-1] >= s[2:]) & (s[1:-1] > limit[1:-1])
    peaks = np.flatnonzero(is_peak) + 1
    kept: list[int] = []
    gap = min_gap * envelope.frame_rate
    for p in peaks:
        if kept and p - kept[-1] < gap:
            if s[p] > s[kept[-1]]:
                kept[-1] = p
            continue
        kept.append(int(p))
    return np.asarray(kept, dtype=float) / envelope.frame_rate
