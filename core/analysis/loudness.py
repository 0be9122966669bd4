"""Programme loudness, loudness range, true peak, sample peak and RMS of a stream of audio.

What is measured, and after which standard
------------------------------------------
* **Integrated loudness** (LUFS) per ITU-R BS.1770-4 Annex 1: K-weighting, mean square per
  channel, channel weights, 400 ms gating blocks with 75 % overlap (100 ms hop), an absolute
  gate at −70 LUFS and a relative gate 10 LU below the absolute-gated loudness.
* **Momentary** (400 ms window) and **short-term** (3 s window) loudness per EBU Tech 3341, both
  evaluated every 100 ms; their maxima (LUFS) are reported.
* **Loudness range** (LU) per EBU Tech 3342: the short-term loudness series (3 s window, updated
  at 10 Hz), gated absolutely at −70 LUFS and relatively 20 LU below the absolute-gated power
  mean, spread between its 10th and 95th percentiles.
* **True peak** (dBTP) per BS.1770-4 Annex 2: the largest magnitude of the signal interpolated
  to at least 176.4 kHz (4× at 44.1/48 kHz, 2× at 88.2/96 kHz, 1× from 176.4 kHz on) by a
  polyphase windowed-sinc interpolator of :data:`TRUE_PEAK_TAPS_PER_PHASE` taps per phase.
  The stream is taken as preceded and followed by silence, as a converter would play it, so a
  file that starts or ends on a large sample (a step) reads the overshoot that step rings with.
* **Sample peak** (dBFS) and **RMS** (dBFS) of all channels together; a full-scale sine has an
  RMS of −3.01 dBFS (no "+3 dB" convention).

Digital silence has no finite level in decibels. Peaks and RMS of silence are reported at the
floor :data:`SILENCE_FLOOR_DB` (−200 dB) so that results stay JSON friendly; loudness values of
silence (or of audio too short for one window) are ``None``.

:class:`LoudnessMeter` accumulates block by block. Its memory grows with one float per 100 ms
of audio (the sub-block energies the gates need at the end), never with the number of samples,
so a two-hour mix can be fed from a file reader in blocks of any size.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.results import Loudness

__all__ = [
    "ABSOLUTE_GATE_LUFS",
    "LRA_RELATIVE_GATE_LU",
    "RELATIVE_GATE_LU",
    "SILENCE_FLOOR_DB",
    "TRUE_PEAK_TAPS_PER_PHASE",
    "LoudnessMeter",
    "channel_weights",
    "k_weighting_sos",
    "measure_loudness",
    "true_peak_oversampling",
]

SILENCE_FLOOR_DB = -200.0
"""Level (dB) reported for the sample peak, true peak and RMS of digital silence."""

ABSOLUTE_GATE_LUFS = -70.0
"""Absolute gate (LUFS) of BS.1770-4 and EBU Tech 3342."""

RELATIVE_GATE_LU = -10.0
"""Relative gate (LU) of the integrated loudness, BS.1770-4."""

LRA_RELATIVE_GATE_LU = -20.0
"""Relative gate (LU) of the loudness range, EBU Tech 3342."""

LRA_PERCENTILES = (10.0, 95.0)
"""Lower and upper percentiles (%) of the gated short-term distribution spanned by the LRA."""

TRUE_PEAK_TAPS_PER_PHASE = 64
"""Length (input samples) of each phase of the true-peak interpolator."""

TRUE_PEAK_MIN_RATE_HZ = 176_400
"""Oversampled rate (Hz) the true-peak interpolator reaches at least."""

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 8

SURROUND_WEIGHT = 1.41
"""BS.1770-4 weight of the surround channels (≈ +1.5 dB)."""

_LOUDNESS_OFFSET_DB = -0.691
"""BS.1770 constant (dB) that makes a 1 kHz sine's loudness equal its level on a full-scale sine."""

_SUB_BLOCKS_PER_SECOND = 10
"""Gating step: every block and window is a whole number of 100 ms sub-blocks."""

_MOMENTARY_SUB_BLOCKS = 4
"""400 ms momentary window / gating block."""

_SHORT_TERM_SUB_BLOCKS = 30
"""3 s short-term window."""

_KAISER_BETA = 8.6
"""Kaiser window shape of the true-peak interpolator (≈ 85 dB stop band)."""

_TP_FFT_SIZE = 1 << 16
"""FFT length (samples) of the true-peak convolution; also bounds its temporary memory."""

_CHUNK_SECONDS = 10
"""Audio (seconds) fed at a time by :func:`measure_loudness`, between progress reports …"""

_CHUNK_MAX_SAMPLES = 1 << 22
"""… but at most this many samples (all channels) at a time, e.g. at 768 kHz, 8 channels."""

_FEED_SLICE_FRAMES = 1 << 17
"""Frames processed at a time inside :meth:`LoudnessMeter.feed`, bounding its temporaries."""

# --- K-weighting: analog prototypes ------------------------------------------------------------
#
# BS.1770 publishes the K-weighting filter only as two biquads at 48 kHz. Inverting the bilinear
# transform (prewarped at each stage's natural frequency) of those published coefficients gives
# the analog prototypes below, with s normalised to 2π·f0. Discretising them again with the
# bilinear transform prewarped at f0 yields the filter at any sample rate, and reproduces the
# published 48 kHz coefficients to rounding.
#
# Stage 1, high shelf (head acoustics):   H(s) = (V_H s² + V_M s + 1) / (s² + s/Q + 1)
_SHELF_F0_HZ = 1681.974450955533
_SHELF_Q = 0.7071752369554196
_SHELF_HIGH_GAIN = 1.584864701130855  # V_H, +3.9998 dB above the shelf
_SHELF_MID_TERM = 1.779927894041787  # V_M, sets the gain around f0
# Stage 2, RLB high-pass:                 H(s) ∝ s² / (s² + s/Q + 1)
# BS.1770 publishes its numerator un-normalised as (1, −2, 1); that convention (≈ +0.04 dB in
# the pass band) is kept at every rate because the −0.691 dB constant was calibrated with it.
_RLB_F0_HZ = 38.13547087602444
_RLB_Q = 0.5003270373238773


def _bilinear_biquad(numerator: tuple[float, float, float], q: float, f0_hz: float,
                     sample_rate: int) -> np.ndarray:
    """Discretise ``(n2 s² + n1 s + n0) / (s² + s/q + 1)`` (s normalised to 2π·f0).

    Parameters
    ----------
    numerator
        ``(n2, n1, n0)``, the analog numerator coefficients of s², s and 1.
    q
        Quality factor of the analog poles.
    f0_hz
        Natural frequency (Hz) of the poles; the transform is prewarped there, so the digital
        response equals the analog one at f0. Where f0 lies above a quarter of the sample rate
        (below ≈ 6.7 kHz for the shelf) the transform is prewarped at ``sample_rate / 4``
        instead, which keeps the filter stable at any rate.
    sample_rate
        Sample rate (Hz) of the digital filter.

    Returns
    -------
    numpy.ndarray
        One second-order section ``[b0, b1, b2, 1, a1, a2]``.
    """
    n2, n1, n0 = numerator
    warp_hz = min(f0_hz, sample_rate / 4.0)
    # s / (2π f0) = (1 − z⁻¹) / (k (1 + z⁻¹)); k = tan(π f0 / fs) when prewarped at f0.
    k = f0_hz / warp_hz * math.tan(math.pi * warp_hz / sample_rate)
    kk = k * k
    norm = 1.0 + k / q + kk
    b = (n2 + n1 * k + n0 * kk, 2.0 * (n0 * kk - n2), n2 - n1 * k + n0 * kk)
    a = (norm, 2.0 * (kk - 1.0), 1.0 - k / q + kk)
    return np.array([b[0] / norm, b[1] / norm, b[2] / norm, 1.0, a[1] / norm, a[2] / norm])


def _check_sample_rate(sample_rate: object) -> int:
    """Return ``sample_rate`` as an int (Hz) or raise :class:`InvalidParameter` naming it."""
    if isinstance(sample_rate, bool):
        raise InvalidParameter(f"sample_rate must be an integer in Hz, got {sample_rate!r}")
    try:
        rate = operator.index(sample_rate)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidParameter(
            f"sample_rate must be an integer in Hz, got {sample_rate!r}"
        ) from None
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidParameter(
            f"sample_rate must be between {MIN_SAMPLE_RATE} and {MAX_SAMPLE_RATE} Hz, got {rate}"
        )
    return rate


def _check_channels(channels: object) -> int:
    """Return ``channels`` as an int or raise :class:`InvalidParameter` naming it."""
    if isinstance(channels, bool):
        raise InvalidParameter(f"channels must be an integer, got {channels!r}")
    try:
        count = operator.index(channels)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidParameter(f"channels must be an integer, got {channels!r}") from None
    if not 1 <= count <= MAX_CHANNELS:
        raise InvalidParameter(f"channels must be between 1 and {MAX_CHANNELS}, got {count}")
    return count


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """K-weighting pre-filter of BS.1770-4 at ``sample_rate``, as second-order sections.

    Parameters
    ----------
    sample_rate
        Sample rate (Hz), 1000 to 768000.

    Returns
    -------
    numpy.ndarray
        Shape ``(2, 6)``: the high shelf (+4 dB above ≈ 1.7 kHz) then the RLB high-pass
        (≈ 38 Hz), each row ``[b0, b1, b2, 1, a1, a2]`` as :func:`scipy.signal.sosfilt` takes.

    Raises
    ------
    InvalidParameter
        If ``sample_rate`` is out of range.
    """
    rate = _check_sample_rate(sample_rate)
    shelf = _bilinear_biquad((_SHELF_HIGH_GAIN, _SHELF_MID_TERM, 1.0),
                             _SHELF_Q, _SHELF_F0_HZ, rate)
    rlb = _bilinear_biquad((1.0, 0.0, 0.0), _RLB_Q, _RLB_F0_HZ, rate)
    rlb[:3] = (1.0, -2.0, 1.0)  # the published un-normalised numerator (see _RLB_F0_HZ)
    return np.vstack([shelf, rlb])


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770-4 channel weights for the usual layout of ``channels`` channels.

    Layouts (WAV / SMPTE order): 1 mono, 2 L R, 3 L R C, 4 L R Ls Rs, 5 L R C Ls Rs,
    6 L R C LFE Ls Rs, 7 L R C LFE Ls Rs Cs, 8 L R C LFE Ls Rs Lrs Rrs. Front channels weigh
    1.0, surround channels 1.41 (+1.5 dB); the LFE channel is excluded (0.0).

    Parameters
    ----------
    channels
        Number of channels, 1 to 8.

    Returns
    -------
    numpy.ndarray
        ``float64`` weights, one per channel.
    """
    count = _check_channels(channels)
    s = SURROUND_WEIGHT
    layouts: dict[int, tuple[float, ...]] = {
        1: (1.0,),
        2: (1.0, 1.0),
        3: (1.0, 1.0, 1.0),
        4: (1.0, 1.0, s, s),
        5: (1.0, 1.0, 1.0, s, s),
        6: (1.0, 1.0, 1.0, 0.0, s, s),
        7: (1.0, 1.0, 1.0, 0.0, s, s, s),
        8: (1.0, 1.0, 1.0, 0.0, s, s, s, s),
    }
    return np.array(layouts[count], dtype=np.float64)


def true_peak_oversampling(sample_rate: int) -> int:
    """Oversampling factor of the true-peak meter: the smallest reaching 176.4 kHz.

    Parameters
    ----------
    sample_rate
        Sample rate (Hz).

    Returns
    -------
    int
        4 at 44.1 and 48 kHz, 2 at 88.2 and 96 kHz, 1 from 176.4 kHz on.
    """
    rate = _check_sample_rate(sample_rate)
    return max(1, -(-TRUE_PEAK_MIN_RATE_HZ // rate))


@lru_cache(maxsize=16)
def _interpolator_phases(factor: int) -> np.ndarray:
    """Kaiser-windowed sinc interpolator, one row per fractional phase 1/factor … (factor−1)/factor.

    Row ``p − 1`` holds the ``T`` = :data:`TRUE_PEAK_TAPS_PER_PHASE` weights that, applied to
    input samples ``x[m − T/2 + 1 … m + T/2]``, give the band-limited value at time
    ``m + p/factor`` (in samples). Phase 0 is the input itself and is not stored. The cut-off is
    the input Nyquist frequency, so the prototype is a Nyquist filter: it passes the original
    samples unchanged and the true peak can never read below the sample peak. Each phase is
    normalised to unity gain at 0 Hz.
    """
    taps = TRUE_PEAK_TAPS_PER_PHASE
    half = taps / 2.0
    j = np.arange(taps, dtype=np.float64)
    rows = []
    for p in range(1, factor):
        u = p / factor + half - 1.0 - j  # distance (samples) from each input sample
        window = np.i0(_KAISER_BETA * np.sqrt(np.clip(1.0 - (u / half) ** 2, 0.0, None)))
        row = np.sinc(u) * window
        rows.append(row / row.sum())
    return np.array(rows, dtype=np.float64).reshape(factor - 1, taps)


@lru_cache(maxsize=32)
def _interpolator_spectra(factor: int, nfft: int) -> np.ndarray:
    """Spectra of the time-reversed interpolator phases, zero-padded to ``nfft`` samples."""
    reversed_phases = _interpolator_phases(factor)[:, ::-1]
    spectra = sp_fft.rfft(reversed_phases, n=nfft, axis=-1)
    spectra.flags.writeable = False
    return spectra


def _level_db(amplitude: float) -> float:
    """Level (dB re full scale) of a linear amplitude, floored at :data:`SILENCE_FLOOR_DB`."""
    if amplitude <= 0.0:
        return SILENCE_FLOOR_DB
    return max(SILENCE_FLOOR_DB, 20.0 * math.log10(amplitude))


def _loudness(power: float) -> float | None:
    """Loudness (LUFS) of a weighted mean-square ``power``; ``None`` for zero power."""
    if not power > 0.0:
        return None
    return _LOUDNESS_OFFSET_DB + 10.0 * math.log10(power)


def _power_threshold(loudness_lufs: float) -> float:
    """Weighted mean-square power whose loudness is ``loudness_lufs``."""
    return 10.0 ** ((loudness_lufs - _LOUDNESS_OFFSET_DB) / 10.0)


class LoudnessMeter:
    """Streaming BS.1770-4 / EBU R 128 meter: feed blocks, then read :meth:`result`.

    Parameters
    ----------
    sample_rate
        Sample rate (Hz), 1000 to 768000.
    channels
        Number of channels, 1 to 8, in WAV / SMPTE order (see :func:`channel_weights`).
    weights
        Optional per-channel loudness weights overriding the layout defaults (e.g. ``0.0`` to
        exclude a channel). Peaks and RMS always include every channel.

    Raises
    ------
    InvalidParameter
        If a parameter is out of range; the message names it.

    Notes
    -----
    Blocks may have any number of frames; filter states, the partial 100 ms sub-block and the
    tail of the true-peak interpolator carry over between calls, so the result does not depend
    on how the stream was cut. :meth:`result` may be called at any time (e.g. for a live
    display) and does not disturb the stream.
    """

    def __init__(self, sample_rate: int, channels: int, *,
                 weights: Sequence[float] | None = None) -> None:
        self._rate = _check_sample_rate(sample_rate)
        self._channels = _check_channels(channels)
        if weights is None:
            self._weights = channel_weights(self._channels)
        else:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (self._channels,) or not np.all(np.isfinite(w)) or np.any(w < 0):
                raise InvalidParameter(
                    f"weights must be {self._channels} finite non-negative numbers, got {weights!r}"
                )
            self._weights = w
        self._sos = k_weighting_sos(self._rate)
        self._zi = np.zeros((self._sos.shape[0], self._channels, 2))
        # Sub-block k covers frames [k·rate // 10, (k + 1)·rate // 10).
        self._frames = 0
        self._sub_index = 0
        self._partial = np.zeros(self._channels)  # per-channel energy of the open sub-block
        self._sub_energy = np.empty(256)  # weighted energies (sums) of closed sub-blocks
        self._sub_count = 0
        # Levels.
        self._peak = 0.0
        self._sum_squares = 0.0
        # True peak: interpolator history and samples waiting for a full FFT block.
        self._tp_factor = true_peak_oversampling(self._rate)
        self._tp_hist_len = TRUE_PEAK_TAPS_PER_PHASE - 1
        self._tp_block = _TP_FFT_SIZE - self._tp_hist_len
        self._tp_buffer = np.zeros((self._channels, _TP_FFT_SIZE))
        self._tp_fill = 0  # new samples held after the history in _tp_buffer
        self._tp_peak = 0.0

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz)."""
        return self._rate

    @property
    def channels(self) -> int:
        """Number of channels."""
        return self._channels

    @property
    def frames(self) -> int:
        """Frames fed so far."""
        return self._frames

    @property
    def duration(self) -> float:
        """Duration (seconds) fed so far."""
        return self._frames / self._rate

    def feed(self, samples: np.ndarray) -> None:
        """Add a block of audio.

        Parameters
        ----------
        samples
            ``float32`` or ``float64`` array ``[channels, frames]`` (1-D accepted for a mono
            meter), nominal full scale ±1.0. Any number of frames, zero included.

        Raises
        ------
        InvalidParameter
            If the dtype or shape is wrong or the block holds NaN or infinity; the meter's state
            is then unchanged.
        """
        x = self._check_block(samples)
        frames = x.shape[1]
        if frames == 0:
            return
        peak = max(float(x.max()), -float(x.min()))  # NaN propagates; no temporary array
        if not math.isfinite(peak):
            raise InvalidParameter("samples must be finite (found NaN or infinity)")
        self._peak = max(self._peak, peak)
        for start in range(0, frames, _FEED_SLICE_FRAMES):  # bounds the float64 temporaries
            part = np.ascontiguousarray(x[:, start : start + _FEED_SLICE_FRAMES],
                                        dtype=np.float64)
            flat = part.reshape(-1)
            self._sum_squares += float(np.dot(flat, flat))
            self._feed_true_peak(part)
            self._feed_loudness(part)

    def _check_block(self, samples: np.ndarray) -> np.ndarray:
        """Validate a block's type and shape; return it as ``[channels, frames]``."""
        if not isinstance(samples, np.ndarray):
            raise InvalidParameter(
                f"samples must be a numpy array, got {type(samples).__name__}"
            )
        if samples.dtype not in (np.float32, np.float64):
            raise InvalidParameter(f"samples must be float32 or float64, got {samples.dtype}")
        if samples.ndim == 1 and self._channels == 1:
            samples = samples[np.newaxis, :]
        if samples.ndim != 2 or samples.shape[0] != self._channels:
            raise InvalidParameter(
                f"samples must have shape [channels={self._channels}, frames], "
                f"got {samples.shape}"
            )
        return samples

    # --- loudness ---------------------------------------------------------------------------

    def _feed_loudness(self, x: np.ndarray) -> None:
        """K-weight ``x`` and add its energy to the 100 ms sub-blocks."""
        y, self._zi = signal.sosfilt(self._sos, x, axis=-1, zi=self._zi)
        np.square(y, out=y)
        frames = y.shape[1]
        start = self._frames
        end = start + frames
        rate = self._rate
        steps = _SUB_BLOCKS_PER_SECOND
        # Last sub-block boundary b(k) = k·rate // steps that is ≤ end.
        last = (steps * (end + 1) - 1) // rate
        first = self._sub_index + 1
        self._frames = end
        if last < first:
            self._partial += y.sum(axis=1)
            return
        ks = np.arange(first, last + 1, dtype=np.int64)
        cuts = ks * rate // steps - start  # in (0, frames]
        inner = cuts[cuts < frames]
        sums = np.add.reduceat(y, np.concatenate(([0], inner)), axis=1)
        sums[:, 0] += self._partial
        if cuts[-1] == frames:
            closed = sums
            self._partial = np.zeros(self._channels)
        else:
            closed = sums[:, :-1]
            self._partial = sums[:, -1].copy()
        self._append_sub_blocks(self._weights @ closed)
        self._sub_index = int(last)

    def _append_sub_blocks(self, energies: np.ndarray) -> None:
        """Append weighted sub-block energies, growing the store geometrically."""
        needed = self._sub_count + energies.size
        if needed > self._sub_energy.size:
            grown = np.empty(max(needed, 2 * self._sub_energy.size))
            grown[: self._sub_count] = self._sub_energy[: self._sub_count]
            self._sub_energy = grown
        self._sub_energy[self._sub_count : needed] = energies
        self._sub_count = needed

    def _window_powers(self, sub_blocks: int) -> np.ndarray:
        """Weighted mean-square power of every complete window of ``sub_blocks`` sub-blocks."""
        count = self._sub_count - sub_blocks + 1
        if count <= 0:
            return np.empty(0)
        energy = self._sub_energy[: self._sub_count]
        sums = np.convolve(energy, np.ones(sub_blocks), mode="valid")
        k = np.arange(count, dtype=np.int64)
        steps = _SUB_BLOCKS_PER_SECOND
        lengths = (k + sub_blocks) * self._rate // steps - k * self._rate // steps
        return np.maximum(sums, 0.0) / lengths

    def _integrated(self, powers: np.ndarray) -> float | None:
        """Gated integrated loudness (LUFS) of the 400 ms block powers, BS.1770-4."""
        gated = powers[powers > _power_threshold(ABSOLUTE_GATE_LUFS)]
        if gated.size == 0:
            return None
        relative = float(np.mean(gated)) * 10.0 ** (RELATIVE_GATE_LU / 10.0)
        gated = gated[gated > relative]
        if gated.size == 0:
            return None
        return _loudness(float(np.mean(gated)))

    @staticmethod
    def _loudness_range(powers: np.ndarray) -> float | None:
        """Loudness range (LU) of the short-term powers, EBU Tech 3342."""
        gated = powers[powers > _power_threshold(ABSOLUTE_GATE_LUFS)]
        if gated.size == 0:
            return None
        relative = float(np.mean(gated)) * 10.0 ** (LRA_RELATIVE_GATE_LU / 10.0)
        gated = gated[gated > relative]
        if gated.size == 0:
            return None
        levels = 10.0 * np.log10(gated)  # the −0.691 dB offset cancels in the difference
        low, high = np.percentile(levels, LRA_PERCENTILES)
        return float(high - low)

    # --- true peak --------------------------------------------------------------------------

    def _feed_true_peak(self, x: np.ndarray) -> None:
        """Queue ``x`` for the interpolator, running it on every full FFT block."""
        if self._tp_factor == 1:
            return  # at ≥ 176.4 kHz the samples themselves are the true-peak grid
        hist = self._tp_hist_len
        pos = 0
        frames = x.shape[1]
        while pos < frames:
            take = min(frames - pos, self._tp_block - self._tp_fill)
            at = hist + self._tp_fill
            self._tp_buffer[:, at : at + take] = x[:, pos : pos + take]
            self._tp_fill += take
            pos += take
            if self._tp_fill == self._tp_block:
                self._tp_peak = max(self._tp_peak,
                                    _interpolated_peak(self._tp_buffer, self._tp_factor))
                self._tp_buffer[:, :hist] = self._tp_buffer[:, -hist:]
                self._tp_fill = 0

    def _pending_true_peak(self) -> float:
        """Interpolated peak of the queued samples and of the ringing after the last sample."""
        if self._tp_factor == 1:
            return 0.0
        hist = self._tp_hist_len
        used = hist + self._tp_fill
        tail = np.zeros((self._channels, used + hist))  # zeros after the stream's end
        tail[:, :used] = self._tp_buffer[:, :used]
        return _interpolated_peak(tail, self._tp_factor)

    # --- result -----------------------------------------------------------------------------

    def result(self) -> Loudness:
        """Measurements of everything fed so far.

        Returns
        -------
        core.results.Loudness
            ``integrated_lufs`` (LUFS; ``None`` for silence or under 400 ms),
            ``loudness_range_lu`` (LU; ``None`` under 3 s or for silence), ``true_peak_dbtp``
            (dBTP), ``sample_peak_dbfs`` (dBFS), ``rms_dbfs`` (dBFS, all channels together),
            ``max_momentary_lufs`` and ``max_short_term_lufs`` (LUFS; ``None`` when no
            400 ms / 3 s window is complete or all of them are silent). Peaks and RMS of
            digital silence read :data:`SILENCE_FLOOR_DB`.
        """
        momentary = self._window_powers(_MOMENTARY_SUB_BLOCKS)
        short_term = self._window_powers(_SHORT_TERM_SUB_BLOCKS)
        true_peak = max(self._peak, self._tp_peak, self._pending_true_peak())
        total = self._frames * self._channels
        rms = math.sqrt(self._sum_squares / total) if total else 0.0
        return Loudness(
            integrated_lufs=self._integrated(momentary),
            loudness_range_lu=self._loudness_range(short_term),
            true_peak_dbtp=_level_db(true_peak),
            sample_peak_dbfs=_level_db(self._peak),
            rms_dbfs=_level_db(rms),
            max_momentary_lufs=_loudness(float(momentary.max())) if momentary.size else None,
            max_short_term_lufs=_loudness(float(short_term.max())) if short_term.size else None,
        )


def _interpolated_peak(buffer: np.ndarray, factor: int) -> float:
    """Largest magnitude of the interpolated (non-integer) phases over ``buffer``.

    ``buffer`` is ``[channels, length]``; its first ``T − 1`` samples are history. Every window
    of ``T`` consecutive samples yields ``factor − 1`` interpolated values. The convolution runs
    by FFT over pieces of at most :data:`_TP_FFT_SIZE` samples overlapping by ``T − 1``; the
    circular convolution is exact on these "valid" outputs because each FFT is at least as long
    as its piece.
    """
    taps = TRUE_PEAK_TAPS_PER_PHASE
    channels, length = buffer.shape
    peak = 0.0
    start = 0
    while length - start >= taps:
        piece = buffer[:, start : start + _TP_FFT_SIZE]
        size = piece.shape[1]
        nfft = min(_TP_FFT_SIZE, 1 << max(8, (size - 1).bit_length()))
        spectra = _interpolator_spectra(factor, nfft)
        x_spec = sp_fft.rfft(piece, n=nfft, axis=-1)
        group = max(1, (1 << 21) // (channels * nfft))  # bounds the temporary to ≈ 16 MiB
        for first in range(0, spectra.shape[0], group):
            phases = spectra[first : first + group]
            y = sp_fft.irfft(x_spec[:, np.newaxis, :] * phases[np.newaxis], n=nfft, axis=-1)
            valid = y[..., taps - 1 : size]
            peak = max(peak, float(valid.max()), -float(valid.min()))
        start += size - (taps - 1)
    return peak


def measure_loudness(samples: np.ndarray, sample_rate: int, *,
                     progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None) -> Loudness:
    """Measure a whole buffer with a :class:`LoudnessMeter`, in ≈ 10 s chunks.

    Parameters
    ----------
    samples
        ``float32`` or ``float64`` array ``[channels, frames]`` with 1 to 8 channels, or 1-D
        for mono; nominal full scale ±1.0.
    sample_rate
        Sample rate (Hz), 1000 to 768000.
    progress
        Called with (fraction in [0, 1], ``"loudness"``) after each chunk.
    cancel
        Checked before each chunk.

    Returns
    -------
    core.results.Loudness
        See :meth:`LoudnessMeter.result`.

    Raises
    ------
    InvalidParameter
        If ``sample_rate``, the number of channels or the samples are invalid.
    core.errors.Cancelled
        If ``cancel`` is set.
    """
    rate = _check_sample_rate(sample_rate)
    if not isinstance(samples, np.ndarray):
        raise InvalidParameter(f"samples must be a numpy array, got {type(samples).__name__}")
    if samples.ndim == 1:
        samples = samples[np.newaxis, :]
    if samples.ndim != 2:
        raise InvalidParameter(f"samples must be [channels, frames] or 1-D, got {samples.shape}")
    if not 1 <= samples.shape[0] <= MAX_CHANNELS:
        raise InvalidParameter(
            f"channels must be between 1 and {MAX_CHANNELS} (samples are [channels, frames]), "
            f"got shape {samples.shape}"
        )
    meter = LoudnessMeter(rate, samples.shape[0])
    frames = samples.shape[1]
    chunk = max(1, min(_CHUNK_SECONDS * rate, _CHUNK_MAX_SAMPLES // samples.shape[0]))
    report(progress, 0.0, "loudness")
    for start in range(0, frames, chunk):
        check_cancel(cancel)
        meter.feed(samples[:, start : start + chunk])
        report(progress, min(frames, start + chunk) / frames, "loudness")
    check_cancel(cancel)
    result = meter.result()
    report(progress, 1.0, "loudness")
    return result
