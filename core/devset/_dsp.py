"""Small signal helpers shared by the development-set synthesizers (numpy/scipy only)."""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

HEAD_DB = -40.0
"""Level (dB re peak) under which the head of a one-shot counts as silence: the onset is the
first sample above it (some sampled drums carry low-level noise before their attack)."""

TAIL_DB = -50.0
"""Level (dB re peak) under which the tail of a one-shot counts as silence."""


def db_to_gain(db: float) -> float:
    """Linear amplitude factor of ``db`` decibels."""
    return float(10.0 ** (db / 20.0))


def rms(x: np.ndarray) -> float:
    """Root-mean-square of all samples of ``x`` (any shape); 0 for an empty array."""
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def times(seconds: float, sample_rate: int) -> np.ndarray:
    """Time axis in seconds, ``round(seconds * sample_rate)`` samples (float64)."""
    return np.arange(max(1, round(seconds * sample_rate))) / sample_rate


def _section(kind: str, freq: float, sample_rate: int, q: float) -> list[float]:
    """One RBJ-cookbook low-/high-pass biquad (b0, b1, b2, 1, a1, a2)."""
    w0 = 2.0 * math.pi * freq / sample_rate
    cw, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    a0 = 1.0 + alpha
    if kind == "lowpass":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
    else:
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
    return [b[0] / a0, b[1] / a0, b[2] / a0, 1.0, -2 * cw / a0, (1 - alpha) / a0]


_BUTTER_Q = {2: (0.7071,), 4: (0.5412, 1.3066)}


def butter(kind: str, cutoff: float | tuple[float, float], sample_rate: int,
           order: int = 2) -> np.ndarray:
    """Butterworth low-pass, high-pass (order 2 or 4) or band-pass filter as SOS rows.

    ``cutoff`` in Hz (a ``(low, high)`` pair for ``"bandpass"``: a high-pass at ``low`` in
    series with a low-pass at ``high``) is clamped into 10 Hz … 0.45 × ``sample_rate``.
    Built from cookbook biquads, so it costs microseconds (unlike ``scipy.signal.butter``).
    """
    if kind not in ("lowpass", "highpass", "bandpass"):
        raise ValueError(f"unknown filter kind {kind!r}")
    top = 0.45 * sample_rate

    def clamp(f: float) -> float:
        return min(max(float(f), 10.0), top)

    if kind == "bandpass":
        lo, hi = cutoff  # type: ignore[misc]
        lo = clamp(lo)
        return np.vstack([butter("highpass", lo, sample_rate, order),
                          butter("lowpass", max(clamp(hi), min(top, lo * 1.05)), sample_rate,
                                 order)])
    f = clamp(cutoff)  # type: ignore[arg-type]
    return np.array([_section(kind, f, sample_rate, q) for q in _BUTTER_Q[order]])


def filt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Apply ``sos`` along the last axis (in float32 when ``x`` is float32)."""
    if x.dtype == np.float32:
        sos = sos.astype(np.float32)
    return signal.sosfilt(sos, x, axis=-1)


def biquad(kind: str, freq: float, sample_rate: int, gain_db: float = 0.0,
           q: float = 0.707) -> np.ndarray:
    """One RBJ-cookbook biquad (``"peak"``, ``"lowshelf"``, ``"highshelf"``) as one SOS row.

    ``freq`` in Hz, ``gain_db`` the boost/cut in dB, ``q`` the quality (shelf slope 1 at 0.707).
    """
    a = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * min(freq, sample_rate * 0.45) / sample_rate
    cw, alpha = math.cos(w0), math.sin(w0) / (2.0 * q)
    if kind == "peak":
        b = [1 + alpha * a, -2 * cw, 1 - alpha * a]
        den = [1 + alpha / a, -2 * cw, 1 - alpha / a]
    elif kind in ("lowshelf", "highshelf"):
        s = 1.0 if kind == "lowshelf" else -1.0
        root = 2.0 * math.sqrt(a) * alpha
        b = [a * ((a + 1) - s * (a - 1) * cw + root), s * 2 * a * ((a - 1) - s * (a + 1) * cw),
             a * ((a + 1) - s * (a - 1) * cw - root)]
        den = [(a + 1) + s * (a - 1) * cw + root, -s * 2 * ((a - 1) + s * (a + 1) * cw),
               (a + 1) + s * (a - 1) * cw - root]
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    return np.array([[*(v / den[0] for v in b), 1.0, den[1] / den[0], den[2] / den[0]]])


def noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """White noise, ``n`` samples, uniform in [-1, 1)."""
    return rng.uniform(-1.0, 1.0, n)


def phase_of(freq: np.ndarray | float, n: int, sample_rate: int, start: float = 0.0) -> np.ndarray:
    """Oscillator phase in cycles (unwrapped) for a constant or per-sample ``freq`` in Hz."""
    if np.ndim(freq) == 0:
        return start + np.arange(n) * (float(freq) / sample_rate)
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return start + np.concatenate(([0.0], np.cumsum(f[:-1]))) / sample_rate


def saw(phase: np.ndarray, freq: np.ndarray | float, sample_rate: int) -> np.ndarray:
    """Band-limited (polyBLEP) sawtooth in [-1, 1] from ``phase`` in cycles."""
    dt = np.broadcast_to(np.asarray(freq, dtype=np.float64) / sample_rate, phase.shape)
    p = phase - np.floor(phase)
    y = 2.0 * p - 1.0
    lo = p < dt
    t = p[lo] / dt[lo]
    y[lo] -= t + t - t * t - 1.0
    hi = p > 1.0 - dt
    t = (p[hi] - 1.0) / dt[hi]
    y[hi] -= t * t + t + t + 1.0
    return y


def square(phase: np.ndarray) -> np.ndarray:
    """Naive square wave (±1) from ``phase`` in cycles; used under high-pass filters."""
    return np.where((phase - np.floor(phase)) < 0.5, 1.0, -1.0)


def finish_one_shot(x: np.ndarray, sample_rate: int, max_seconds: float = 2.5) -> np.ndarray:
    """Trim silence, cap the length, fade the end and peak-normalise a one-shot.

    The head is trimmed up to the first sample above −40 dB re peak, so a hit placed at sample
    *n* has its onset at *n*; the tail is cut after the last sample above −50 dB and at
    ``max_seconds`` (then faded over 100 ms, else over 5 ms). Returns mono float32; an
    all-silent input comes back as one zero sample.
    """
    x = np.asarray(x, dtype=np.float64)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return np.zeros(1, np.float32)
    start = int(np.argmax(np.abs(x) > peak * db_to_gain(HEAD_DB)))
    end = int(np.flatnonzero(np.abs(x) > peak * db_to_gain(TAIL_DB))[-1]) + 1
    capped = end - start > max_seconds * sample_rate
    end = min(end, start + round(max_seconds * sample_rate))
    x = x[start:end] / peak
    fade = min(len(x) // 4, round((0.1 if capped else 0.005) * sample_rate))
    if fade > 1:
        x[-fade:] *= np.linspace(1.0, 0.0, fade)
    return x.astype(np.float32)


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power left/right gains for ``pan`` in −1 (left) … +1 (right)."""
    angle = (min(1.0, max(-1.0, pan)) + 1.0) * math.pi / 4.0
    return math.cos(angle), math.sin(angle)
