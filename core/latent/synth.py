"""A small built-in subtractive synth that plays a grid clip with its CC automation applied,
and the multi-resolution STFT distance between two renders.

Voice: a naive sawtooth per note with an attack/decay envelope (CC5 attack 1–300 ms, CC6
decay 30 ms–1.5 s to a 40 % sustain, 15 ms release). The sum runs through a resonant
low-pass (RBJ biquad, coefficients updated every 64 samples): cutoff 40 Hz × 2^(9 · CC1)
(40 Hz–20 kHz) moved by an LFO (rate 0.25–16 Hz from CC3, depth up to ±2 octaves from CC4),
Q 0.5–12 from CC2; then drive (tanh, gain 1–12 from CC7), a bit-crusher (CC10: 0 = off, 1 =
3 bits), a short ambience comb (CC8 send) and a dotted-1/8 feedback delay (CC9 send).
Controllers that the clip lacks take neutral values (cutoff open, no LFO, no drive …).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from core.latent.clip import GridClip, GridSpec

SAMPLE_RATE = 22050
"""Render rate in Hz."""

BLOCK = 64
"""Samples between filter coefficient updates."""

_NEUTRAL = {1: 1.0, 2: 0.1, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.5, 7: 0.0, 8: 0.0, 9: 0.0, 10: 0.0}


def _controller(clip: GridClip, grid: GridSpec, number: int) -> np.ndarray:
    """Curve ``[steps]`` of controller ``number`` (0–1) or its neutral value."""
    if number in grid.cc_numbers:
        k = grid.cc_numbers.index(number)
        if bool(clip.cc_present[k]):
            return np.asarray(clip.cc[:, k], dtype=np.float64)
    return np.full(clip.steps, _NEUTRAL[number])


def render_clip(clip: GridClip, grid: GridSpec, *, sample_rate: int = SAMPLE_RATE,
                tail_seconds: float = 0.0) -> np.ndarray:
    """Mono float32 audio of ``clip`` at its tempo (peak-normalised to −1 dBFS if louder)."""
    step_s = 60.0 / max(clip.bpm, 1.0) / grid.steps_per_beat
    total = round((clip.steps * step_s + tail_seconds) * sample_rate)
    step_of_sample = np.minimum((np.arange(total) / sample_rate / step_s).astype(int),
                                clip.steps - 1)
    attack = 0.001 + 0.3 * _controller(clip, grid, 5)[step_of_sample]
    decay = 0.03 + 1.47 * _controller(clip, grid, 6)[step_of_sample]
    voice = np.zeros(total)
    for note in clip.notes():
        a = round(note.start * step_s * sample_rate)
        off = round(note.end * step_s * sample_rate)
        b = min(total, off + int(0.015 * sample_rate))
        if a >= b:
            continue
        t = np.arange(b - a) / sample_rate
        freq = 440.0 * 2.0 ** ((note.pitch - 69) / 12.0)
        saw = 2.0 * ((t * freq) % 1.0) - 1.0
        att, dec = attack[a], decay[a]
        env = np.where(t < att, t / att, 0.4 + 0.6 * np.exp(-(t - att) / dec))
        held = off - a
        if held < len(env):
            env[held:] = env[max(held - 1, 0)] * np.linspace(1.0, 0.0, len(env) - held)
        voice[a:b] += 0.3 * saw * env
    return _effects(voice, clip, grid, step_of_sample, sample_rate, step_s)


def _effects(x: np.ndarray, clip: GridClip, grid: GridSpec, step_of_sample: np.ndarray,
             sample_rate: int, step_s: float) -> np.ndarray:
    n = len(x)
    cut = _controller(clip, grid, 1)[step_of_sample]
    res = _controller(clip, grid, 2)[step_of_sample]
    rate = 0.25 * 2.0 ** (6.0 * _controller(clip, grid, 3)[step_of_sample])
    depth = 2.0 * _controller(clip, grid, 4)[step_of_sample]
    lfo = np.sin(2 * np.pi * np.cumsum(rate) / sample_rate)
    freq = np.clip(40.0 * 2.0 ** (9.0 * cut + depth * lfo), 30.0, 0.45 * sample_rate)
    q = 0.5 + 11.5 * res
    out = np.zeros(n)
    zi = np.zeros(2)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        w = 2 * np.pi * freq[start] / sample_rate
        alpha = np.sin(w) / (2 * q[start])
        cw = np.cos(w)
        b = np.array([(1 - cw) / 2, 1 - cw, (1 - cw) / 2])
        a = np.array([1 + alpha, -2 * cw, 1 - alpha])
        out[start:stop], zi = lfilter(b / a[0], a / a[0], x[start:stop], zi=zi)
    drive = 1.0 + 11.0 * _controller(clip, grid, 7)[step_of_sample]
    out = np.tanh(drive * out) / np.sqrt(drive)
    crush = _controller(clip, grid, 10)[step_of_sample]
    levels = 2.0 ** (3.0 + 13.0 * (1.0 - crush))
    out = np.where(crush > 0.01, np.round(out * levels) / levels, out)
    out = out + _comb(out * _controller(clip, grid, 8)[step_of_sample],
                      int(0.043 * sample_rate), 0.6)
    out = out + _comb(out * _controller(clip, grid, 9)[step_of_sample],
                      max(1, round(0.75 * grid.steps_per_beat * step_s * sample_rate)), 0.45)
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0.89:
        out *= 0.89 / peak
    return out.astype(np.float32)


def _comb(x: np.ndarray, delay: int, feedback: float) -> np.ndarray:
    """Feedback comb: ``y[n] = x[n - delay] + feedback · y[n - delay]`` (computed a whole
    delay length at a time)."""
    if delay <= 0 or not np.any(x):
        return np.zeros_like(x)
    y = np.zeros_like(x)
    for start in range(delay, len(x), delay):
        stop = min(len(x), start + delay)
        y[start:stop] = x[start - delay:stop - delay] + feedback * y[start - delay:stop - delay]
    return y


def mr_stft_distance(reference: np.ndarray, estimate: np.ndarray,
                     fft_sizes: tuple[int, ...] = (512, 1024, 2048)) -> float:
    """Multi-resolution STFT loss between two mono signals (the shorter is zero-padded).

    For each FFT size ``N`` (Hann window, hop ``N/4``): spectral convergence
    ``‖|S_ref| − |S_est|‖_F / ‖|S_ref|‖_F`` plus the mean absolute difference of log
    magnitudes ``|log(|S_ref| + ε) − log(|S_est| + ε)|`` (ε = 1e-5); the result is the mean over
    sizes of the two terms' sum (0 for identical signals).
    """
    n = max(len(reference), len(estimate))
    ref = np.zeros(n)
    est = np.zeros(n)
    ref[:len(reference)] = reference
    est[:len(estimate)] = estimate
    total = 0.0
    for size in fft_sizes:
        a, b = _magnitude(ref, size), _magnitude(est, size)
        sc = np.linalg.norm(a - b) / max(np.linalg.norm(a), 1e-8)
        log_l1 = float(np.mean(np.abs(np.log(a + 1e-5) - np.log(b + 1e-5))))
        total += float(sc) + log_l1
    return total / len(fft_sizes)


def _magnitude(x: np.ndarray, size: int) -> np.ndarray:
    hop = size // 4
    if len(x) < size:
        x = np.pad(x, (0, size - len(x)))
    frames = 1 + (len(x) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(frames)[:, None]
    return np.abs(np.fft.rfft(x[index] * np.hanning(size), axis=-1))
