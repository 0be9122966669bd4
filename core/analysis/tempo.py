"""Style-aware tempo: the BPM a producer would label, with ranked alternatives and sections.

Method
------
1. *Periodicity.* Each band's novelty (:func:`core.analysis.onsets.novelty`) is
   autocorrelated; the band autocorrelations are averaged and scored on a BPM grid with a
   harmonic comb (lags of 1, 2 and 4 beats). Peaks of that salience are the raw candidates.
2. *Metrical levels.* The best peaks are expanded to their related levels (×½, ×⅔, ×¾, ×4⁄3,
   ×1.5, ×2) inside the allowed range and each is refined on the long-lag autocorrelation.
3. *Style-aware choice.* At each candidate the band novelty is folded onto one bar and compared
   with the bar templates of :mod:`core.analysis.bar_templates` (four-on-the-floor, backbeat,
   half-time, waltz, 6/8). The score adds the salience, the best template fit and the log of the
   family's tempo prior — the producers' conventions: drum & bass 160–180 (two-step backbeat),
   dubstep/trap 140–150 (half-time), hip-hop 85–100, house/techno 118–135. A two-step at 174
   fits the backbeat at 174 but "a snare on every beat" at 87, and a half-time groove fits its
   family with a prior at 140 and the backbeat family only at 70 where hip-hop's prior is low.
   A ``style_hint`` replaces the family priors by that style's prior. Each template's bar
   length is also checked against where the kicks and snares repeat (their autocorrelation
   within ±4 % of that bar length against the best lag within 0.7–1.45 bars; left out for
   every reading of a stretch shorter than twice the longest such lag): a 6/8 groove at 60 BPM
   fits a 4/4 backbeat at 90 almost as well as its own template, but its accents repeat
   every 2 s, not at that reading's 2.67 s bar.
4. *Sections.* :mod:`core.analysis.tempo_sections` repeats the scoring on overlapping windows
   and picks one candidate per window jointly, so a tempo change keeps its metrical level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.bar_templates import LOW, MID, TEMPLATES, PatternFit, fit_templates
from core.analysis.beats import RhythmFrames
from core.analysis.onsets import OnsetFeatures
from core.errors import InvalidParameter
from core.results import Tempo, TempoCandidate

STYLE_HINTS = ("auto", "dnb", "jungle", "dubstep", "trap", "hiphop", "house", "techno", "idm")
"""Accepted ``style_hint`` values (as in the configuration)."""

_Prior = tuple[tuple[float, float, float, float], ...]
"""Mixture components (lowest BPM, highest BPM, sd in octaves, weight): flat between the two
BPMs, falling off as a log-Gaussian outside them (equal BPMs: a plain log-Gaussian)."""
FAMILY_PRIORS: dict[str, _Prior] = {
    "fourfloor": ((126.0, 126.0, 0.07, 1.0), (140.0, 140.0, 0.08, 0.4)),
    "backbeat": ((92.0, 92.0, 0.08, 0.8), (160.0, 180.0, 0.055, 1.0),
                 (130.0, 130.0, 0.06, 0.7)),
    "halftime": ((142.0, 142.0, 0.06, 1.0),),
    "waltz": ((88.0, 150.0, 0.2, 0.7),),
    "sixeight": ((60.0, 70.0, 0.15, 0.7),),
}
"""Labelled-tempo priors of the template families: drum & bass and jungle anywhere in
160–180, a 3/4 anywhere in 88–150 and a 6/8 (dotted-quarter beat) in 60–70 BPM, falling off
above 70 as it always did (a 3/4 at 120 and a 6/8 at 80 have the same bar)."""
HINT_PRIORS: dict[str, _Prior] = {
    "dnb": ((172.0, 172.0, 0.05, 1.0),), "jungle": ((168.0, 168.0, 0.05, 1.0),),
    "dubstep": ((142.0, 142.0, 0.06, 1.0),), "trap": ((142.0, 142.0, 0.08, 1.0),),
    "hiphop": ((92.0, 92.0, 0.10, 1.0),), "house": ((124.0, 124.0, 0.06, 1.0),),
    "techno": ((132.0, 132.0, 0.08, 1.0),), "idm": ((120.0, 120.0, 0.6, 1.0),),
}
"""Priors that replace the family priors when the user names the style."""
_OTHER_FIT = 0.25            # fit credited to "no template" (IDM, irregular), broad prior
_OTHER_PRIOR: _Prior = ((120.0, 120.0, 0.5, 0.5),)
_BAND_WEIGHTS = np.array([0.6, 1.0, 1.0, 0.7])   # full, low, mid, high in the salience
_COMB = ((1, 1.0), (2, 0.5), (4, 0.25))
_LEVELS = (0.5, 2 / 3, 0.75, 1.0, 4 / 3, 1.5, 2.0)
_W_SALIENCE, _W_FIT, _W_COVER = 1.0, 4.0, 2.0
_W_BAR = 1.5                 # weight of the bar-repeat cue (see _bar_repeat) …
_BAR_RANGE = 1.45            # … read up to this many bars …
_MAX_BAR_BEATS = max(t.beats for t in TEMPLATES)  # … of the longest template bar
_TEMPERATURE = 0.6           # of the softmax turning scores into candidate confidences
_MIN_PERIODICITY = 0.15      # best band autocorrelation at a beat lag below this: no tempo
_NOISE_PERIODICITY = 5.5     # … nor below this / √frames (the chance maximum of noise)
_MIN_SECONDS = 2.5
_SILENCE_DBFS = -70.0


@dataclass(frozen=True)
class TempoEstimate:
    """Result of :func:`estimate_tempo`.

    ``tempo`` is ``None`` when there is none, and ``reason`` then says why. ``family`` is the
    best-fitting bar-template family at the chosen tempo (``"other"`` when none fits) and
    ``bar_start`` (s) one bar-1 time that template implies; ``periodicity`` (0–1) is the
    strength of the strongest beat-range periodicity.
    """

    tempo: Tempo | None
    reason: str | None = None
    family: str | None = None
    bar_start: float | None = None
    periodicity: float = 0.0


@dataclass(frozen=True)
class _Scored:
    bpm: float
    score: float
    fit: PatternFit | None


def _log_prior(bpm: float, prior: _Prior) -> float:
    """Log of the mixture ``prior`` at ``bpm`` (see :data:`_Prior`)."""
    x = np.log2(bpm)
    p = sum(w * np.exp(-0.5 * (max(0.0, np.log2(lo) - x, x - np.log2(hi)) / sd) ** 2)
            for lo, hi, sd, w in prior)
    return float(np.log(p + 1e-4))


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation of each row of ``x`` [rows, n] (mean removed), lags 0…max_lag,
    normalised by lag 0 (rows without energy stay zero)."""
    x = x - x.mean(axis=1, keepdims=True)
    n = 1 << int(np.ceil(np.log2(2 * x.shape[1])))
    spec = np.fft.rfft(x, n, axis=1)
    acf = np.fft.irfft(spec * np.conj(spec), n, axis=1)[:, : max_lag + 1]
    zero = acf[:, :1]
    return np.divide(acf, zero, out=np.zeros_like(acf), where=zero > 1e-12)


def _band_acf(nov: np.ndarray, fps: float, min_bpm: float, max_bpm: float
              ) -> tuple[np.ndarray, float]:
    """Mean of the band autocorrelations (lags up to 4 beats at ``min_bpm``), each band
    weighted by its own periodicity, and the periodicity: the strongest band autocorrelation
    at a beat lag within the range (0–1)."""
    max_lag = min(nov.shape[1] - 1, int(np.ceil(4 * 60.0 * fps / min_bpm)) + 2)
    acf = _autocorrelation(nov.astype(np.float64), max_lag)
    lo, hi = int(60.0 * fps / max_bpm), int(np.ceil(60.0 * fps / min_bpm))
    if hi >= acf.shape[1]:
        return acf.mean(axis=0), 0.0
    strength = np.maximum(acf[:, lo:hi + 1].max(axis=1), 0.0)
    weights = _BAND_WEIGHTS * strength
    total = float(weights.sum())
    if total <= 1e-9:
        return acf.mean(axis=0), 0.0
    return (weights @ acf) / total, float(strength.max())


def _salience(acf: np.ndarray, fps: float, bpms: np.ndarray, frames: int) -> np.ndarray:
    """Harmonic-comb salience on the BPM grid; lags longer than half the span are skipped."""
    lags = 60.0 * fps / bpms
    score = np.zeros_like(bpms)
    for multiple, weight in _COMB:
        at = lags * multiple
        ok = (at < len(acf) - 1) & (at < 0.5 * frames)
        score[ok] += weight * np.interp(at[ok], np.arange(len(acf)), acf)
    return np.maximum(score, 0.0)


def _refine(acf: np.ndarray, fps: float, bpm: float, frames: int) -> float:
    """Sharpen ``bpm`` on the autocorrelation peak at the longest usable beat multiple."""
    period = 60.0 * fps / bpm
    for multiple in (8, 4, 2, 1):
        centre = round(period * multiple)
        radius = max(1, int(0.02 * period * multiple))
        lo, hi = centre - radius, centre + radius + 1
        if lo < 1 or hi >= len(acf) - 1 or centre > 0.6 * frames:
            continue
        i = lo + int(np.argmax(acf[lo:hi]))
        if i in (lo, hi - 1):
            continue  # no peak inside the search radius
        a, b, c = acf[i - 1], acf[i], acf[i + 1]
        denom = a - 2 * b + c
        lag = i + (0.5 * (a - c) / denom if denom < 0 else 0.0)
        return float(60.0 * fps * multiple / lag)
    return float(bpm)


def _peaks(curve: np.ndarray, count: int) -> list[int]:
    inner = np.flatnonzero((curve[1:-1] >= curve[:-2]) & (curve[1:-1] > curve[2:])) + 1
    edges = [i for i in (0, len(curve) - 1) if curve[i] > 0]
    found = sorted([*inner.tolist(), *edges], key=lambda i: curve[i], reverse=True)
    return found[:count]


def _bpm_grid(min_bpm: float, max_bpm: float) -> np.ndarray:
    return np.exp(np.arange(np.log(min_bpm), np.log(max_bpm) + 1e-9, 0.0025))


def _candidates(sal: np.ndarray, bpms: np.ndarray) -> list[float]:
    """Salience peaks plus their metrical relatives, each snapped to a nearby peak."""
    found: list[float] = []
    for i in _peaks(sal, 4):
        for level in _LEVELS:
            target = bpms[i] * level
            if not bpms[0] * 0.999 <= target <= bpms[-1] * 1.001:
                continue
            near = np.flatnonzero(np.abs(np.log(bpms / target)) < 0.03)
            j = int(near[np.argmax(sal[near])]) if len(near) else i
            bpm = float(bpms[j])
            if all(abs(np.log(bpm / f)) > 0.02 for f in found):
                found.append(bpm)
    return found


def _validate(min_bpm: float, max_bpm: float, style_hint: str) -> None:
    if not 0 < min_bpm < max_bpm:
        raise InvalidParameter(f"tempo range must satisfy 0 < min < max, got {min_bpm}–{max_bpm}")
    if style_hint not in STYLE_HINTS:
        raise InvalidParameter(
            f"unknown style hint {style_hint!r}; choose one of {', '.join(STYLE_HINTS)}")


def _silent_reason(features: OnsetFeatures) -> str | None:
    if features.duration < _MIN_SECONDS:
        return (f"no tempo: clip too short ({features.duration:.1f} s; "
                f"at least {_MIN_SECONDS:.1f} s needed)")
    if features.peak_dbfs < _SILENCE_DBFS:
        return f"no tempo: silence (peak level {features.peak_dbfs:.0f} dBFS)"
    return None


def _bar_repeat(bar_acf: np.ndarray | None, fps: float, bpm: float, beats: int) -> float:
    """How much less the accents repeat at the bar length of ``beats`` beats at ``bpm`` (±4 %,
    the tempo tolerance) than at the best lag of the bar range around it (0.7–1.45 bars):
    0 when that bar length is where the pattern repeats, negative when another length is (a
    6/8 bar of 2 s read as 4/4 at 90 BPM, whose 2.67 s bar the kicks and snares do not repeat
    at); 0 for everyone without ``bar_acf``."""
    lag = beats * 60.0 * fps / bpm
    top = int(np.ceil(_BAR_RANGE * lag)) + 1
    if bar_acf is None or top > len(bar_acf):
        return 0.0
    near = bar_acf[int(0.96 * lag): int(np.ceil(1.04 * lag)) + 1].max()
    return float(near - bar_acf[int(0.7 * lag): top].max())


def _accent_acf(prep: RhythmFrames, min_bpm: float) -> np.ndarray | None:
    """Autocorrelation of the kick and snare bands' spread novelty over the lags
    :func:`_bar_repeat` reads for every template down to ``min_bpm``, each lag normalised by
    its overlap (so a two-bar lag is not shrunk against a one-bar lag); ``None`` (the cue is
    left out for all candidates alike) when those lags exceed half the span, where the
    autocorrelation says little (about 11.6 s at 60 BPM: the 8–10 s tempo windows of short
    clips go without it, their sections and the whole clip use it)."""
    longest = int(np.ceil(_BAR_RANGE * _MAX_BAR_BEATS * 60.0 * prep.fps / min_bpm)) + 1
    if 2 * longest > prep.frames:
        return None
    accents = (prep.spread[LOW] + prep.spread[MID]).astype(np.float64)[None, :]
    acf = _autocorrelation(accents, longest)[0]
    return acf * prep.frames / (prep.frames - np.arange(len(acf)))  # unbiased: per overlap


def _choose(bpm: float, salience: float, fits: list[PatternFit], style_hint: str, *,
            bar_acf: np.ndarray | None, fps: float) -> _Scored:
    """Score one candidate: salience + best (template fit + log prior of its family + how
    well its bar length matches where the accents repeat)."""
    hinted = HINT_PRIORS.get(style_hint)
    cover = max((f.coverage for f in fits), default=0.0)
    best = _Scored(bpm, _W_FIT * _OTHER_FIT + _W_COVER * cover
                   + _log_prior(bpm, hinted or _OTHER_PRIOR), None)
    for fit in fits:
        prior = hinted or FAMILY_PRIORS[fit.template.family]
        value = _W_FIT * fit.score + _W_COVER * fit.coverage + _log_prior(bpm, prior)
        value += _W_BAR * _bar_repeat(bar_acf, fps, bpm, fit.template.beats)
        if value > best.score:
            best = _Scored(bpm, value, fit)
    return _Scored(bpm, best.score + _W_SALIENCE * salience, best.fit)


def _no_periodicity(periodicity: float) -> TempoEstimate:
    return TempoEstimate(None, "no tempo: no periodic onsets (pure tone, noise or free rhythm)",
                         periodicity=periodicity)


def _score(prep: RhythmFrames, min_bpm: float, max_bpm: float, style_hint: str,
           levels: tuple[float, ...] | None = None) -> tuple[list[_Scored], float]:
    """Scored tempo candidates of the prepared stretch, best first, and its periodicity
    (0–1); no candidates when the stretch has no periodic onsets. ``levels`` restricts the
    candidates to those BPMs (±3 %) when given."""
    fps, frames = prep.fps, prep.frames
    acf, periodicity = _band_acf(prep.nov, fps, min_bpm, max_bpm)
    if periodicity < max(_MIN_PERIODICITY, _NOISE_PERIODICITY / np.sqrt(max(frames, 1))):
        return [], periodicity
    bpms = _bpm_grid(min_bpm, max_bpm)
    sal = _salience(acf, fps, bpms, frames)
    top = float(sal.max())
    if top <= 0:
        return [], periodicity
    raw = levels if levels is not None else _candidates(sal, bpms)
    bar_acf = _accent_acf(prep, min_bpm)
    scored = []
    for bpm in raw:
        bpm = min(max_bpm, max(min_bpm, _refine(acf, fps, bpm, frames)))
        fits = fit_templates(prep, bpm)
        salience = float(np.interp(np.log(bpm), np.log(bpms), sal)) / top
        scored.append(_choose(bpm, salience, fits, style_hint, bar_acf=bar_acf, fps=fps))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored, periodicity


def log_probabilities(scored: list[_Scored]) -> np.ndarray:
    """Log-probabilities of scored candidates: the softmax (temperature
    :data:`_TEMPERATURE`) that also gives their confidences."""
    z = np.array([s.score for s in scored]) / _TEMPERATURE
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def _estimate(prep: RhythmFrames, min_bpm: float, max_bpm: float, style_hint: str,
              levels: tuple[float, ...] | None = None) -> TempoEstimate:
    """Tempo of the prepared stretch (see module docstring); ``levels`` restricts the
    candidates to those BPMs (±3 %) when given."""
    scored, periodicity = _score(prep, min_bpm, max_bpm, style_hint, levels)
    if not scored:
        return _no_periodicity(periodicity)
    return _as_estimate(scored, periodicity)


def _as_estimate(scored: list[_Scored], periodicity: float) -> TempoEstimate:
    probs = np.exp(log_probabilities(scored))
    strength = float(np.clip(periodicity / 0.3, 0.0, 1.0))
    candidates = tuple(TempoCandidate(round(s.bpm, 2), float(np.clip(p * strength, 0, 1)))
                       for s, p in zip(scored, probs, strict=True))
    best = scored[0]
    tempo = Tempo(candidates[0].bpm, candidates[0].confidence, candidates)
    fit = best.fit
    return TempoEstimate(tempo, None, fit.template.family if fit else "other",
                         fit.bar_start if fit else None, periodicity)


def estimate_tempo(features: OnsetFeatures, *, min_bpm: float = 60.0, max_bpm: float = 200.0,
                   style_hint: str = "auto") -> TempoEstimate:
    """The tempo a producer would label for the whole of ``features``.

    Parameters
    ----------
    features : OnsetFeatures
        Multi-band onset features of the track.
    min_bpm, max_bpm : float
        Allowed tempo range (BPM); every candidate lies inside it.
    style_hint : str
        One of :data:`STYLE_HINTS`; anything but ``"auto"`` replaces the style-family priors by
        that style's tempo prior.

    Returns
    -------
    TempoEstimate
        ``tempo`` with ranked candidates (``Tempo.runner_up`` is the flip the app offers), or
        ``None`` with a ``reason`` (silence, too short, no periodic onsets).

    Raises
    ------
    InvalidParameter
        On an empty/inverted range or an unknown style hint.
    """
    _validate(min_bpm, max_bpm, style_hint)
    reason = _silent_reason(features)
    if reason is not None:
        return TempoEstimate(None, reason)
    return _estimate(RhythmFrames.from_features(features), min_bpm, max_bpm, style_hint)
