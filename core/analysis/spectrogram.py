"""A display spectrogram of a whole file: streaming STFT, log or mel bands, dB re full scale.

The file is streamed once (mono mix, native rate) through a Hann-windowed STFT of
:data:`WINDOW` samples. The hop is chosen from the file's length so that the image never has
more than ``max_columns`` columns: short files get a hop of ``ceil(frames / max_columns)``
samples (at least :data:`MIN_HOP`); longer ones keep a hop of half a window and average the
power of several consecutive frames into one column, so a 60-minute mix costs the same memory
as a 5-minute one and no sample is skipped.

Power is normalised so that a full-scale sine reads 0 dB, averaged into ``bins`` bands whose
centres are spaced logarithmically or on the mel scale between ``f_min`` and ``f_max`` (each
band is a triangle spanning its neighbours' centres, at least one FFT bin wide, so narrow bass
bands interpolate between FFT bins instead of coming out empty), and converted to dB with a
floor.

Times are seconds, frequencies Hz, levels dB re full scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import scipy.fft

from core.analysis.mel import mel_frequencies
from core.audio.io import blocks, probe
from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report

WINDOW = 2048
"""STFT window length in samples (Hann)."""
MIN_HOP = 128
"""Smallest hop in samples (short files)."""
POOL_HOP = WINDOW // 2
"""Hop in samples once several frames are averaged into one column."""
FLOOR_DB = -100.0
"""Level given to silence, dB re full scale."""
TOP_DB = 80.0
"""Default display range below the loudest value, dB."""

_BATCH_FRAMES = 512
_STREAM_BLOCK_S = 10.0

Scale = Literal["log", "mel"]


@dataclass(frozen=True, eq=False)
class SpectrogramImage:
    """A spectrogram ready to draw.

    Attributes
    ----------
    db
        float32 ``[bins, columns]``: band power in dB re full scale, row 0 the lowest band,
        never below ``floor_db``.
    times_s
        Centre time of each column in seconds (``columns`` values).
    freqs_hz
        Centre frequency of each band in Hz (``bins`` values, increasing).
    floor_db
        The floor in dB (silence reads exactly this).
    top_db
        Display range in dB below the loudest value (see :meth:`display_levels`).
    scale
        ``"log"`` or ``"mel"`` band spacing.
    column_s
        Duration of one column (the effective hop) in seconds.
    duration
        Length of the analysed file in seconds.
    sample_rate
        Sample rate of the analysed audio in Hz.
    """

    db: np.ndarray
    times_s: np.ndarray
    freqs_hz: np.ndarray
    floor_db: float
    top_db: float
    scale: str
    column_s: float
    duration: float
    sample_rate: int

    @property
    def bins(self) -> int:
        """Number of frequency bands (rows)."""
        return int(self.db.shape[0])

    @property
    def columns(self) -> int:
        """Number of time columns."""
        return int(self.db.shape[1])

    def display_levels(self) -> tuple[float, float]:
        """``(low, high)`` dB for a colour map: ``top_db`` below the loudest value (rounded up
        to a whole dB), and never above the floor plus ``top_db`` at the bottom for silence."""
        loudest = float(self.db.max()) if self.db.size else self.floor_db
        high = math.ceil(max(loudest, self.floor_db + self.top_db))
        return high - self.top_db, float(high)


def band_centres(scale: Scale, bins: int, f_min: float, f_max: float) -> np.ndarray:
    """``bins`` centre frequencies in Hz from ``f_min`` to ``f_max`` (inclusive), spaced
    logarithmically (``"log"``) or evenly in mel (``"mel"``)."""
    if scale == "log":
        return np.geomspace(f_min, f_max, bins)
    return mel_frequencies(bins, f_min, f_max, htk=True)


def band_weights(centres_hz: np.ndarray, sample_rate: int, window: int = WINDOW) -> np.ndarray:
    """float32 ``[bands, window // 2 + 1]`` weights averaging FFT-bin power into bands.

    Band *k* is a triangle peaking at its centre and reaching zero at the neighbouring
    centres, widened to at least one FFT bin each side; every row sums to 1.
    """
    bin_hz = sample_rate / window
    freqs = np.arange(window // 2 + 1) * bin_hz
    centres = np.asarray(centres_hz, dtype=np.float64)
    if centres.size > 1:
        gaps = np.diff(centres)
        below = np.concatenate([[gaps[0]], gaps])
        above = np.concatenate([gaps, [gaps[-1]]])
    else:
        below = above = np.array([bin_hz])
    below, above = np.maximum(below, bin_hz), np.maximum(above, bin_hz)
    offset = freqs[None, :] - centres[:, None]
    rising = 1.0 - (-offset) / below[:, None]
    falling = 1.0 - offset / above[:, None]
    weights = np.clip(np.where(offset < 0, rising, falling), 0.0, None)
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    return weights.astype(np.float32)


def plan_hop(frames: int, max_columns: int) -> tuple[int, int]:
    """``(hop, pool)``: STFT hop in samples and frames averaged per column so that a file of
    ``frames`` samples yields at most ``max_columns`` columns."""
    if max_columns < 1:
        raise InvalidParameter(f"max_columns must be >= 1, got {max_columns}")
    per_column = math.ceil(max(frames, 1) / max_columns)
    if per_column <= POOL_HOP:
        hop = max(MIN_HOP, per_column)
        pool = 1
    else:
        hop = POOL_HOP
        pool = math.ceil(per_column / POOL_HOP)
    # Centred frames: 1 + frames // hop of them; make sure that fits as well.
    while math.ceil((1 + frames // hop) / pool) > max_columns:
        pool += 1
    return hop, pool


class _StreamingStft:
    """Centred Hann STFT over pushed samples, averaging the power of ``pool`` frames per column
    and mapping it to bands."""

    def __init__(self, hop: int, pool: int, weights: np.ndarray) -> None:
        self.hop, self.pool = hop, pool
        self.window = np.hanning(WINDOW + 1)[:WINDOW].astype(np.float32)  # periodic Hann
        # A full-scale sine centred on a bin reads |X| = sum(w) / 2: that is 0 dB.
        self.norm = float((self.window.sum() / 2.0) ** 2)
        self.weights_t = np.ascontiguousarray(weights.T)
        self.pending = np.zeros(WINDOW // 2, np.float32)  # centred: half a window of lead-in
        self.acc = np.zeros(WINDOW // 2 + 1, np.float64)
        self.acc_frames = 0
        self.columns: list[np.ndarray] = []

    def push(self, samples: np.ndarray) -> None:
        data = np.concatenate([self.pending, samples.astype(np.float32, copy=False)])
        count = 0 if data.size < WINDOW else (data.size - WINDOW) // self.hop + 1
        if count:
            frames = np.lib.stride_tricks.sliding_window_view(data, WINDOW)[::self.hop][:count]
            for first in range(0, count, _BATCH_FRAMES):
                self._power(frames[first:first + _BATCH_FRAMES])
        self.pending = data[count * self.hop:].copy()

    def finish(self) -> np.ndarray:
        """Band power ``[bins, columns]`` (linear, re full scale)."""
        self.push(np.zeros(WINDOW // 2, np.float32))  # centred: half a window of lead-out
        if self.acc_frames:
            self._emit()
        if not self.columns:
            return np.zeros((self.weights_t.shape[1], 0), np.float32)
        return np.ascontiguousarray(np.concatenate(self.columns, axis=0).T)

    def _power(self, frames: np.ndarray) -> None:
        spectrum = scipy.fft.rfft(frames * self.window, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2) / self.norm
        index = 0
        while index < power.shape[0]:
            take = min(self.pool - self.acc_frames, power.shape[0] - index)
            self.acc += power[index:index + take].sum(axis=0, dtype=np.float64)
            self.acc_frames += take
            index += take
            if self.acc_frames == self.pool:
                self._emit()

    def _emit(self) -> None:
        mean = (self.acc / self.acc_frames).astype(np.float32)
        self.columns.append((mean @ self.weights_t)[None, :])
        self.acc[:] = 0.0
        self.acc_frames = 0


def spectrogram_image(path: str | Path, *, scale: Scale = "log", bins: int = 256,
                      f_min: float = 30.0, f_max: float = 16000.0, max_columns: int = 6000,
                      floor_db: float = FLOOR_DB, top_db: float = TOP_DB,
                      cancel: CancelToken | None = None,
                      progress: ProgressCallback | None = None) -> SpectrogramImage:
    """Stream ``path`` once and compute its display spectrogram.

    Parameters
    ----------
    path
        Any audio file :func:`core.audio.blocks` reads (mixed to mono, native rate).
    scale
        Band spacing: ``"log"`` (constant ratio) or ``"mel"``.
    bins
        Number of bands (rows), 2–4096.
    f_min, f_max
        Centre frequencies of the lowest and highest band in Hz; ``f_max`` is lowered to the
        Nyquist frequency when the file's rate is lower.
    max_columns
        Upper bound on the number of time columns.
    floor_db
        Lowest level in dB re full scale (silence).
    top_db
        Display range in dB below the loudest value, recorded in the result.
    cancel
        Checked between blocks; cancellation raises :class:`core.errors.Cancelled`.
    progress
        Called with the fraction done and the stage ``"spectrogram"``.

    Raises
    ------
    InvalidParameter
        A parameter out of range.
    Cancelled, AudioLoadError
        As :func:`core.audio.blocks`.
    """
    if scale not in ("log", "mel"):
        raise InvalidParameter(f"scale must be 'log' or 'mel', got {scale!r}")
    if not 2 <= int(bins) <= 4096:
        raise InvalidParameter(f"bins must be within 2–4096, got {bins}")
    if not 0 < f_min < f_max:
        raise InvalidParameter(f"need 0 < f_min < f_max, got {f_min} Hz, {f_max} Hz")
    if not (math.isfinite(floor_db) and top_db > 0):
        raise InvalidParameter(f"need a finite floor and top_db > 0, got {floor_db}, {top_db}")
    info = probe(path)
    rate = info.sample_rate
    expected = info.frames or max(1, round(info.duration * rate))
    f_max = min(float(f_max), rate / 2.0)
    if f_min >= f_max:
        raise InvalidParameter(f"f_min {f_min} Hz is above the Nyquist frequency {f_max} Hz")
    hop, pool = plan_hop(expected, max_columns)
    freqs = band_centres(scale, int(bins), float(f_min), f_max)
    stft = _StreamingStft(hop, pool, band_weights(freqs, rate))
    frames = 0
    report(progress, 0.0, "spectrogram")
    for block in blocks(path, seconds=_STREAM_BLOCK_S, mono=True, cancel=cancel):
        stft.push(block.samples[0])
        frames += block.frames
        report(progress, 0.98 * frames / expected, "spectrogram")
    check_cancel(cancel)
    power = stft.finish()
    if power.shape[1] > max_columns:  # a header that under-reported the length
        power = power[:, :max_columns]
    floor = 10.0 ** (floor_db / 10.0)
    db = np.maximum(10.0 * np.log10(np.maximum(power, floor)), floor_db).astype(np.float32)
    column = hop * pool
    times = (np.arange(db.shape[1]) * column + (pool - 1) * hop / 2.0) / rate
    report(progress, 1.0, "spectrogram")
    return SpectrogramImage(db=db, times_s=times, freqs_hz=freqs, floor_db=float(floor_db),
                            top_db=float(top_db), scale=scale, column_s=column / rate,
                            duration=frames / rate, sample_rate=rate)
