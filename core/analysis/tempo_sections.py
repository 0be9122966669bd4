"""Tempo sections: stretches of constant tempo (a tempo change, the tracks of a DJ mix).

The style-aware tempo scoring of :mod:`core.analysis.tempo` runs on overlapping windows. A
window alone often cannot tell metrical levels apart — a hip-hop section whose snare thins out
reads as double time, a half-time drop as 69 instead of 138 — and the whole-track estimate is
no referee either, because a tempo change smears its long-lag periodicity (174 → 179 BPM read
as 87). So every window keeps all its candidates with their log-probabilities, and one
candidate per window is chosen jointly (Viterbi): the path maximises the windows' evidence,
each weighted by the seconds of music it stands for, minus a cost for every change of tempo
between neighbouring windows — small for a modest change at the same metrical level, large
for a jump to another level or tempo. A level jump therefore needs more evidence than
:data:`_JUMP_COST` (log-probability of :data:`_EVIDENCE_S` seconds); a real tempo change
between two tracks of a mix has far more. Equal neighbours then merge into sections, and the
choice is made once more on the sections themselves: a section holds more bars than a window,
so its periodicity and template fit are surer (a hip-hop groove at 100 BPM whose 10-second
windows each lean to a 6/8 reading at 67 reads 100 over its 20 seconds). Each section's BPM is
finally re-estimated on the whole section at its chosen level.
"""

from __future__ import annotations

import itertools

import numpy as np

from core.analysis.beats import RhythmFrames
from core.analysis.onsets import OnsetFeatures
from core.analysis.tempo import _estimate, _score, _silent_reason, _validate, log_probabilities
from core.errors import InvalidParameter
from core.results import TempoSection

_SAME = 0.02                 # log-ratio: tempos within 2 % are the same section tempo
_MODEST = 0.08               # log-ratio: a change up to 8 % keeps the metrical level
_MODEST_COST = 0.5           # path cost of a modest tempo change between windows
_JUMP_COST = 3.0             # path cost of any larger change (another level, another tempo)
_EVIDENCE_S = 10.0           # seconds of music whose window log-probability weighs 1
_MIN_WINDOW_S = 8.0          # shortest section window (short clips use half their length)

_Window = tuple[np.ndarray, np.ndarray]  # candidate BPMs, their log-probabilities


def _windows(frames: int, window: int, hop: int) -> list[tuple[int, int]]:
    if frames <= 1.5 * window:
        return [(0, frames)]
    starts = list(range(0, frames - window, hop))
    if starts[-1] + window < frames:
        starts.append(frames - window)
    return [(a, a + window) for a in starts]


def _window_candidates(rf: RhythmFrames, min_bpm: float, max_bpm: float, style_hint: str
                ) -> _Window | None:
    """The stretch's tempo candidates (BPM) and their log-probabilities; ``None`` without a
    periodic pulse."""
    scored, _ = _score(rf, min_bpm, max_bpm, style_hint)
    if not scored:
        return None
    return np.array([s.bpm for s in scored]), log_probabilities(scored)


def _change_cost(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Path cost [len(a), len(b)] of moving from tempo ``a[i]`` to ``b[j]`` (BPM)."""
    d = np.abs(np.log(b[None, :] / a[:, None]))
    return np.where(d < _SAME, 0.0, np.where(d < _MODEST, _MODEST_COST, _JUMP_COST))


def level_path(windows: list[_Window], weights: np.ndarray) -> list[float]:
    """The jointly best tempo (BPM) of each window of one unbroken run.

    ``windows`` holds each window's candidate BPMs and log-probabilities, ``weights`` each
    window's evidence weight; the path maximises the weighted log-probabilities minus
    :func:`_change_cost` between neighbours.
    """
    value = weights[0] * windows[0][1]
    back: list[np.ndarray] = []
    for (prev, _), (bpms, logp), w in zip(windows, windows[1:], weights[1:], strict=False):
        total = value[:, None] - _change_cost(prev, bpms)
        back.append(np.argmax(total, axis=0))
        value = total.max(axis=0) + w * logp
    state = int(np.argmax(value))
    path = [state]
    for pointers in reversed(back):
        state = int(pointers[state])
        path.append(state)
    path.reverse()
    return [float(windows[i][0][s]) for i, s in enumerate(path)]


def _runs(values: list[float | None]) -> list[tuple[int, int, float | None]]:
    """Consecutive equal (within :data:`_SAME`) values as (first, last + 1, value)."""
    runs: list[tuple[int, int, float | None]] = []
    for i, v in enumerate(values):
        if runs:
            a, _, u = runs[-1]
            same = (u is None and v is None) or (
                u is not None and v is not None and abs(np.log(u / v)) < _SAME)
            if same:
                runs[-1] = (a, i + 1, u)
                continue
        runs.append((i, i + 1, v))
    return runs


def tempo_sections(features: OnsetFeatures, *, window_s: float = 30.0, hop_s: float = 10.0,
                   min_bpm: float = 60.0, max_bpm: float = 200.0, style_hint: str = "auto"
                   ) -> tuple[TempoSection, ...]:
    """Stretches of constant tempo (tempo changes, the tracks of a DJ mix).

    The style-aware scoring runs on windows of ``window_s`` seconds every ``hop_s`` seconds
    (short tracks use windows of half their length, at least 8 s); one candidate per window
    is chosen jointly (see the module docstring), equal neighbours (±2 %) merge, and each
    section's BPM is re-estimated on the whole section. Stretches without periodic onsets
    belong to no section. Raises :class:`InvalidParameter` on bad arguments.
    """
    _validate(min_bpm, max_bpm, style_hint)
    if window_s <= 0 or hop_s <= 0:
        raise InvalidParameter(f"window and hop must be positive, got {window_s}, {hop_s}")
    if _silent_reason(features) is not None:
        return ()
    return sections_of(RhythmFrames.from_features(features), window_s=window_s, hop_s=hop_s,
                       min_bpm=min_bpm, max_bpm=max_bpm, style_hint=style_hint)


def sections_of(rf: RhythmFrames, *, window_s: float, hop_s: float, min_bpm: float,
                max_bpm: float, style_hint: str) -> tuple[TempoSection, ...]:
    """:func:`tempo_sections` on prepared frames."""
    fps = rf.fps
    seconds = rf.frames / fps
    window_s = min(window_s, max(_MIN_WINDOW_S, seconds / 2))
    hop_s = min(hop_s, window_s / 2)
    wins = _windows(rf.frames, round(window_s * fps), round(hop_s * fps))
    centres = [0.5 * (a + b) for a, b in wins]
    edges = np.array([0.0, *[0.5 * (x + y) for x, y in itertools.pairwise(centres)],
                      float(rf.frames)])
    weights = np.diff(edges) / fps / _EVIDENCE_S
    found: list[_Window | None] = []
    for a, b in wins:
        found.append(_window_candidates(rf.crop(a, b), min_bpm, max_bpm, style_hint))
    values: list[float | None] = [None] * len(wins)
    for present, group in itertools.groupby(range(len(wins)), key=lambda i: found[i] is not None):
        if present:
            idx = list(group)
            path = level_path([found[i] for i in idx], weights[idx])  # type: ignore[misc]
            for i, bpm in zip(idx, path, strict=True):
                values[i] = bpm
    spans = [(int(edges[first]), int(edges[last]), bpm)
             for first, last, bpm in _runs(values) if bpm is not None]
    spans = _relevel(rf, spans, min_bpm, max_bpm, style_hint)
    out: list[TempoSection] = []
    for a, b, bpm in spans:
        section = _estimate(rf.crop(a, b), min_bpm, max_bpm, style_hint, levels=(bpm,))
        if section.tempo is None:
            continue
        out.append(TempoSection(a / fps, b / fps, section.tempo.bpm,
                                max(section.tempo.confidence, 0.0)))
    return tuple(out)


def _relevel(rf: RhythmFrames, spans: list[tuple[int, int, float]], min_bpm: float,
             max_bpm: float, style_hint: str) -> list[tuple[int, int, float]]:
    """The sections' tempos chosen again on the whole sections (frame spans ``(a, b, bpm)``):
    each section's own candidates, one per section chosen jointly as for the windows
    (:func:`level_path`), weighted by the sections' lengths; neighbours that now agree
    (±2 %) merge."""
    if not spans:
        return spans
    found: list[_Window] = []
    for a, b, _ in spans:
        window = _window_candidates(rf.crop(a, b), min_bpm, max_bpm, style_hint)
        if window is None:
            return spans
        found.append(window)
    weights = np.array([(b - a) / rf.fps / _EVIDENCE_S for a, b, _ in spans])
    merged: list[tuple[int, int, float]] = []
    for (a, b, _), bpm in zip(spans, level_path(found, weights), strict=True):
        if merged and merged[-1][1] == a and abs(np.log(merged[-1][2] / bpm)) < _SAME:
            merged[-1] = (merged[-1][0], b, merged[-1][2])
        else:
            merged.append((a, b, bpm))
    return merged


__all__ = ["level_path", "sections_of", "tempo_sections"]
