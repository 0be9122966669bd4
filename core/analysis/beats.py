"""Beat tracking: dynamic programming that follows tempo changes, then a straight grid where the
tempo is constant.

1. A beat-level novelty (kick and snare bands lead, hats weigh less) is tracked with Ellis's
   (2007) dynamic programme: the score of a beat at frame *t* is its novelty plus the best score
   of a predecessor 0.7–1.3 local periods earlier, minus a cost that grows with the squared log
   ratio of that interval to the local period (from the tempo sections). A strong cost keeps
   the beats on the section's tempo while still following drift.
2. Beats are kept only where the rhythm is: a local pulse measure (lag-product of the novelty at
   one beat period, relative to its energy, over a few seconds) must be clearly present.
3. In each section the beats are fitted by a straight line (least squares, beat index → time);
   when the residual is small and the straight grid collects as much novelty as the tracked
   beats (each beat's novelty taken within 30 ms, so humanised hits do not favour a grid that
   follows their jitter), the grid replaces them — constant-tempo music gets a grid that does
   not wander.
   Before that, the boundary between two sections of different tempo (known from the tempo
   windows only to a few seconds) moves to where the two sections' grids, extended across it,
   sit on the most novelty, so neither grid is bent by the other section's tempo. When a
   boundary moves more than a second, the beats are tracked again on the moved sections and
   the boundaries placed once more (at most three passes).
4. The grid confidence (0–1) combines how much stronger the novelty is on the beats than half
   way between them with how regular the beat intervals are.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter, uniform_filter1d

from core.analysis.onsets import BANDS, OnsetFeatures
from core.results import TempoSection

_TIGHTNESS = 400.0      # cost weight of (log interval / period)²
_SNAP_RMS_S = 0.025     # straight grid accepted below this residual (s) …
_SNAP_KEEP = 0.9        # … when it keeps this share of the tracked beats' novelty,
_SNAP_TOLERANCE_S = 0.03  # … each beat's novelty taken within this distance (humanised hits)
_ACTIVITY_S = 4.0       # window of the local pulse measure (s)
_ACTIVITY_MIN = 0.04    # local pulse below this: no beats there, …
_ACTIVITY_REL = 0.3     # … nor below this share of the median pulse at the beats
_EDGE_WEAK = 0.3        # edge beats weaker than this share of their run's median are dropped
_HOLE_S = 4.0           # shorter runs of weak pulse between beats are bridged (s)
_LATENCY_S = -0.018     # onset-peak frames lead the attacks by this much (s)
_BOUNDARY_SEARCH_S = 15.0  # a section boundary moves at most this far (s) …
_BOUNDARY_MIN_BEATS = 4    # … leaving at least this many beats on each side in the search,
_BOUNDARY_GAIN = 1.0       # … when the grids gain this much novelty (in its std) over the old
_BOUNDARY_COST = 0.5       # boundary, or the lines' squared residual falls below this share
_BOUNDARY_RMS_S = 0.002    # (s) a boundary whose lines fit the beats this well stays
_RETRACK_S = 1.0           # a boundary moved farther than this (s): beats tracked again, …
_RETRACK_PASSES = 3        # … at most this many times in all


NOVELTY_WEIGHTS = {"full": 0.5, "low": 1.0, "mid": 1.0, "high": 0.4}
"""Weight of each band in the single beat-level novelty curve (kick and snare lead)."""
_BAND_FLOOR = 0.05  # a band whose flux never exceeds this carries no onsets


def novelty(features: OnsetFeatures, *, median_seconds: float = 0.2) -> np.ndarray:
    """Rhythm novelty of each band: float32 [4, frames] in :data:`BANDS` order.

    Each band minus its moving median over ``median_seconds`` (removes the floor that noise,
    pads and reverb tails leave), half-wave rectified and divided by its 99th percentile so the
    bands weigh alike (about 0–1, peaks may exceed 1). A band whose 99th percentile stays below
    a small floor (silence, the numeric ripple of a steady tone) is zero.
    """
    stacked = np.vstack([features.band(name) for name in BANDS]).astype(np.float32)
    if stacked.shape[1] == 0:
        return stacked
    width = max(3, round(median_seconds * features.frame_rate) | 1)
    floor = median_filter(stacked, size=(1, width), mode="nearest")
    out = np.maximum(stacked - floor, 0.0)
    scale = np.percentile(out, 99, axis=1)
    out *= np.where(scale >= _BAND_FLOOR, 1.0 / np.maximum(scale, 1e-12), 0.0)[:, None]
    return out


def beat_novelty(nov: np.ndarray) -> np.ndarray:
    """One beat-level novelty curve [frames] from :func:`novelty` output (weighted band mean)."""
    weights = np.array([NOVELTY_WEIGHTS[name] for name in BANDS], dtype=np.float32)
    return (weights @ nov) / float(weights.sum())


@dataclass(frozen=True, eq=False)
class RhythmFrames:
    """Onset features prepared for the rhythm stages (all arrays share the frame axis).

    ``nov`` is :func:`novelty` [4, n]; ``spread`` the same maximum-filtered over 3 frames (so
    folds tolerate ±1 frame); ``beat`` the beat novelty of ``spread``; ``peaks`` the beat
    novelty at its local maxima (0 elsewhere), spread likewise — the onset mass a grid can
    capture. ``change`` is the features' spectral change (zeros when absent), maximum-filtered
    over 5 frames. ``start`` is the time (s) of frame 0.
    """

    nov: np.ndarray
    spread: np.ndarray
    beat: np.ndarray
    peaks: np.ndarray
    change: np.ndarray
    fps: float
    start: float = 0.0

    @classmethod
    def from_features(cls, features: OnsetFeatures) -> RhythmFrames:
        """Prepare ``features`` (see class docstring)."""
        nov = novelty(features)
        wide = maximum_filter1d(nov, 3, axis=1) if nov.shape[1] else nov
        raw = beat_novelty(nov)
        is_peak = np.zeros(len(raw), dtype=bool)
        if len(raw) > 2:
            is_peak[1:-1] = (raw[1:-1] > raw[:-2]) & (raw[1:-1] >= raw[2:])
        peaks = np.where(is_peak, raw, 0.0).astype(np.float32)
        change = np.zeros(len(raw), np.float32)
        if len(peaks):
            peaks = maximum_filter1d(peaks, 3)
            if features.change is not None and len(features.change) == len(raw):
                change = maximum_filter1d(features.change, 5)
        return cls(nov, wide, beat_novelty(wide), peaks, change, features.frame_rate)

    @property
    def frames(self) -> int:
        """Number of frames."""
        return self.nov.shape[1]

    def crop(self, a: int, b: int) -> RhythmFrames:
        """Frames ``a``…``b - 1`` (views)."""
        return RhythmFrames(self.nov[:, a:b], self.spread[:, a:b], self.beat[a:b],
                            self.peaks[a:b], self.change[a:b], self.fps,
                            self.start + a / self.fps)


@dataclass(frozen=True)
class BeatTrack:
    """Beat times (s, ascending), the straight-grid flag of each section, the grid
    ``confidence`` in 0–1, and the tempo ``sections`` with their boundaries placed on the
    beats (:func:`refine_boundaries`)."""

    times: np.ndarray
    confidence: float
    snapped: tuple[bool, ...] = ()
    sections: tuple[TempoSection, ...] = ()


def period_curve(sections: tuple[TempoSection, ...], fps: float, frames: int) -> np.ndarray:
    """Beat period in frames at every frame (NaN outside the sections)."""
    period = np.full(frames, np.nan)
    for s in sections:
        a, b = max(0, round(s.start * fps)), min(frames, round(s.end * fps))
        period[a:b] = 60.0 * fps / s.bpm
    return period


def _dp(novelty: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Ellis DP over frames where ``period`` is finite; returns beat frames (ascending)."""
    n = len(novelty)
    score = novelty.astype(float).copy()
    back = np.full(n, -1)
    t = 0
    while t < n:
        p = period[t]
        if not np.isfinite(p):
            t += 1
            continue
        block = max(1, int(0.7 * p))
        ts = np.arange(t, min(n, t + block))
        lags = np.arange(max(1, int(0.7 * p)), int(np.ceil(1.3 * p)) + 1)
        prev = ts[:, None] - lags[None, :]
        ok = prev >= 0
        cost = _TIGHTNESS * np.log(lags / period[ts][:, None]) ** 2
        cand = np.where(ok, score[np.clip(prev, 0, None)] - cost, -np.inf)
        best = np.argmax(cand, axis=1)
        value = cand[np.arange(len(ts)), best]
        take = np.isfinite(value) & (value > 0) & np.isfinite(period[ts])
        score[ts[take]] += value[take]
        back[ts[take]] = prev[np.arange(len(ts)), best][take]
        t = ts[-1] + 1
    return _backtrack(score, back, period)


def _backtrack(score: np.ndarray, back: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Follow the back-pointers from the best final beat of every finite-period run."""
    finite = np.isfinite(period)
    beats: list[int] = []
    edges = np.flatnonzero(np.diff(np.r_[0, finite.astype(int), 0]))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        tail = max(a, b - int(np.ceil(period[b - 1])))
        t = tail + int(np.argmax(score[tail:b]))
        run = []
        while t >= a:
            run.append(t)
            t = back[t]
        beats.extend(reversed(run))
    return np.asarray(beats, dtype=int)


def pulse_activity(novelty: np.ndarray, period: np.ndarray, fps: float) -> np.ndarray:
    """Local pulse strength 0…1 per frame: the novelty's lag-product at one, two or four beat
    periods (whichever is strongest; a half-time groove repeats at two beats) over
    :data:`_ACTIVITY_S` seconds, divided by its energy there (0 where the period is NaN)."""
    n = len(novelty)
    x = np.minimum(novelty, np.percentile(novelty, 99.5))  # one huge hit must not dominate
    x = x - uniform_filter1d(x, max(3, int(fps)), mode="nearest")
    width = max(3, int(_ACTIVITY_S * fps))
    energy = uniform_filter1d(x * x, width, mode="nearest")
    best = np.zeros(n)
    for multiple in (1, 2, 4):
        lag = np.where(np.isfinite(period), np.rint(multiple * period), 0).astype(int)
        prod, count = np.zeros(n), np.zeros(n)
        for sign in (-1, 1):  # back and ahead, so the edges are measured too
            idx = np.arange(n) + sign * lag
            ok = (lag > 0) & (idx >= 0) & (idx < n)
            prod += np.where(ok, x * x[np.clip(idx, 0, n - 1)], 0.0)
            count += ok
        local = uniform_filter1d(prod / np.maximum(count, 1.0), width, mode="nearest")
        best = np.maximum(best, local)
    return np.clip(np.divide(best, energy, out=np.zeros(n), where=energy > 1e-12), 0.0, 1.0)


def _active_beats(activity: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Mask of beats where the pulse is present; short weak stretches between strong beats
    are bridged (a fill, a crash), long ones and weak edges (beatless intro, outro) are not."""
    if len(activity) == 0:
        return np.zeros(0, dtype=bool)
    threshold = max(_ACTIVITY_MIN, _ACTIVITY_REL * float(np.median(activity)))
    strong = activity >= threshold
    keep = strong.copy()
    idx = np.flatnonzero(strong)
    for a, b in itertools.pairwise(idx):
        if b - a > 1 and times[b] - times[a] <= _HOLE_S:
            keep[a:b] = True
    return keep


def _trim_weak_edges(frames: np.ndarray, novelty: np.ndarray) -> np.ndarray:
    """Drop beats at the edges of each run of beats whose novelty (within ±2 frames) is below
    :data:`_EDGE_WEAK` of the run's median: the pulse measure leaks a second or two into a
    beatless intro or outro, the drums do not."""
    if len(frames) < 4:
        return frames
    strength = maximum_filter1d(novelty, 5)[frames]
    gaps = np.flatnonzero(np.diff(frames) > 2 * np.median(np.diff(frames))) + 1
    kept = []
    for run, power in zip(np.split(frames, gaps), np.split(strength, gaps), strict=True):
        strong = np.flatnonzero(power >= _EDGE_WEAK * np.median(power))
        kept.append(run[strong[0]:strong[-1] + 1] if len(strong) else run[:0])
    return np.concatenate(kept)


def _line(times: np.ndarray, period_s: float) -> tuple[np.ndarray, float, float]:
    """Beat index of each of the beat ``times`` (gaps counted in periods of ``period_s``) and
    the least-squares line through them: (index, slope s/beat, intercept s)."""
    index = np.concatenate([[0], np.cumsum(np.rint(np.diff(times) / period_s))])
    slope, icept = np.polyfit(index, times, 1)
    return index, float(slope), float(icept)


def _fit_line(times: np.ndarray, period_s: float) -> tuple[np.ndarray, float]:
    """Least-squares straight grid through beat ``times``; returns (grid, rms residual s)."""
    index, slope, icept = _line(times, period_s)
    grid = icept + slope * np.arange(int(index[-1]) + 1)
    fitted = icept + slope * index
    return grid, float(np.sqrt(np.mean((times - fitted) ** 2)))


def _near_novelty(novelty: np.ndarray, fps: float) -> np.ndarray:
    """Each frame's novelty as the most within ±:data:`_SNAP_TOLERANCE_S`, so a beat collects
    a humanised hit's novelty without the grid having to follow its jitter."""
    reach = round(_SNAP_TOLERANCE_S * fps)
    return maximum_filter1d(novelty, 2 * reach + 1) if len(novelty) else novelty


def _at(novelty: np.ndarray, times: np.ndarray, fps: float) -> np.ndarray:
    """``novelty`` at the frames of ``times`` (s)."""
    return novelty[np.clip(np.rint(times * fps).astype(int), 0, len(novelty) - 1)]


def _strength(novelty: np.ndarray, times: np.ndarray, fps: float) -> float:
    return float(_at(novelty, times, fps).sum())


def refine_boundaries(beats: np.ndarray, sections: tuple[TempoSection, ...],
                      novelty: np.ndarray | None = None, fps: float = 0.0
                      ) -> tuple[TempoSection, ...]:
    """Sections whose shared boundaries are moved onto the tempo change.

    Between two contiguous sections of different tempo, a straight grid is fitted to each
    section's tracked ``beats`` (s) away from the old boundary and extended across it; the
    boundary moves, within :data:`_BOUNDARY_SEARCH_S` of where it was, to the beat where the
    first grid stops and the second takes over so that together they sit on the most
    ``novelty`` (frames at ``fps``; each grid beat's novelty taken within 30 ms, less what a
    beat anywhere in the search span collects). The tracker follows the old boundary, so its
    beats near a misplaced boundary cannot show the change themselves; the grids can. Without
    ``novelty`` (or too few beats to fit a grid) the change point of the tracked beats' own
    period is taken instead: the beat where straight lines on both sides fit best. Either way
    the boundary stays where it was unless the new place is clearly better
    (:data:`_BOUNDARY_GAIN`, :data:`_BOUNDARY_COST`): beats that show no change do not move it.
    Boundaries are placed in order; the grid of a section is fitted only to beats inside its
    old span (``sections``), which the tracker followed at its tempo, not to those the move of
    the boundary before handed over to it.
    """
    near = _near_novelty(novelty, fps) if novelty is not None and fps > 0 else None
    return _refine(beats, sections, near, fps)


def _refine(beats: np.ndarray, sections: tuple[TempoSection, ...], near: np.ndarray | None,
            fps: float) -> tuple[TempoSection, ...]:
    """:func:`refine_boundaries` with the novelty already spread (:func:`_near_novelty`)."""
    out = list(sections)
    for i in range(len(out) - 1):
        # the tracker followed the old boundaries: a grid is fitted only to beats it tracked at
        # the section's own tempo, not to those the move of the boundary before (earlier or
        # later) handed over to it
        first = replace(out[i], start=max(out[i].start, sections[i].start))
        second = out[i + 1]
        if abs(first.end - second.start) > 1e-6 or abs(np.log(first.bpm / second.bpm)) < 1e-3:
            continue
        edge = first.end
        lo, hi = max(first.start, edge - _BOUNDARY_SEARCH_S), min(second.end,
                                                                 edge + _BOUNDARY_SEARCH_S)
        where = None
        if near is not None:
            where = _grid_change(beats, near, fps, first, second, lo, hi)
        if where is None:
            where = _period_change(beats, first, second, lo, hi)
        if where is not None:
            out[i] = replace(out[i], end=float(where))
            out[i + 1] = replace(second, start=float(where))
    return tuple(out)


def _period_change(beats: np.ndarray, first: TempoSection, second: TempoSection, lo: float,
                   hi: float) -> float | None:
    """Boundary (s) where straight lines through the tracked beats before and after it fit
    best, searched among the beats in ``lo``…``hi``; the old boundary unless that leaves under
    :data:`_BOUNDARY_COST` of its squared residual; ``None`` with too few beats."""
    edge = first.end
    near = beats[(beats >= max(first.start, edge - 2 * _BOUNDARY_SEARCH_S))
                 & (beats < min(second.end, edge + 2 * _BOUNDARY_SEARCH_S))]
    if min(int((near < edge).sum()), int((near >= edge).sum())) < _BOUNDARY_MIN_BEATS:
        return None
    splits, costs = [], []
    for k in range(_BOUNDARY_MIN_BEATS, len(near) - _BOUNDARY_MIN_BEATS + 1):
        if not lo <= near[k] <= hi:
            continue
        left = _fit_line(near[:k], 60.0 / first.bpm)[1]
        right = _fit_line(near[k:], 60.0 / second.bpm)[1]
        splits.append(0.5 * (near[k - 1] + near[k]))
        costs.append(k * left**2 + (len(near) - k) * right**2)
    if not splits:
        return None
    at_edge = costs[int(np.argmin(np.abs(np.array(splits) - edge)))]
    best = int(np.argmin(costs))
    fits_already = at_edge < len(near) * _BOUNDARY_RMS_S**2
    return edge if fits_already or costs[best] >= _BOUNDARY_COST * at_edge else splits[best]


def _grid_change(beats: np.ndarray, near: np.ndarray, fps: float, first: TempoSection,
                 second: TempoSection, lo: float, hi: float) -> float | None:
    """Boundary (s) in ``lo``…``hi`` where the first section's straight grid hands over to the
    second's with the most spread novelty ``near`` on the beats (see
    :func:`refine_boundaries`); the old boundary unless that gains :data:`_BOUNDARY_GAIN`;
    ``None`` without beats to fit grids."""
    before = beats[(beats >= first.start) & (beats < lo)]
    after = beats[(beats >= hi) & (beats < second.end)]
    if len(before) < _BOUNDARY_MIN_BEATS or len(after) < _BOUNDARY_MIN_BEATS:
        return None
    grids = []
    for fitted, bpm, sign in ((before, first.bpm, 1), (after, second.bpm, -1)):
        index, slope, icept = _line(fitted, 60.0 / bpm)
        anchor = icept + slope * (index[-1] if sign > 0 else 0.0)
        span = (hi - anchor) if sign > 0 else (anchor - lo)
        steps = np.arange(int(np.ceil(span / slope)) + 2)
        grid = anchor + sign * slope * steps
        grids.append(np.sort(grid[(grid >= lo) & (grid < hi)]))
    a, b = round(lo * fps), round(hi * fps)
    baseline = float(near[a:b].mean()) if b > a else 0.0
    grid_a, grid_b = grids
    if len(grid_a) == 0 or len(grid_b) == 0:
        return None
    gain_a = np.cumsum(_at(near, grid_a, fps) - baseline)
    gain_b = _at(near, grid_b, fps) - baseline
    tail_b = np.cumsum(gain_b[::-1])[::-1]  # novelty of grid B from each of its beats on
    splits, scores = [], []
    for k, t in enumerate(grid_b):  # grid B takes over at its k-th beat
        upto = int(np.searchsorted(grid_a, t - 0.5 * 60.0 / second.bpm))
        scores.append((gain_a[upto - 1] if upto > 0 else 0.0) + tail_b[k])
        splits.append(0.5 * ((grid_a[upto - 1] if upto > 0 else lo) + t))
    edge = first.end
    at_edge = scores[int(np.argmin(np.abs(np.array(splits) - edge)))]
    best = int(np.argmax(scores))
    return splits[best] if scores[best] - at_edge > _BOUNDARY_GAIN else edge


def _snap_sections(beats: np.ndarray, sections: tuple[TempoSection, ...], near: np.ndarray,
                   fps: float) -> tuple[np.ndarray, tuple[bool, ...]]:
    """Replace each section's tracked beats by their straight grid where it fits (``near``:
    the spread novelty of :func:`_near_novelty`)."""
    out, flags = [], []
    for s in sections:
        inside = beats[(beats >= s.start) & (beats < s.end)]
        if len(inside) < 4:
            out.append(inside)
            flags.append(False)
            continue
        grid, rms = _fit_line(inside, 60.0 / s.bpm)
        keep = _strength(near, grid, fps) >= _SNAP_KEEP * _strength(near, inside, fps)
        snap = rms < _SNAP_RMS_S and keep
        out.append(grid if snap else inside)
        flags.append(bool(snap))
    merged = np.concatenate(out) if out else np.zeros(0)
    return np.unique(np.round(merged, 4)), tuple(flags)


def _confidence(novelty: np.ndarray, beats: np.ndarray, fps: float) -> float:
    """Contrast of novelty on beats vs. half-way between them, times interval regularity."""
    if len(beats) < 3:
        return 0.0
    mids = 0.5 * (beats[1:] + beats[:-1])
    on = _strength(novelty, beats, fps) / len(beats)
    off = _strength(novelty, mids, fps) / len(mids)
    contrast = (on - off) / (on + off) if on + off > 0 else 0.0
    ibi = np.diff(beats)
    local = np.abs(np.diff(ibi)) / np.maximum(ibi[1:], 1e-9) if len(ibi) > 1 else np.zeros(1)
    regular = float(np.clip(1.0 - 4.0 * np.median(local), 0.0, 1.0))
    return float(np.clip(np.sqrt(max(contrast, 0.0)) * regular, 0.0, 1.0))


def nearest_index(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """Index of the nearest element of ``sorted_ref`` (ascending, non-empty) to each value, in
    O(n log n) time and O(n) memory (a long mix has thousands of beats)."""
    right = np.clip(np.searchsorted(sorted_ref, values), 0, len(sorted_ref) - 1)
    left = np.clip(right - 1, 0, len(sorted_ref) - 1)
    closer_right = np.abs(sorted_ref[right] - values) < np.abs(values - sorted_ref[left])
    return np.where(closer_right, right, left)


def _nearest_distance(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """Distance from each value to the nearest element of ``sorted_ref`` (ascending,
    non-empty)."""
    return np.abs(values - sorted_ref[nearest_index(values, sorted_ref)])


def _tracked(x: np.ndarray, fps: float, sections: tuple[TempoSection, ...]) -> np.ndarray:
    """Beat times (s) the dynamic programme tracks in normalised novelty ``x`` at the
    sections' tempos, where the pulse is present, weak edge beats dropped."""
    period = period_curve(sections, fps, len(x))
    frames = _dp(x, period)
    activity = pulse_activity(x, period, fps)
    frames = frames[_active_beats(activity[frames], frames / fps)]
    return _trim_weak_edges(frames, x) / fps


def track_beats(novelty: np.ndarray, fps: float, sections: tuple[TempoSection, ...], *,
                snap: bool = True) -> BeatTrack:
    """Beat times of a beat-level ``novelty`` curve [frames] at ``fps`` frames per second.

    ``sections`` give the local tempo; no beats are placed outside them or where the local
    pulse is absent (beatless intros, breakdowns without drums). Their boundaries move onto
    the tempo changes (:func:`refine_boundaries`), and the beats are tracked again on the
    moved sections while a boundary moves more than :data:`_RETRACK_S` (at most
    :data:`_RETRACK_PASSES` passes). ``snap`` enables the straight grid of constant-tempo
    sections. Returns a :class:`BeatTrack`.
    """
    x = np.asarray(novelty, dtype=float)
    if len(x) == 0 or not sections or float(x.std()) <= 0:
        return BeatTrack(np.zeros(0), 0.0)
    x = x / x.std()
    times = _tracked(x, fps, sections)
    flags: tuple[bool, ...] = ()
    spread = _near_novelty(x, fps)
    for _ in range(_RETRACK_PASSES):
        if not len(times):
            break
        moved = _refine(times, sections, spread, fps)
        if all(abs(a.start - b.start) <= _RETRACK_S for a, b in zip(moved, sections,
                                                                       strict=True)):
            sections = moved
            break
        # beats between an old and a new boundary followed the wrong tempo: track again on
        # the moved sections, whose grids then fit the next boundary's search better
        retracked = _tracked(x, fps, moved)
        if not len(retracked):
            sections = moved
            break
        times, sections = retracked, moved
    if snap and len(times):
        tracked = times
        times, flags = _snap_sections(times, sections, spread, fps)
        near = _nearest_distance(times, tracked)
        local = period_curve(sections, fps, len(x))[np.clip(np.rint(times * fps).astype(int),
                                                            0, len(x) - 1)] / fps
        times = times[near < 0.3 * np.nan_to_num(local, nan=0.0)]  # keep the gaps
    times = times[(times >= 0) & (times <= len(x) / fps)] - _LATENCY_S
    return BeatTrack(np.maximum(times, 0.0), _confidence(x, times + _LATENCY_S, fps), flags,
                     sections)
