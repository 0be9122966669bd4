"""Onset strength and onset times, computed block by block so any file length fits in memory.

The onset strength is the half-wave-rectified frame-to-frame increase of a log-compressed mel
spectrogram (spectral flux), summed over bands. It is computed on mono audio at
:data:`ONSET_SAMPLE_RATE` with hop :data:`ONSET_HOP` (≈ 86 frames per second).

:class:`OnsetFeatureBuilder` computes, in the same single pass and at the same frame rate, the
full-band flux plus three band fluxes that separate the drum roles: LOW (< 150 Hz, kick), MID
(150 Hz – 2 kHz, snare body) and HIGH (> 2 kHz, hats). The band fluxes follow SuperFlux: the
reference frame lies two (low band) or one frame back and is maximum-filtered across frequency,
so sustained sub-bass, pads and gliding bass add little while drum attacks stand out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter

from core.analysis.mel import mel_filterbank, mel_frequencies

ONSET_SAMPLE_RATE = 22050
"""Sample rate (Hz) the onset envelope is computed at."""
ONSET_HOP = 256
"""Hop between onset-envelope frames, in samples at :data:`ONSET_SAMPLE_RATE`."""
ONSET_N_FFT = 2048
_N_MELS = 96
LOW_BAND_HZ = 150.0
"""Upper edge (Hz) of the LOW (kick) band."""
HIGH_BAND_HZ = 2000.0
"""Lower edge (Hz) of the HIGH (hats) band; MID lies between the two."""
BANDS = ("full", "low", "mid", "high")
"""Names of the onset features, in :class:`OnsetFeatures` field order."""
_LOW_MIN_HZ = 30.0
_LOW_LAG = 2      # frames back for the low band (sub-bass sustains are slow to build)
_BAND_LAG = 1     # frames back for mid and high
_GAIN = 1000.0    # log compression log1p(gain * power) of the full-band flux
_RANGE_DB = {"low": 25.0, "mid": 35.0, "high": 35.0}  # dB kept below each band's running peak
_ABS_FLOOR_DB = -20.0  # band level (dB of mean STFT power) treated as silence at any peak
_CHANGE_HALF = 24      # frames (≈ 0.28 s) each side of the spectral-change measure
_CHANGE_MAX_HZ = 4000.0
_FULL_SCALE_POWER = 0.5 * (np.hanning(ONSET_N_FFT) ** 2).sum() * ONSET_N_FFT  # 0 dB RMS
_DECAY_DB = 3.0 * ONSET_HOP / ONSET_SAMPLE_RATE  # running-peak decay per frame (3 dB/s)


@dataclass(frozen=True)
class OnsetEnvelope:
    """Onset strength per frame. ``frame_rate`` in frames per second; frame *i* is centred at
    ``i / frame_rate`` seconds."""

    strength: np.ndarray
    frame_rate: float

    def times(self) -> np.ndarray:
        """Frame times in seconds."""
        return np.arange(len(self.strength)) / self.frame_rate


@dataclass(frozen=True, eq=False)
class OnsetFeatures:
    """Multi-band onset strength, one value per frame for each band (float32 arrays of equal
    length). ``frame_rate`` in frames per second; frame *i* is centred at ``i / frame_rate`` s.

    ``full`` is the full-band mel flux of :class:`OnsetEnvelope`; ``low``, ``mid``, ``high`` are
    the SuperFlux band fluxes (< 150 Hz, 150 Hz – 2 kHz, > 2 kHz). ``peak_dbfs`` is the level of
    the loudest frame (dB RMS re. full scale: a full-scale sine reads −3, digital silence −120).
    ``change`` (0–1 per frame, optional) is the spectral change below 4 kHz between the
    quarter second before and after each frame: chord and bass changes, which mark bar lines.
    """

    frame_rate: float
    full: np.ndarray
    low: np.ndarray
    mid: np.ndarray
    high: np.ndarray
    peak_dbfs: float = 0.0
    change: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.full)

    @property
    def duration(self) -> float:
        """Length covered by the frames, in seconds."""
        return len(self.full) / self.frame_rate

    def band(self, name: str) -> np.ndarray:
        """The feature called ``name`` (one of :data:`BANDS`)."""
        if name not in BANDS:
            raise ValueError(f"unknown onset band {name!r}; known: {', '.join(BANDS)}")
        return getattr(self, name)

    def envelope(self) -> OnsetEnvelope:
        """The full-band flux as an :class:`OnsetEnvelope`."""
        return OnsetEnvelope(self.full, self.frame_rate)

    def crop(self, start: float, end: float) -> OnsetFeatures:
        """Frames from ``start`` to ``end`` seconds (views, no copy)."""
        a = max(0, round(start * self.frame_rate))
        b = max(a, min(len(self), round(end * self.frame_rate)))
        change = self.change[a:b] if self.change is not None else None
        return OnsetFeatures(self.frame_rate, self.full[a:b], self.low[a:b], self.mid[a:b],
                             self.high[a:b], self.peak_dbfs, change)


class _Framer:
    """Cut consecutive mono blocks into centred, windowed STFT power frames (hop
    :data:`ONSET_HOP`), carrying the unconsumed tail of each block into the next."""

    def __init__(self) -> None:
        self._pending = np.zeros(ONSET_N_FFT // 2, dtype=np.float32)  # centre the first frame
        self._window = np.hanning(ONSET_N_FFT).astype(np.float32)

    def power(self, mono: np.ndarray) -> np.ndarray | None:
        """Power spectra [frames, ONSET_N_FFT // 2 + 1] of the frames now complete, or None."""
        data = np.concatenate([self._pending, np.asarray(mono, dtype=np.float32).ravel()])
        n_frames = 1 + (len(data) - ONSET_N_FFT) // ONSET_HOP if len(data) >= ONSET_N_FFT else 0
        if n_frames <= 0:
            self._pending = data
            return None
        frames = np.lib.stride_tricks.sliding_window_view(data, ONSET_N_FFT)[::ONSET_HOP][:n_frames]
        self._pending = data[n_frames * ONSET_HOP:]
        return np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2

    @staticmethod
    def tail() -> np.ndarray:
        """Zeros that flush the last frames (centred padding at the end)."""
        return np.zeros(ONSET_N_FFT // 2, dtype=np.float32)


def _mel_filters() -> np.ndarray:
    return mel_filterbank(ONSET_SAMPLE_RATE, ONSET_N_FFT, _N_MELS, 27.5, 11000.0, norm="slaney")


class OnsetEnvelopeBuilder:
    """Accumulate an onset envelope from consecutive mono blocks at :data:`ONSET_SAMPLE_RATE`.

    Blocks may have any length; frames straddling block boundaries are computed exactly once
    because the unconsumed tail of each block is carried into the next.
    """

    def __init__(self) -> None:
        self._framer = _Framer()
        self._prev: np.ndarray | None = None
        self._chunks: list[np.ndarray] = []
        self._mel = _mel_filters()

    def feed(self, mono: np.ndarray) -> None:
        """Add the next block of mono samples (1-D float, :data:`ONSET_SAMPLE_RATE`)."""
        power = self._framer.power(mono)
        if power is None:
            return
        logmel = np.log1p(_GAIN * (power @ self._mel.T))  # [frames, mels]
        flux, self._prev = _flux(logmel, self._prev, lag=1)
        self._chunks.append(flux)

    def finish(self) -> OnsetEnvelope:
        """Flush the tail (zero-padded) and return the whole envelope."""
        self.feed(self._framer.tail())
        strength = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return OnsetEnvelope(strength, ONSET_SAMPLE_RATE / ONSET_HOP)


def _flux(spec: np.ndarray, history: np.ndarray | None, *, lag: int,
          widen: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean positive difference of ``spec`` [frames, bins] against the frame ``lag`` back,
    maximum-filtered over ``widen`` bins. ``history`` holds the previous ``lag`` frames (None at
    the start: the first frame is repeated). Returns (flux float32 [frames], new history)."""
    if history is None:
        history = np.repeat(spec[:1], lag, axis=0)
    full = np.vstack([history, spec])
    ref = full[:-lag] if widen <= 1 else maximum_filter1d(full[:-lag], widen, axis=1)
    flux = np.maximum(full[lag:] - ref, 0.0).mean(axis=1)
    return flux.astype(np.float32), full[-lag:].copy()


class _RelativeLog:
    """Log compression relative to a running peak: ``log1p(power / floor)`` with the floor
    ``range_db`` below the band's peak level (decaying 3 dB/s). Weak energy of other drums
    in a band (a snare's rumble in the kick band) then adds little flux, at any track level."""

    def __init__(self, range_db: float) -> None:
        self._peak_db = -np.inf
        self._range_db = range_db

    def __call__(self, power: np.ndarray) -> np.ndarray:
        level = 10.0 * np.log10(power.mean(axis=1) + 1e-12)
        t = np.arange(len(level))
        peak = np.maximum.accumulate(level + _DECAY_DB * t) - _DECAY_DB * t
        peak = np.maximum(peak, self._peak_db - _DECAY_DB * (t + 1))
        self._peak_db = float(peak[-1])
        floor = 10.0 ** (np.maximum(peak - self._range_db, _ABS_FLOOR_DB) / 10.0)
        return np.log1p(power / floor[:, None])


class _SpectralChange:
    """Streaming spectral change: for each frame, the normalised L1 distance between the mean
    spectrum of the ``half`` frames before it and of the ``half`` frames from it on. Frames are
    emitted once their future half is complete (or at the end)."""

    def __init__(self, half: int) -> None:
        self._half = half
        self._buf: np.ndarray | None = None
        self._start = 0   # frame index of _buf[0]
        self._next = 0    # next frame to emit
        self.chunks: list[np.ndarray] = []

    def feed(self, spec: np.ndarray, *, final: bool = False) -> None:
        """Add spectra [frames, bins]; ``final`` emits everything left."""
        buf = spec if self._buf is None else np.vstack([self._buf, spec])
        n, h = len(buf), self._half
        last = self._start + n if final else self._start + n - h
        if last > self._next and n:
            cs = np.vstack([np.zeros((1, buf.shape[1])), np.cumsum(buf, axis=0)])
            i = np.arange(self._next, last) - self._start
            lo, hi = np.maximum(i - h, 0), np.minimum(i + h, n)
            past = (cs[i] - cs[lo]) / np.maximum(i - lo, 1)[:, None]
            future = (cs[hi] - cs[i]) / np.maximum(hi - i, 1)[:, None]
            past = np.where((i - lo)[:, None] > 0, past, future)
            future = np.where((hi - i)[:, None] > 0, future, past)
            dist = np.abs(future - past).sum(axis=1) / (
                np.abs(future).sum(axis=1) + np.abs(past).sum(axis=1) + 1e-9)
            self.chunks.append(dist.astype(np.float32))
            self._next = last
        keep = max(0, self._next - h - self._start)
        self._buf = buf[keep:]
        self._start += keep


class OnsetFeatureBuilder:
    """Accumulate :class:`OnsetFeatures` from consecutive mono blocks at
    :data:`ONSET_SAMPLE_RATE` (any block length; memory grows only with the number of frames,
    16 bytes per frame ≈ 5 MB for an hour)."""

    def __init__(self) -> None:
        self._framer = _Framer()
        mel = _mel_filters()
        centres = mel_frequencies(_N_MELS + 2, 27.5, 11000.0)[1:-1]
        freqs = np.fft.rfftfreq(ONSET_N_FFT, 1.0 / ONSET_SAMPLE_RATE)
        self._mel = mel
        self._low_bins = np.flatnonzero((freqs >= _LOW_MIN_HZ) & (freqs < LOW_BAND_HZ))
        self._mid = np.flatnonzero((centres >= LOW_BAND_HZ) & (centres < HIGH_BAND_HZ))
        self._high = np.flatnonzero(centres >= HIGH_BAND_HZ)
        self._history: dict[str, np.ndarray | None] = dict.fromkeys(BANDS)
        self._compress = {name: _RelativeLog(_RANGE_DB[name]) for name in BANDS[1:]}
        self._peak_power = 0.0
        self._change_bins = np.flatnonzero(centres < _CHANGE_MAX_HZ)
        self._change = _SpectralChange(_CHANGE_HALF)
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in BANDS}

    def feed(self, mono: np.ndarray) -> None:
        """Add the next block of mono samples (1-D float, :data:`ONSET_SAMPLE_RATE`)."""
        power = self._framer.power(mono)
        if power is None:
            return
        melpower = power @ self._mel.T
        self._peak_power = max(self._peak_power, float(power.sum(axis=1).max()))
        self._change.feed(np.log1p(_GAIN * melpower[:, self._change_bins]))
        comp = self._compress
        parts = {"full": (np.log1p(_GAIN * melpower), 1, 1),
                 "low": (comp["low"](power[:, self._low_bins]), _LOW_LAG, 3),
                 "mid": (comp["mid"](melpower[:, self._mid]), _BAND_LAG, 3),
                 "high": (comp["high"](melpower[:, self._high]), _BAND_LAG, 3)}
        for name, (spec, lag, widen) in parts.items():
            flux, self._history[name] = _flux(spec, self._history[name], lag=lag, widen=widen)
            self._chunks[name].append(flux)

    def finish(self) -> OnsetFeatures:
        """Flush the tail (zero-padded) and return all features."""
        self.feed(self._framer.tail())
        self._change.feed(np.zeros((0, len(self._change_bins))), final=True)
        arrays = {name: (np.concatenate(chunks) if chunks else np.zeros(0, np.float32))
                  for name, chunks in self._chunks.items()}
        change = self._change.chunks
        arrays["change"] = np.concatenate(change) if change else np.zeros(0, np.float32)
        peak = 10.0 * np.log10(self._peak_power / _FULL_SCALE_POWER + 1e-12)
        return OnsetFeatures(ONSET_SAMPLE_RATE / ONSET_HOP, **arrays, peak_dbfs=float(peak))


def _to_onset_rate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 at :data:`ONSET_SAMPLE_RATE` from [frames] or [channels, frames] samples."""
    samples = np.asarray(samples, dtype=np.float32)
    mono = samples.mean(axis=0) if samples.ndim == 2 else samples.ravel()
    if sample_rate != ONSET_SAMPLE_RATE and len(mono):
        import soxr

        mono = soxr.resample(mono, sample_rate, ONSET_SAMPLE_RATE, quality="HQ")
    return np.asarray(mono, dtype=np.float32)


def onset_envelope(mono: np.ndarray, sample_rate: int) -> OnsetEnvelope:
    """Onset envelope of a whole mono signal (resampled to :data:`ONSET_SAMPLE_RATE` if needed)."""
    builder = OnsetEnvelopeBuilder()
    builder.feed(_to_onset_rate(mono, sample_rate))
    return builder.finish()


def onset_features(samples: np.ndarray, sample_rate: int, *,
                   block_seconds: float = 10.0) -> OnsetFeatures:
    """:class:`OnsetFeatures` of a whole signal held in memory.

    ``samples`` is mono [frames] or multichannel [channels, frames] (downmixed to mono) at
    ``sample_rate`` Hz; it is fed block by block exactly like the streaming pipeline.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, got {sample_rate}")
    mono = _to_onset_rate(samples, sample_rate)
    builder = OnsetFeatureBuilder()
    step = max(ONSET_HOP, round(block_seconds * ONSET_SAMPLE_RATE))
    for start in range(0, len(mono), step):
        builder.feed(mono[start:start + step])
    return builder.finish()


def pick_peaks(strength: np.ndarray, frame_rate: float, *, threshold: float = 0.15,
               min_gap: float = 0.03, median_seconds: float = 0.5) -> np.ndarray:
    """Peak frames (int array) of an onset-strength curve above an adaptive threshold.

    The threshold is a moving median over ``median_seconds`` plus ``threshold`` × the curve's
    99th percentile; a peak must be the local maximum; peaks closer than ``min_gap`` seconds
    keep the stronger one.
    """
    s = np.asarray(strength, dtype=float)
    if len(s) < 3 or float(s.max(initial=0.0)) <= 0.0:
        return np.zeros(0, dtype=int)
    width = max(3, round(median_seconds * frame_rate) | 1)
    limit = median_filter(s, size=width, mode="nearest") + threshold * float(np.percentile(s, 99))
    is_peak = (s[1:-1] > s[:-2]) & (s[1:-1] >= s[2:]) & (s[1:-1] > limit[1:-1])
    kept: list[int] = []
    gap = min_gap * frame_rate
    for p in np.flatnonzero(is_peak) + 1:
        if kept and p - kept[-1] < gap:
            if s[p] > s[kept[-1]]:
                kept[-1] = int(p)
            continue
        kept.append(int(p))
    return np.asarray(kept, dtype=int)


def pick_onsets(envelope: OnsetEnvelope, *, threshold: float = 0.15,
                min_gap: float = 0.03) -> np.ndarray:
    """Onset times (s): local maxima of the envelope above an adaptive threshold.

    The threshold is a moving median (≈ 0.5 s) plus ``threshold`` × the envelope's 99th
    percentile; peaks closer than ``min_gap`` seconds keep the stronger one.
    """
    frames = pick_peaks(envelope.strength, envelope.frame_rate, threshold=threshold,
                        min_gap=min_gap)
    return frames / envelope.frame_rate


def band_onsets(features: OnsetFeatures, band: str, *, threshold: float = 0.15,
                min_gap: float = 0.03) -> np.ndarray:
    """Onset times (s) picked from one band of ``features`` (see :func:`pick_peaks`)."""
    frames = pick_peaks(features.band(band), features.frame_rate, threshold=threshold,
                        min_gap=min_gap)
    return frames / features.frame_rate
