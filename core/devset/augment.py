"""Audio augmentations for generated clips: EQ, bus compression, saturation, reverb, gain.

All work on ``[channels, frames]`` float arrays at ``sample_rate`` Hz, are causal (no
look-ahead, so onsets never move earlier) and vectorised with numpy/scipy. The ``random_*``
helpers draw their settings from the generator passed in.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from core.devset._dsp import biquad, butter, db_to_gain, filt


def gain(x: np.ndarray, db: float) -> np.ndarray:
    """``x`` scaled by ``db`` decibels."""
    return x * db_to_gain(db)


def equalize(x: np.ndarray, sample_rate: int,
             bands: list[tuple[str, float, float, float]]) -> np.ndarray:
    """Apply biquads ``(kind, freq_hz, gain_db, q)`` in series (kinds: peak, lowshelf,
    highshelf)."""
    if not bands:
        return x
    sos = np.vstack([biquad(kind, f, sample_rate, g, q) for kind, f, g, q in bands])
    return filt(sos, x)


def random_eq_bands(rng: np.random.Generator,
                    max_db: float = 5.0) -> list[tuple[str, float, float, float]]:
    """A random low shelf, high shelf and peak (``equalize`` bands), each within ±``max_db``."""
    return [("lowshelf", rng.uniform(60, 250), rng.uniform(-max_db, max_db), 0.707),
            ("highshelf", rng.uniform(3000, 10000), rng.uniform(-max_db, max_db), 0.707),
            ("peak", float(np.exp(rng.uniform(np.log(200), np.log(5000)))),
             rng.uniform(-max_db, max_db), rng.uniform(0.7, 2.0))]


def random_eq(x: np.ndarray, sample_rate: int, rng: np.random.Generator,
              max_db: float = 5.0) -> np.ndarray:
    """``x`` through :func:`random_eq_bands`."""
    return equalize(x, sample_rate, random_eq_bands(rng, max_db))


def _one_pole(x: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    a = float(np.exp(-1.0 / max(1.0, seconds * sample_rate)))
    dtype = x.dtype if x.dtype == np.float32 else np.float64
    return signal.lfilter(np.array([1.0 - a], dtype), np.array([1.0, -a], dtype), x)


def compress(x: np.ndarray, sample_rate: int, *, threshold_db: float = -18.0,
             ratio: float = 3.0, attack_ms: float = 5.0, release_ms: float = 80.0,
             makeup_db: float = 0.0) -> np.ndarray:
    """Bus compressor: an envelope follower (release-time one-pole on the channel peak) drives
    a gain reduction above ``threshold_db`` (dBFS) at ``ratio``, smoothed over ``attack_ms``."""
    level = (np.max(np.abs(x), axis=0) if x.ndim > 1 else np.abs(x)).astype(np.float32)
    env = np.maximum(_one_pole(level, release_ms / 1000.0, sample_rate), np.float32(1e-9))
    over = np.maximum(np.float32(0.0), np.float32(20.0) * np.log10(env)
                      - np.float32(threshold_db))
    reduction = _one_pole(over * np.float32(1.0 - 1.0 / ratio), attack_ms / 1000.0, sample_rate)
    return x * np.power(np.float32(10.0), (np.float32(makeup_db) - reduction) / np.float32(20.0))


def saturate(x: np.ndarray, drive_db: float) -> np.ndarray:
    """``tanh`` saturation with ``drive_db`` of drive and unity gain for small signals."""
    g = db_to_gain(drive_db)
    return np.tanh(g * x) / g


def reverb(x: np.ndarray, sample_rate: int, rng: np.random.Generator, *,
           rt60: float = 0.5, wet_db: float = -14.0, predelay_ms: float = 8.0,
           damping_hz: float = 6000.0) -> np.ndarray:
    """Short room: ``x`` plus its convolution (FFT) with decaying, low-passed stereo noise.

    The impulse response starts ``predelay_ms`` after the direct sound, decays by 60 dB in
    ``rt60`` seconds (the response is cut at 1 s) and has unit energy; ``wet_db`` sets its level.
    """
    channels = x.shape[0] if x.ndim > 1 else 1
    n = round(min(rt60, 1.0) * sample_rate)
    t = np.arange(n) / sample_rate
    ir = rng.normal(0.0, 1.0, (channels, n)) * np.exp(-6.91 * t / rt60)
    ir = filt(butter("lowpass", damping_hz, sample_rate), ir)
    ir /= np.sqrt(np.sum(ir ** 2, axis=-1, keepdims=True)) + 1e-12
    pre = round(predelay_ms / 1000.0 * sample_rate)
    ir = np.concatenate([np.zeros((channels, pre)), ir], axis=-1)
    src = np.atleast_2d(x)
    wet = signal.fftconvolve(src.astype(np.float32), ir.astype(np.float32),
                             axes=-1)[:, : src.shape[-1]]
    out = src + db_to_gain(wet_db) * wet
    return out if x.ndim > 1 else out[0]


def drum_bus(x: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Random drum-bus chain: EQ, compression, saturation and (mostly) a short reverb."""
    x = random_eq(x, sample_rate, rng)
    peak = float(np.max(np.abs(x))) or 1.0
    x = compress(x / peak, sample_rate, threshold_db=rng.uniform(-24, -10),
                 ratio=rng.uniform(2.0, 6.0), attack_ms=rng.uniform(1, 20),
                 release_ms=rng.uniform(40, 250))
    x = saturate(x, rng.uniform(0.0, 9.0))
    if rng.random() < 0.7:
        x = reverb(x, sample_rate, rng, rt60=rng.uniform(0.2, 1.0),
                   wet_db=rng.uniform(-22, -10), predelay_ms=rng.uniform(2, 20))
    return x


def music_bus(x: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Random bus chain for the accompaniment: EQ and mild saturation."""
    x = random_eq(x, sample_rate, rng)
    peak = float(np.max(np.abs(x))) or 1.0
    return saturate(x / peak, rng.uniform(0.0, 6.0))
