"""Synthesized accompaniment for full-mix clips: bass, pads and a vocal-like lead.

Everything follows the clip's beat grid (tempo changes included) and is deterministic given
the generator passed in. The key is a random minor key; chords change every bar. Pads play
from the first bar (intro included); bass and vocal only where the drums play.

Bass flavours: ``reese`` (sub sine + two detuned saws, slowly moving low-pass), ``wobble``
(saw/square through a low-pass swept by an LFO locked to 8ths, triplets or quarters, + sub),
``pluck`` (short filtered saw notes on off-beats), ``sub`` (808-like sine notes with a glide)
and ``simple`` (one decaying note per bar).

:func:`render_accompaniment_parts` also returns the three parts (:data:`PARTS`) separately,
for separation benchmarks; the mix it returns is bit-identical to
:func:`render_accompaniment`'s.
"""

from __future__ import annotations

import numpy as np

from core.devset._dsp import butter, filt, phase_of, rms, saw
from core.devset.timing import Grid

_MINOR = (0, 2, 3, 5, 7, 8, 10)
_PROGRESSIONS = ((0, 5, 2, 6), (0, 3, 5, 4), (0, 6, 5, 6), (0, 0, 3, 4), (0, 5, 3, 4))
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
           (300, 870, 2240))  # a, e, i, o, u formants (Hz)


def _hz(midi: np.ndarray | float) -> np.ndarray | float:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def _degree(root: int, degree: int) -> int:
    return root + _MINOR[degree % 7] + 12 * (degree // 7)


def _span(grid: Grid, beat0: float, beat1: float, sr: int) -> tuple[int, int]:
    t0, t1 = grid.time(np.array([beat0, beat1]))
    return round(t0 * sr), round(t1 * sr)


def _adsr(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    env = np.ones(n)
    a, r = min(n // 2, max(1, round(attack * sr))), min(n // 2, max(1, round(release * sr)))
    env[:a] = np.linspace(0.0, 1.0, a)
    env[n - r:] *= np.linspace(1.0, 0.0, r)
    return env


def _add(out: np.ndarray, start: int, x: np.ndarray) -> None:
    end = min(out.shape[-1], start + x.shape[-1])
    if end > start >= 0:
        out[..., start:end] += x[..., :end - start]


def _pads(out: np.ndarray, grid: Grid, chords: list[list[int]], sr: int,
          rng: np.random.Generator) -> None:
    bpb, cutoff = grid.beats_per_bar, rng.uniform(900, 2500)
    for bar, chord in enumerate(chords):
        a, b = _span(grid, bar * bpb, (bar + 1) * bpb, sr)
        n = b - a + round(0.25 * sr)
        voice = np.zeros((2, n))
        for note in chord:
            for side, cents in ((0, -8.0), (1, 8.0)):
                f = float(_hz(note + cents / 100.0))
                voice[side] += saw(phase_of(f, n, sr, rng.random()), f, sr)
        voice *= _adsr(n, sr, 0.15 * (b - a) / sr, 0.3)
        _add(out, a, filt(butter("lowpass", cutoff, sr), voice.astype(np.float32)) * 0.15)


def _reese(n: int, f: float, sr: int, rng: np.random.Generator, wobble: np.ndarray | None
           ) -> np.ndarray:
    ph = rng.random()
    raw = saw(phase_of(f * 1.01, n, sr, ph), f * 1.01, sr) + saw(
        phase_of(f * 0.99, n, sr, -ph), f * 0.99, sr)
    if wobble is not None:
        raw = raw + np.sign(np.sin(2 * np.pi * phase_of(f, n, sr)))
    raw = raw.astype(np.float32)
    dark, bright = filt(butter("lowpass", 140, sr), raw), filt(butter("lowpass", 2200, sr), raw)
    mix = wobble if wobble is not None else 0.5 + 0.4 * np.sin(
        2 * np.pi * (np.arange(n) / sr * rng.uniform(0.1, 0.5) + ph))
    sub = np.sin(2 * np.pi * phase_of(f, n, sr))
    return 0.35 * ((1 - mix) * dark + mix * bright) + 0.6 * sub


def _bass_note(flavour: str, n: int, f: float, sr: int, rng: np.random.Generator,
               lfo: np.ndarray) -> np.ndarray:
    t = np.arange(n) / sr
    if flavour in ("reese", "wobble"):
        return _reese(n, f, sr, rng, lfo if flavour == "wobble" else None) * _adsr(n, sr, .01, .05)
    if flavour == "pluck":
        raw = saw(phase_of(f * 2, n, sr), f * 2, sr)
        return filt(butter("lowpass", f * 8, sr), raw) * np.exp(-t / 0.12) * _adsr(n, sr, .002, .01)
    if flavour == "sub":
        glide = f * (1.0 + 0.5 * np.exp(-t / 0.03))
        return np.tanh(1.5 * np.sin(2 * np.pi * phase_of(glide, n, sr))) * np.exp(-t / 0.6)
    return np.sin(2 * np.pi * f * t) * np.exp(-t / 0.4) * _adsr(n, sr, 0.005, 0.02)


def _bass(out: np.ndarray, grid: Grid, flavour: str, roots: list[int], first_bar: int,
          sr: int, rng: np.random.Generator) -> None:
    bpb = grid.beats_per_bar
    rate = rng.choice([1.0, 2.0, 3.0, 4.0])  # wobble cycles per beat
    onsets = {"pluck": [k + 0.5 for k in range(bpb)], "sub": [0.0, 2.5] if bpb == 4 else [0.0]}
    starts = onsets.get(flavour, [0.0])
    for bar in range(first_bar, len(roots)):
        f = float(_hz(roots[bar]))
        for k, beat in enumerate(starts):
            until = starts[k + 1] if k + 1 < len(starts) else bpb
            if flavour == "pluck":
                until = beat + 0.45
            a, b = _span(grid, bar * bpb + beat, bar * bpb + until, sr)
            beats = grid.beat(np.arange(a, b) / sr)
            lfo = 0.5 - 0.5 * np.cos(2 * np.pi * rate * beats)
            _add(out, a, _bass_note(flavour, b - a, f, sr, rng, lfo) * 0.5)


def _vocal(out: np.ndarray, grid: Grid, root: int, first_bar: int, bars: int, sr: int,
           rng: np.random.Generator, copy: np.ndarray | None = None) -> None:
    bpb = grid.beats_per_bar
    scale = [_degree(root + 36, d) for d in (0, 2, 3, 4, 6, 7, 9)]
    for bar in range(first_bar, bars, 2):
        if rng.random() > 0.6:
            continue
        pos = bar * bpb + 0.5 * rng.integers(0, 2)
        for _ in range(int(rng.integers(3, 7))):
            length = 0.5 * rng.integers(1, 4)
            if pos + length > min(bars, bar + 2) * bpb:
                break
            a, b = _span(grid, pos, pos + length * 0.9, sr)
            note = _vocal_note(b - a, float(_hz(rng.choice(scale))), sr, rng)
            _add(out, a, note)
            if copy is not None:
                _add(copy, a, note)
            pos += length + 0.5 * rng.integers(0, 2)


def _vocal_note(n: int, f: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / sr
    depth = 0.3 * np.clip((t - 0.15) / 0.2, 0.0, 1.0)
    freq = f * 2.0 ** (depth * np.sin(2 * np.pi * 5.5 * t) / 12.0)
    ph = phase_of(freq, n, sr)
    pulse = (saw(ph, freq, sr) - saw(ph + 0.3, freq, sr)).astype(np.float32)
    formants = _VOWELS[int(rng.integers(len(_VOWELS)))]
    voice = sum(filt(butter("bandpass", (fc * 0.9, fc * 1.1), sr), pulse) * g
                for fc, g in zip(formants, (1.0, 0.6, 0.3), strict=True))
    return np.stack([voice, voice]) * _adsr(n, sr, 0.04, 0.08) * 0.6


PARTS: tuple[str, ...] = ("bass", "pads", "vocal")
"""Names of the accompaniment's parts (see :func:`render_accompaniment_parts`)."""


def render_accompaniment(flavour: str, grid: Grid, n_frames: int, sample_rate: int,
                         rng: np.random.Generator, *, first_bar: int = 0) -> np.ndarray:
    """Bass, pads and vocal-like lead over ``grid``.

    Parameters
    ----------
    flavour : str
        Bass flavour (see the module docstring); unknown names play ``simple``.
    grid : Grid
        Beat grid; one chord per bar.
    n_frames, sample_rate : int
        Length in samples and rate in Hz of the result.
    rng : numpy.random.Generator
        Source of every random choice (key, progression, melodies, phases).
    first_bar : int
        First bar with bass and vocal (the bars before are pads-only intro).

    Returns
    -------
    numpy.ndarray
        ``[2, n_frames]`` float32, RMS about −20 dBFS (the caller sets the level).
    """
    return _render(flavour, grid, n_frames, sample_rate, rng, first_bar, None)


def render_accompaniment_parts(flavour: str, grid: Grid, n_frames: int, sample_rate: int,
                               rng: np.random.Generator, *, first_bar: int = 0
                               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`render_accompaniment` and its parts.

    Returns ``(mix, parts)``: ``mix`` is bit-identical to what :func:`render_accompaniment`
    returns for the same arguments and generator state; ``parts`` maps each name of
    :data:`PARTS` to a ``[2, n_frames]`` float64 array, scaled like the mix, with
    ``sum(parts.values()) == mix`` up to float32 rounding of the mix (about 1e-7 of full
    scale). The bass is mono (both channels equal).
    """
    parts: dict[str, np.ndarray] = {}
    return _render(flavour, grid, n_frames, sample_rate, rng, first_bar, parts), parts


def _render(flavour: str, grid: Grid, n_frames: int, sample_rate: int,
            rng: np.random.Generator, first_bar: int,
            parts: dict[str, np.ndarray] | None) -> np.ndarray:
    """The accompaniment; fills ``parts`` (unscaled copies are taken along the way, so the
    mix is computed exactly as without them) when it is not ``None``."""
    bars = grid.beats // grid.beats_per_bar
    root = int(rng.integers(28, 40))
    progression = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    degrees = [progression[b % len(progression)] for b in range(bars)]
    roots = [_degree(root, d) for d in degrees]
    chords = [[_degree(root + 24, d + k) for k in (0, 2, 4)] for d in degrees]
    out = np.zeros((2, n_frames), np.float32)
    _pads(out, grid, chords, sample_rate, rng)
    pads = out.copy() if parts is not None else None
    bass = np.zeros((1, n_frames), np.float32)
    _bass(bass, grid, flavour, roots, first_bar, sample_rate, rng)
    out += bass
    vocal = np.zeros((2, n_frames)) if parts is not None else None
    _vocal(out, grid, root, first_bar, bars, sample_rate, rng, vocal)
    level = rms(out)
    factor = 0.1 / level if level > 0 else 1.0
    if parts is not None and pads is not None and vocal is not None:
        parts["bass"] = np.repeat(bass, 2, axis=0).astype(np.float64) * factor
        parts["pads"] = pads.astype(np.float64) * factor
        parts["vocal"] = vocal * factor
    return (out * factor).astype(np.float32)
