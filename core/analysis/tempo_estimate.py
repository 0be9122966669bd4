"""A first global tempo estimate from an onset envelope: autocorrelation with harmonic combs.

This is the foundation's estimate (one tempo for the whole track plus ranked candidates). The
rhythm engine supersedes it with EDM-aware tempo, beats and downbeats.
"""

from __future__ import annotations

import numpy as np

from core.analysis.onsets import OnsetEnvelope
from core.errors import InvalidParameter
from core.results import Tempo, TempoCandidate

_REFINE_BEATS = 16
"""Beat multiple whose autocorrelation peak refines a candidate's BPM."""
_PRIOR_CENTRE_BPM = 120.0
"""Centre of the log-Gaussian tempo prior (one octave standard deviation)."""


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    n = 1 << int(np.ceil(np.log2(2 * len(x))))
    spec = np.fft.rfft(x, n)
    acf = np.fft.irfft(spec * np.conj(spec), n)[: max_lag + 1]
    return acf / acf[0] if acf[0] > 0 else acf


def estimate_tempo(envelope: OnsetEnvelope, *, min_bpm: float = 60.0, max_bpm: float = 200.0,
                   resolution_bpm: float = 0.1, n_candidates: int = 5) -> Tempo | None:
    """Estimate the dominant tempo (BPM) of a whole track.

    Each candidate tempo is scored by the envelope's autocorrelation at one, two and four beat
    periods (a harmonic comb), which favours the beat over its subdivisions. Returns ``None``
    when the envelope carries no periodicity (silence, a pad without attacks).
    """
    if not 0 < min_bpm < max_bpm:
        raise InvalidParameter(f"tempo range must satisfy 0 < min < max, got {min_bpm}–{max_bpm}")
    s = np.asarray(envelope.strength, dtype=float)
    fps = envelope.frame_rate
    if len(s) < 4 * fps or s.std() <= 1e-9:
        return None
    x = s - np.convolve(s, np.ones(int(fps)) / int(fps), mode="same")
    x = np.maximum(x, 0.0)
    max_lag = int(np.ceil(_REFINE_BEATS * 60.0 * fps / min_bpm)) + 2
    acf = _autocorrelation(x, min(max_lag, len(x) - 1))
    bpms = np.arange(min_bpm, max_bpm + resolution_bpm / 2, resolution_bpm)
    lags = 60.0 * fps / bpms
    score = np.zeros_like(bpms)
    for multiple, weight in ((1, 1.0), (2, 0.5), (4, 0.25)):
        at = lags * multiple
        valid = at < len(acf) - 1
        score[valid] += weight * np.interp(at[valid], np.arange(len(acf)), acf)
    score = np.maximum(score, 0.0)
    if score.max() <= 0.05:
        return None
    score *= np.exp(-0.5 * np.log2(bpms / _PRIOR_CENTRE_BPM) ** 2)  # tempo resonance prior
    peaks = [i for i in range(1, len(score) - 1)
             if score[i] >= score[i - 1] and score[i] > score[i + 1]]
    if not peaks:
        return None
    peaks.sort(key=lambda i: score[i], reverse=True)
    top = peaks[:n_candidates]
    total = float(sum(score[i] for i in top))
    candidates = tuple(TempoCandidate(round(_refine(acf, fps, bpms[i]), 2),
                                      float(score[i] / total)) for i in top)
    best = candidates[0]
    return Tempo(best.bpm, best.confidence, candidates)


def _refine(acf: np.ndarray, fps: float, bpm: float) -> float:
    """Sharpen a candidate on the autocorrelation peak at the longest available multiple of its
    beat period (finer lag resolution), with parabolic interpolation of that peak."""
    period = 60.0 * fps / bpm
    for multiple in (_REFINE_BEATS, 4, 2, 1):
        centre = round(period * multiple)
        radius = max(1, int(min(0.01 * period * multiple, 0.2 * period)))
        lo, hi = centre - radius, centre + radius + 1
        if lo < 1 or hi >= len(acf) - 1:
            continue
        i = lo + int(np.argmax(acf[lo:hi]))
        a, b, c = acf[i - 1], acf[i], acf[i + 1]
        denom = a - 2 * b + c
        lag = i + (0.5 * (a - c) / denom if denom < 0 else 0.0)
        return float(60.0 * fps * multiple / lag)
    return float(bpm)
