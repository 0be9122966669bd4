"""Log-mel spectrogram frames for drum transcription, computed block by block.

The drum model and the classic baseline both read these frames:

* mono audio at :data:`FEATURE_SAMPLE_RATE` (44.1 kHz; other rates are resampled with a
  streaming soxr resampler),
* Hann-windowed STFT with ``n_fft`` = :data:`N_FFT` (2048 samples, 46 ms) and ``hop`` =
  :data:`HOP` (441 samples), i.e. :data:`FRAME_RATE` = 100 frames per second; frame *i* is
  centred at ``i / FRAME_RATE`` seconds (the signal is padded with ``n_fft / 2`` zeros at both
  ends, as ``librosa.stft(center=True)`` with zero padding does),
* :data:`N_BANDS` = 96 triangular mel bands (Slaney mel scale, unit-peak triangles) from
  :data:`F_MIN` = 20 Hz to :data:`F_MAX` = 16 kHz, summing power,
* power in dB re. a full-scale sine (the spectrum is scaled by ``2 / sum(window)``), floored at
  :data:`FLOOR_DB`, then mapped with a *fixed* affine map ``(dB − OFFSET_DB) / SCALE_DB``.
  Nothing depends on the rest of the file, so blocks of any size give identical frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

from core.analysis.mel import mel_filterbank as _mel_filterbank
from core.analysis.mel import mel_frequencies

FEATURE_SAMPLE_RATE = 44100
"""Sample rate (Hz) the features are computed at."""
HOP = 441
"""Hop between frames, in samples at :data:`FEATURE_SAMPLE_RATE`."""
N_FFT = 2048
"""STFT window length, in samples."""
FRAME_RATE = FEATURE_SAMPLE_RATE / HOP
"""Frames per second (100.0)."""
N_BANDS = 96
"""Number of mel bands."""
F_MIN = 20.0
"""Lowest mel band edge, Hz."""
F_MAX = 16000.0
"""Highest mel band edge, Hz."""
FLOOR_DB = -100.0
"""Lowest band level, dB re. full-scale sine; digital silence reads this."""
OFFSET_DB = -40.0
"""Level (dB) mapped to feature value 0."""
SCALE_DB = 20.0
"""dB per feature unit."""


@dataclass(frozen=True)
class FeatureParams:
    """The feature parameters, as stored in the model's metadata (checked on load)."""

    sample_rate: int = FEATURE_SAMPLE_RATE
    hop: int = HOP
    n_fft: int = N_FFT
    n_bands: int = N_BANDS
    f_min: float = F_MIN
    f_max: float = F_MAX
    floor_db: float = FLOOR_DB
    offset_db: float = OFFSET_DB
    scale_db: float = SCALE_DB


SILENCE_VALUE = (FLOOR_DB - OFFSET_DB) / SCALE_DB
"""Feature value of every band in digital silence (also the model's edge padding)."""


def _band_edges() -> np.ndarray:
    """``N_BANDS + 2`` frequencies (Hz), equally spaced in mel from F_MIN to F_MAX."""
    return mel_frequencies(N_BANDS + 2, F_MIN, F_MAX)


def mel_filterbank() -> np.ndarray:
    """Mel filterbank ``[N_BANDS, N_FFT // 2 + 1]`` (float32, unit-peak triangles)."""
    return _mel_filterbank(FEATURE_SAMPLE_RATE, N_FFT, N_BANDS, F_MIN, F_MAX)


def band_frequencies() -> np.ndarray:
    """Centre frequency (Hz) of each mel band, shape ``[N_BANDS]``."""
    return _band_edges()[1:-1]


def features_to_db(features: np.ndarray) -> np.ndarray:
    """Undo the feature map: band levels in dB re. full-scale sine (same shape)."""
    return np.asarray(features, dtype=np.float32) * SCALE_DB + OFFSET_DB


class FeatureStream:
    """Turn consecutive mono blocks into feature frames ``[frames, N_BANDS]``.

    Parameters
    ----------
    sample_rate : int
        Rate (Hz) of the blocks passed to :meth:`feed`; resampled to 44.1 kHz if different.

    Notes
    -----
    Samples not yet covered by a whole window are carried to the next block, so any split of
    the signal into blocks yields the same frames as one call (up to resampler rounding when
    ``sample_rate`` is not 44.1 kHz). :meth:`feed` returns only the frames completed by the
    block; :meth:`finish` returns the last ones. The frame count of a signal of ``n`` samples
    (at 44.1 kHz) is ``n // HOP + 1``.
    """

    def __init__(self, sample_rate: int = FEATURE_SAMPLE_RATE) -> None:
        self._resampler = None
        if int(sample_rate) != FEATURE_SAMPLE_RATE:
            import soxr

            self._resampler = soxr.ResampleStream(int(sample_rate), FEATURE_SAMPLE_RATE, 1,
                                                  dtype="float32", quality="HQ")
        self._pending = np.zeros(N_FFT // 2, dtype=np.float32)
        self._consumed = 0  # samples (44.1 kHz) fed, excluding padding
        self._frames = 0
        window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
        self._window = window * np.float32(2.0 / window.sum())
        mel = mel_filterbank()
        self._top_bin = int(np.flatnonzero(mel.any(axis=0)).max()) + 1
        self._mel_t = np.ascontiguousarray(mel[:, :self._top_bin].T)
        self._finished = False

    @property
    def frames_emitted(self) -> int:
        """Number of frames returned so far."""
        return self._frames

    def feed(self, mono: np.ndarray) -> np.ndarray:
        """Add the next mono block (1-D float); return the frames it completes."""
        mono = np.asarray(mono, dtype=np.float32).reshape(-1)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono)
        return self._consume(mono)

    def finish(self) -> np.ndarray:
        """Flush the resampler and the end padding; return the remaining frames."""
        if self._finished:
            return np.zeros((0, N_BANDS), np.float32)
        self._finished = True
        tail = np.zeros(0, np.float32)
        if self._resampler is not None:
            tail = self._resampler.resample_chunk(tail, last=True)
        out = [self._consume(tail)]
        total = self._consumed // HOP + 1  # frames a centred STFT of the signal has
        missing = total - self._frames
        if missing > 0:
            self._pending = np.concatenate(
                [self._pending, np.zeros(N_FFT // 2 + HOP, np.float32)])
            out.append(self._frames_from_pending(limit=missing))
        return np.concatenate(out, axis=0)

    def _consume(self, mono: np.ndarray) -> np.ndarray:
        self._consumed += len(mono)
        self._pending = np.concatenate([self._pending, mono])
        return self._frames_from_pending()

    def _frames_from_pending(self, limit: int | None = None) -> np.ndarray:
        data = self._pending
        n = 1 + (len(data) - N_FFT) // HOP if len(data) >= N_FFT else 0
        if limit is not None:
            n = min(n, limit)
        if n <= 0:
            return np.zeros((0, N_BANDS), np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(data, N_FFT)[::HOP][:n]
        feats = log_mel(windows, self._window, self._mel_t, self._top_bin)
        self._pending = data[n * HOP:]
        self._frames += n
        return feats


def log_mel(frames: np.ndarray, window: np.ndarray, mel_t: np.ndarray,
            top_bin: int) -> np.ndarray:
    """Feature frames from raw frames ``[n, N_FFT]`` (float32 ``[n, N_BANDS]``).

    ``window`` is the scaled analysis window, ``mel_t`` the transposed filterbank restricted to
    the first ``top_bin`` FFT bins.
    """
    out = np.empty((len(frames), N_BANDS), np.float32)
    step = 1024  # bound the temporaries to a few MB
    for start in range(0, len(frames), step):
        spec = scipy.fft.rfft(frames[start:start + step] * window, axis=1)[:, :top_bin]
        power = spec.real * spec.real + spec.imag * spec.imag
        bands = power.astype(np.float32) @ mel_t
        db = 10.0 * np.log10(np.maximum(bands, 10.0 ** (FLOOR_DB / 10.0)))
        out[start:start + step] = (db - OFFSET_DB) / SCALE_DB
    return out


def compute_features(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """Feature frames ``[frames, N_BANDS]`` of a whole mono signal (one-call convenience)."""
    stream = FeatureStream(sample_rate)
    first = stream.feed(mono)
    return np.concatenate([first, stream.finish()], axis=0)
