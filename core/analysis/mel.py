"""Mel scales and triangular mel filterbanks, in numpy.

Built here rather than taken from librosa because ``librosa.filters`` pulls in numba, whose
first import holds the interpreter lock for a few hundred milliseconds — long enough to freeze
the window when an analysis worker triggers it. The filters equal ``librosa.filters.mel`` for
the same parameters (tested).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

_SLANEY_BREAK_HZ = 1000.0
_SLANEY_BREAK_MEL = 15.0  # 1000 Hz / (200/3 Hz per mel)
_SLANEY_LOG_STEP = np.log(6.4) / 27.0  # natural-log Hz per mel above the break


def hz_to_mel(hz: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Frequencies (Hz) to mel: Slaney's scale (linear below 1 kHz, 3 mel per 200 Hz, then
    logarithmic) by default, or the HTK formula ``2595·log10(1 + f/700)``."""
    hz = np.asarray(hz, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    log_part = _SLANEY_BREAK_MEL + np.log(np.maximum(hz, 1e-9) / _SLANEY_BREAK_HZ) \
        / _SLANEY_LOG_STEP
    return np.where(hz >= _SLANEY_BREAK_HZ, log_part, 3.0 * hz / 200.0)


def mel_to_hz(mel: np.ndarray | float, *, htk: bool = False) -> np.ndarray:
    """Inverse of :func:`hz_to_mel` (Hz)."""
    mel = np.asarray(mel, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    return np.where(mel >= _SLANEY_BREAK_MEL,
                    _SLANEY_BREAK_HZ * np.exp(_SLANEY_LOG_STEP * (mel - _SLANEY_BREAK_MEL)),
                    200.0 * mel / 3.0)


def mel_frequencies(count: int, f_min: float, f_max: float, *, htk: bool = False) -> np.ndarray:
    """``count`` frequencies (Hz) from ``f_min`` to ``f_max`` inclusive, evenly spaced in mel."""
    return mel_to_hz(np.linspace(hz_to_mel(f_min, htk=htk), hz_to_mel(f_max, htk=htk), count),
                     htk=htk)


def mel_filterbank(sample_rate: float, n_fft: int, n_mels: int, f_min: float, f_max: float,
                   *, norm: Literal["slaney"] | None = None) -> np.ndarray:
    """Triangular filters ``[n_mels, n_fft // 2 + 1]`` (float32) on Slaney's mel scale.

    Filter *k* rises from mel edge *k* to *k + 1* and falls to *k + 2* (edges evenly spaced in
    mel from ``f_min`` to ``f_max`` Hz). ``norm=None`` gives unit-peak triangles; ``"slaney"``
    scales each to unit area (``2 / (upper − lower)`` Hz⁻¹), as librosa's default.
    """
    edges = mel_frequencies(n_mels + 2, f_min, f_max)
    fft_hz = np.arange(n_fft // 2 + 1) * float(sample_rate) / n_fft
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_hz[None, :] - lower) / (centre - lower)
    falling = (upper - fft_hz[None, :]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    if norm == "slaney":
        weights *= 2.0 / (upper - lower)
    return weights.astype(np.float32)
