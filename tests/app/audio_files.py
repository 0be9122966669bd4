"""Audio files generated for the app tests (written with soundfile into temporary folders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 44100


def write_click_track(path: Path, *, bpm: float = 120.0, seconds: float = 6.0,
                      sample_rate: int = SAMPLE_RATE) -> Path:
    """A stereo click track: a short decaying 1 kHz + noise burst on every beat."""
    frames = int(seconds * sample_rate)
    mono = np.zeros(frames, dtype=np.float32)
    click_len = int(0.03 * sample_rate)
    t = np.arange(click_len) / sample_rate
    rng = np.random.default_rng(7)
    click = (np.sin(2 * np.pi * 1000 * t) + 0.3 * rng.standard_normal(click_len))
    click = (click * np.exp(-t * 150)).astype(np.float32)
    for beat in np.arange(0.0, seconds, 60.0 / bpm):
        start = round(beat * sample_rate)
        end = min(frames, start + click_len)
        mono[start:end] += click[: end - start]
    mono *= 0.5 / float(np.abs(mono).max())
    sf.write(str(path), np.stack([mono, mono], axis=1), sample_rate, subtype="PCM_16")
    return path


def write_long_noise(path: Path, *, minutes: float = 10.0,
                     sample_rate: int = SAMPLE_RATE) -> Path:
    """Mono white noise written block by block (bounded memory), ``minutes`` long."""
    rng = np.random.default_rng(11)
    remaining = int(minutes * 60 * sample_rate)
    with sf.SoundFile(str(path), "w", samplerate=sample_rate, channels=1,
                      subtype="PCM_16") as handle:
        while remaining > 0:
            n = min(remaining, 10 * sample_rate)
            handle.write((0.1 * rng.standard_normal(n)).astype(np.float32))
            remaining -= n
    return path


def write_corrupt_wav(path: Path) -> Path:
    """A text file renamed to ``.wav``."""
    path.write_text("These are liner notes, not audio.\n" * 40, encoding="utf-8")
    return path
