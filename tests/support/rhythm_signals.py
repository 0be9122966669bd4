"""Synthetic drum patterns with known tempo, beats and downbeats for the rhythm tests.

Each style is a one-bar pattern on a step grid (steps per beat × beats per bar) played by
simple synthesised drums (sine-sweep kick, noise+tone snare, noise hats, long noise crash);
``full=True`` adds a sub-bass, a detuned pad and a vocal-like tone so the rhythm must be found
under sustained sound. Everything is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

RATE = 22050


@dataclass(frozen=True)
class Pattern:
    """One bar: ``steps`` per beat, ``beats`` per bar, and step indices of each drum."""

    beats: int
    steps: int
    kick: tuple[int, ...]
    snare: tuple[int, ...]
    hat: tuple[int, ...]


STYLES: dict[str, tuple[float, Pattern]] = {
    # name: (labelled BPM, pattern); 16ths unless noted.
    "dnb": (174.0, Pattern(4, 4, (0, 10), (4, 12), tuple(range(0, 16, 2)))),
    "dubstep": (140.0, Pattern(4, 4, (0, 3), (8,), tuple(range(0, 16, 2)))),
    "techno": (128.0, Pattern(4, 4, (0, 4, 8, 12), (4, 12), (2, 6, 10, 14))),
    "hiphop": (90.0, Pattern(4, 4, (0, 7, 10), (4, 12), tuple(range(0, 16, 2)))),
    "waltz": (150.0, Pattern(3, 4, (0,), (4, 8), (0, 2, 4, 6, 8, 10))),
    "house": (124.0, Pattern(4, 4, (0, 4, 8, 12), (), (2, 6, 10, 14))),
}


def _env(n: int, decay_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / RATE / decay_s)


def drums(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The four synthesised drum sounds at :data:`RATE` (peak ≈ 1)."""
    t = np.arange(int(0.3 * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(52.0 * (1 + 2.5 * np.exp(-t * 35))) / RATE
    kick = np.sin(phase) * np.exp(-t * 11)
    n = int(0.2 * RATE)
    noise = rng.standard_normal(n)
    body = lfilter([1, -0.6], [1], noise) * _env(n, 0.05)
    snare = 0.6 * body / np.abs(body).max() + 0.5 * np.sin(2 * np.pi * 190 * t[:n]) * _env(n, 0.04)
    m = int(0.05 * RATE)
    hat = lfilter([1, -1], [1], rng.standard_normal(m)) * _env(m, 0.012)
    c = int(1.5 * RATE)
    crash = lfilter([1, -0.9], [1], rng.standard_normal(c)) * _env(c, 0.5)
    sounds = {"kick": kick, "snare": snare, "hat": 0.35 * hat / np.abs(hat).max(),
              "crash": 0.3 * crash / np.abs(crash).max()}
    return {name: _fade(x) for name, x in sounds.items()}


def _fade(x: np.ndarray, seconds: float = 0.02) -> np.ndarray:
    """Fade the tail out so a truncated one-shot does not end in a click."""
    n = min(len(x), int(seconds * RATE))
    out = x.copy()
    out[len(x) - n:] *= np.linspace(1.0, 0.0, n)
    return out


def _add(out: np.ndarray, sound: np.ndarray, at: float, gain: float) -> None:
    i = round(at * RATE)
    if 0 <= i < len(out):
        seg = sound[: len(out) - i]
        out[i:i + len(seg)] += gain * seg


def render(style: str, seconds: float, *, bpm: float | None = None, offset: float = 0.5,
           full: bool = False, seed: int = 0, jitter_ms: float = 0.0,
           tempo_change: tuple[float, float] | None = None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render ``style`` for ``seconds`` (mono float32 at :data:`RATE`).

    Returns (samples, beat times s, downbeat times s). The first downbeat is at ``offset`` s;
    ``tempo_change=(time_s, bpm)`` switches tempo at the first bar line after ``time_s``.
    """
    label, pat = STYLES[style]
    bpm = bpm or label
    rng = np.random.default_rng(seed)
    kit = drums(rng)
    out = np.zeros(int(seconds * RATE))
    beats: list[float] = []
    downbeats: list[float] = []
    t = offset
    while t < seconds:
        if tempo_change and t >= tempo_change[0]:
            bpm = tempo_change[1]
        beat = 60.0 / bpm
        step = beat / pat.steps
        downbeats.append(t)
        beats.extend(t + b * beat for b in range(pat.beats))
        for name, steps, gain in (("kick", pat.kick, 1.0), ("snare", pat.snare, 0.8),
                                  ("hat", pat.hat, 1.0)):
            for s in steps:
                _add(out, kit[name], t + s * step + rng.normal(0, jitter_ms / 1000), gain
                     * (0.8 + 0.2 * rng.random()))
        if len(downbeats) % 8 == 1:
            _add(out, kit["crash"], t, 1.0)
        t += pat.beats * beat
    if full:
        out += _music(len(out), bpm, offset, rng)
    out *= 0.8 / max(1e-9, np.abs(out).max())
    keep = lambda ts: np.array([x for x in ts if x < seconds - 0.05])  # noqa: E731
    return out.astype(np.float32), keep(beats), keep(downbeats)


def _music(n: int, bpm: float, offset: float, rng: np.random.Generator) -> np.ndarray:
    """Sub-bass, pad chords and a vibrato 'vocal', changing every 2 bars (sustained sound)."""
    t = np.arange(n) / RATE
    bar = 4 * 60.0 / bpm
    roots = np.array([55.0, 49.0, 43.65, 41.2])
    idx = (np.maximum(t - offset, 0) // (2 * bar)).astype(int) % 4
    root = roots[idx]
    ph = 2 * np.pi * np.cumsum(root) / RATE
    sub = 0.5 * np.sin(ph)
    pad = sum(0.08 * np.sin(ph * k * r) for k in (4, 8) for r in (1.0, 1.26, 1.5, 1.003))
    vib = 2 * np.pi * np.cumsum(440 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))) / RATE
    vocal = 0.1 * np.sin(vib) * (0.5 + 0.5 * np.sin(2 * np.pi * t / (2 * bar)) ** 2)
    return sub + pad + vocal + 0.01 * rng.standard_normal(n)
