"""Synthetic test signals with known answers (tempo, onset times, levels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def kick(sample_rate: int, seconds: float = 0.25, freq: float = 55.0) -> np.ndarray:
    """A decaying sine 'kick' starting at sample 0 (peak amplitude 1)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    sweep = freq * (1 + 2 * np.exp(-t * 40))  # short pitch drop like a drum-machine kick
    phase = 2 * np.pi * np.cumsum(sweep) / sample_rate
    return (np.sin(phase) * np.exp(-t * 12)).astype(np.float32)


def click_track(bpm: float, seconds: float, sample_rate: int = 44100, *,
                channels: int = 2, level: float = 0.5, offset: float = 0.0) -> np.ndarray:
    """Kicks on every beat (accent every 4th) plus noise hats between; [channels, frames].

    The beat times are ``offset + k * 60 / bpm``.
    """
    n = int(seconds * sample_rate)
    mono = np.zeros(n, dtype=np.float32)
    rng = np.random.default_rng(1234)
    k = kick(sample_rate)
    hat_len = int(0.04 * sample_rate)
    hat = rng.standard_normal(hat_len).astype(np.float32) * np.exp(
        -np.arange(hat_len) / sample_rate * 90).astype(np.float32)
    beat = 60.0 / bpm
    for i, t in enumerate(np.arange(offset, seconds, beat)):
        start = round(t * sample_rate)
        seg = k[: n - start] * (1.0 if i % 4 == 0 else 0.8)
        mono[start:start + len(seg)] += seg
        h = round((t + beat / 2) * sample_rate)
        if h < n:
            mono[h:h + hat_len] += 0.25 * hat[: n - h]
    mono *= level / max(1e-9, float(np.abs(mono).max()))
    return np.repeat(mono[None, :], channels, axis=0)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = 44100,
              subtype: str = "PCM_16") -> Path:
    """Write [channels, frames] samples to ``path`` and return it."""
    sf.write(str(path), np.asarray(samples).T, sample_rate, subtype=subtype)
    return path
