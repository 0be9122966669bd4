"""Deterministic music-like test audio for benchmarks, generated block by block.

Chords on a pad, a bass line, a kick on every beat and noise hats on the off-beats, at a known
tempo; any frame range can be generated independently, so an hour of audio is written without
ever being held in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 44100
"""Sample rate of the generated audio (Hz)."""
BLOCK_SECONDS = 10.0
CHORDS = np.array([[220.0, 277.18, 329.63], [196.0, 246.94, 293.66],
                   [174.61, 220.0, 261.63], [164.81, 207.65, 246.94]])


def music(start: int, frames: int, *, bpm: float = 174.0, seed: int = 2024) -> np.ndarray:
    """Stereo ``[frames, 2]`` float32 audio from frame ``start``; beats at ``k·60/bpm`` s."""
    t = (start + np.arange(frames)) / RATE
    beat = 60.0 / bpm
    chord = CHORDS[(t // (8 * beat)).astype(np.int64) % len(CHORDS)]
    pad = np.sin(2 * np.pi * chord * t[:, None]).sum(axis=1) * 0.08
    bass = np.sin(2 * np.pi * chord[:, 0] / 4 * t) * 0.2
    since_beat = t % beat
    kick = np.sin(2 * np.pi * 50 * since_beat * (1 + np.exp(-since_beat * 30))) * np.exp(
        -since_beat * 14) * 0.5
    rng = np.random.default_rng(seed + start)
    since_off = (t + beat / 2) % beat
    hats = rng.standard_normal(frames) * np.exp(-since_off / 0.012) * 0.12
    left, right = pad + bass + kick + hats, pad * 0.8 + bass + kick + hats * 0.6
    return np.stack([left, right], axis=1).astype(np.float32)


def write_music(path: Path, minutes: float, fmt: str = "WAV", subtype: str = "PCM_16", *,
                bpm: float = 174.0) -> Path:
    """Write ``minutes`` of :func:`music` to ``path`` in blocks of :data:`BLOCK_SECONDS`."""
    total = round(minutes * 60 * RATE)
    step = round(BLOCK_SECONDS * RATE)
    with sf.SoundFile(str(path), "w", RATE, 2, subtype=subtype, format=fmt) as handle:
        for start in range(0, total, step):
            handle.write(music(start, min(step, total - start), bpm=bpm))
    return path
