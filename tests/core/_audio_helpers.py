"""Signals, file writers and measurements shared by the ``core.audio`` tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")


def sine(freq: float, seconds: float, sample_rate: int = 44100, *, channels: int = 1,
         amplitude: float = 0.5) -> np.ndarray:
    """A sine ``[channels, frames]`` float32; channel *k* is scaled by ``1 / (k + 1)``."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    wave = amplitude * np.sin(2 * np.pi * freq * t)
    return np.stack([wave / (k + 1) for k in range(channels)]).astype(np.float32)


def write(path: Path, samples: np.ndarray, sample_rate: int = 44100, *,
          format: str | None = None, subtype: str | None = None,
          tags: dict[str, str] | None = None) -> Path:
    """Write ``[channels, frames]`` samples with soundfile (optionally with tags)."""
    data = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).T)
    with sf.SoundFile(str(path), "w", sample_rate, data.shape[1], subtype=subtype,
                      format=format) as handle:
        for key, value in (tags or {}).items():
            setattr(handle, key, value)
        handle.write(data)
    return path


def ffmpeg_encode(source: Path, target: Path, *args: str) -> Path:
    """Encode ``source`` to ``target`` with ffmpeg (extra output ``args``); skip if absent."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(source), *args, str(target)]
    done = subprocess.run(cmd, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this ffmpeg cannot encode {target.suffix}: {done.stderr.decode()[-200:]}")
    return target


def dominant_frequency(signal: np.ndarray, sample_rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak, refined by parabolic interpolation."""
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    n = 8 * len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    k = int(np.argmax(spectrum[1:-1])) + 1
    a, b, c = np.log(spectrum[k - 1: k + 2] + 1e-30)
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + shift) * sample_rate / n


def rms_db(signal: np.ndarray) -> float:
    """RMS level of ``signal`` in dBFS."""
    x = np.asarray(signal, dtype=np.float64)
    return float(20 * np.log10(np.sqrt(np.mean(x * x))))
