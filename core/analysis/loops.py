"""Best-loop finder: rank bar-aligned windows of a track by how well they loop.

A candidate is a window of ``bars`` bars starting on a downbeat. Each is scored 0–1 on five
criteria, combined with :data:`WEIGHTS`:

* **drums** — pattern completeness: in every bar, the drum groups the track's full-beat bars
  have (kick; snare/clap/rim; hi-hats/ride) are present, and the bar is about as busy as those
  bars (hits from :mod:`core.analysis.drums`);
* **low_end** — the "four on the floor" idea: onset strength of the signal below 200 Hz in the
  window, relative to the track's strongest bars;
* **repetition** — how much each bar resembles its neighbours (the next bar, or the one after
  for two-bar patterns), on onset patterns per 16th step and mel band;
* **join** — a seamless loop point: what follows the window in the track resembles its first
  bar, the bar before it resembles its last bar, the last beat leads into bar 1 as the track's
  own lead-in does, and the level does not jump there;
* **stability** — no fill or section change inside: every bar resembles some other bar of the
  window (spectrally and in its drum hits), and no section boundary falls inside.

The features (log-mel bands at 100 frames/s, pooled to :data:`POOLED_BANDS`) are computed in one
streaming pass over the file, so a 60-minute mix is never held in memory as audio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.analysis.drum_model.features import FRAME_RATE, N_BANDS, FeatureStream, band_frequencies
from core.errors import CoreError, InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.results import DrumHit, Loop, TrackAnalysis

LOOP_BARS = (1, 2, 4, 8, 16)
"""Loop lengths offered, in bars."""
WEIGHTS = {"drums": 0.30, "low_end": 0.15, "repetition": 0.20, "join": 0.15, "stability": 0.20}
"""Weight of each criterion in the total score (they sum to 1)."""
POOLED_BANDS = 24
"""Mel bands kept for the bar patterns (the 96 feature bands, averaged in groups of 4)."""
LOW_END_HZ = 200.0
"""Upper edge (Hz) of the low end whose onsets make the "four on the floor" score."""
_LEVEL_SCALE_DB = 6.0     # mean band-level difference (dB) that costs e^-1 of the similarity
_JOIN_JUMP_DB = 6.0       # level jump (dB, beyond 3 dB) at the loop point costing e^-1 of the join
_STABLE_LOW, _STABLE_HIGH = 0.6, 0.95   # a bar's best match to another bar: 0 … 1 stability
_SAME_BAR = 0.85          # bar similarity above which two bars play the same pattern
_GROUPS = {"kick": "kick", "snare": "snare", "clap": "snare", "rim": "snare",
           "hihat_closed": "hats", "hihat_pedal": "hats", "hihat_open": "hats", "ride": "hats",
           "crash": "crash", "tom_low": "toms", "tom_mid": "toms", "tom_high": "toms",
           "percussion": "perc"}
_CORE_GROUPS = ("kick", "snare", "hats")


class NoBeatGrid(CoreError):
    """The track has no beat grid (no tempo or no downbeats), so it has no bars to loop."""


@dataclass(frozen=True)
class LoopCandidate:
    """One ranked loop window.

    ``start``/``end`` in seconds (``end`` is the downbeat after the last bar, so the window is
    exactly ``bars`` bars), ``first_bar`` the 0-based index of its first bar in the track,
    ``score`` (0–1) the weighted total, ``scores`` each criterion (0–1) and ``reasons`` short
    sentences a producer can read.
    """

    start: float
    end: float
    bars: int
    first_bar: int
    score: float
    scores: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()

    def as_loop(self) -> Loop:
        """The :class:`core.results.Loop` of this candidate."""
        return Loop(self.start, self.end, self.bars, round(self.score, 4))


@dataclass(frozen=True)
class BarFeatures:
    """Per-bar descriptors of a track.

    ``starts`` (s) has one entry per bar plus the end of the last bar. ``onsets``
    ``[bars, steps, POOLED_BANDS]``: positive band-level change (feature units per frame)
    averaged per step; ``levels`` ``[bars, POOLED_BANDS]`` mean band level (dB);
    ``low_onsets`` ``[bars]`` mean low-end onset strength; ``tail_levels``
    ``[bars, POOLED_BANDS]`` the mean band level (dB) over the last quarter of each bar (the
    bar's last beat in 4/4), which is what plays into the next bar.
    """

    starts: np.ndarray
    onsets: np.ndarray
    levels: np.ndarray
    low_onsets: np.ndarray
    tail_levels: np.ndarray

    @property
    def count(self) -> int:
        """Number of bars."""
        return len(self.starts) - 1


def bar_starts(analysis: TrackAnalysis) -> np.ndarray:
    """Start times (s) of every whole bar plus the end of the last one.

    The bar after the last downbeat counts when it ends inside the track (its length is the
    median bar length). Raises :class:`NoBeatGrid` when the analysis has no grid.
    """
    downbeats = np.asarray(analysis.downbeats, dtype=float)
    if analysis.tempo is None or len(downbeats) < 2:
        why = next((w for w in analysis.warnings if "tempo" in w or "beat" in w), None)
        raise NoBeatGrid(f"{analysis.file.path}: no beat grid"
                         + (f" ({why})" if why else " (no tempo or downbeats were found)")
                         + "; a loop needs bars")
    bar = float(np.median(np.diff(downbeats)))
    if downbeats[-1] + bar <= analysis.duration + 1e-3:
        downbeats = np.append(downbeats, downbeats[-1] + bar)
    return downbeats


def steps_per_bar(analysis: TrackAnalysis) -> int:
    """16th-note steps in one bar (16 in 4/4, 12 in 3/4 and 6/8)."""
    ts = analysis.time_signature
    if ts is None:
        return 16
    return max(4, round(16 * ts.numerator / ts.denominator))


def _pool(frames: np.ndarray) -> np.ndarray:
    group = N_BANDS // POOLED_BANDS
    return frames.reshape(len(frames), POOLED_BANDS, group).mean(axis=2)


def stream_features(path: str | Path, *, cancel: CancelToken | None = None,
                    progress: ProgressCallback | None = None,
                    duration: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pooled log-mel frames ``[frames, POOLED_BANDS]`` and the low-end level ``[frames]``
    (both in feature units: dB / 20) of a file, in one streaming pass at 100 frames/s."""
    from core.audio import blocks

    stream: FeatureStream | None = None
    pooled: list[np.ndarray] = []
    low: list[np.ndarray] = []
    low_bands = band_frequencies() < LOW_END_HZ
    done = 0.0
    for block in blocks(path, seconds=10.0, mono=True, cancel=cancel):
        if stream is None:
            stream = FeatureStream(block.sample_rate)
        frames = stream.feed(block.samples.reshape(-1))
        pooled.append(_pool(frames))
        low.append(frames[:, low_bands].mean(axis=1))
        done += block.samples.shape[-1] / block.sample_rate
        if duration:
            report(progress, min(done / duration, 1.0), "loop features")
    if stream is not None:
        frames = stream.finish()
        pooled.append(_pool(frames))
        low.append(frames[:, low_bands].mean(axis=1))
    if not pooled:
        return np.zeros((0, POOLED_BANDS), np.float32), np.zeros(0, np.float32)
    return np.concatenate(pooled), np.concatenate(low)


def features_of_samples(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`stream_features` of audio in memory (mono or ``[channels, frames]``)."""
    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=0)
    stream = FeatureStream(sample_rate)
    frames = np.concatenate([stream.feed(mono), stream.finish()])
    return _pool(frames), frames[:, band_frequencies() < LOW_END_HZ].mean(axis=1)


def bar_features(pooled: np.ndarray, low: np.ndarray, starts: np.ndarray,
                 steps: int) -> BarFeatures:
    """Summarise frame features per bar (see :class:`BarFeatures`)."""
    flux = np.maximum(np.diff(pooled, axis=0, prepend=pooled[:1]), 0.0)
    low_flux = np.maximum(np.diff(low, prepend=low[:1]), 0.0)
    total = len(pooled)
    n = len(starts) - 1
    onsets = np.zeros((n, steps, POOLED_BANDS), np.float32)
    levels = np.zeros((n, POOLED_BANDS), np.float32)
    low_onsets = np.zeros(n, np.float32)
    tail_levels = np.zeros((n, POOLED_BANDS), np.float32)
    for b in range(n):
        a_f = min(total, round(starts[b] * FRAME_RATE))
        z_f = min(total, max(a_f + steps, round(starts[b + 1] * FRAME_RATE)))
        if z_f - a_f < steps:
            continue
        cuts = np.linspace(a_f, z_f, steps + 1).round().astype(int)
        for s in range(steps):
            onsets[b, s] = flux[cuts[s]:max(cuts[s + 1], cuts[s] + 1)].mean(axis=0)
        levels[b] = pooled[a_f:z_f].mean(axis=0) * 20.0
        low_onsets[b] = low_flux[a_f:z_f].mean()
        tail_levels[b] = pooled[z_f - (z_f - a_f) // 4:z_f].mean(axis=0) * 20.0
    return BarFeatures(starts, onsets, levels, low_onsets, tail_levels)


def _pattern_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity (0–1) of two non-negative onset patterns."""
    x, y = a.reshape(-1), b.reshape(-1)
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y / norm) if norm > 1e-12 else (1.0 if not x.any() and not y.any() else 0.0)


def _level_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """``exp(−mean |Δ dB| / 6 dB)`` of two band-level vectors (1 = same spectrum and level)."""
    return float(np.exp(-np.abs(a - b).mean() / _LEVEL_SCALE_DB))


def _bar_similarity(f: BarFeatures, i: int, j: int) -> float:
    """Similarity (0–1) of bars ``i`` and ``j``: onset pattern (70 %) and spectrum (30 %)."""
    return (0.7 * _pattern_similarity(f.onsets[i], f.onsets[j])
            + 0.3 * _level_similarity(f.levels[i], f.levels[j]))


def _tail_similarity(f: BarFeatures, i: int, j: int) -> float:
    """Similarity (0–1) of the last quarter of bars ``i`` and ``j`` (what leads into the
    next bar): onset pattern (50 %) and spectrum and level (50 %)."""
    steps = f.onsets.shape[1]
    tail = slice(steps - max(1, steps // 4), steps)
    return (0.5 * _pattern_similarity(f.onsets[i, tail], f.onsets[j, tail])
            + 0.5 * _level_similarity(f.tail_levels[i], f.tail_levels[j]))


def _hit_patterns(hits: Sequence[DrumHit], starts: np.ndarray, steps: int
                  ) -> list[set[tuple[str, int]]]:
    """Per bar, the set of (drum group, 16th step) with a hit (crashes left out)."""
    patterns: list[set[tuple[str, int]]] = [set() for _ in range(len(starts) - 1)]
    if not hits:
        return patterns
    times = np.array([h.time for h in hits])
    bar = np.searchsorted(starts, times, side="right") - 1
    for hit, b in zip(hits, bar, strict=True):
        if 0 <= b < len(patterns):
            group = _GROUPS.get(hit.instrument, "perc")
            phase = (hit.time - starts[b]) / (starts[b + 1] - starts[b])
            patterns[b].add((group, round(float(phase) * steps) % steps))
    return patterns


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


@dataclass(frozen=True)
class _TrackContext:
    features: BarFeatures
    patterns: list[set[tuple[str, int]]]
    groups: list[set[str]]
    typical_groups: set[str]
    typical_density: float
    low_reference: float
    boundaries: np.ndarray
    _similar: dict[tuple[int, int], float] = field(default_factory=dict)

    def similarity(self, i: int, j: int) -> float:
        """:func:`_bar_similarity` of bars ``i`` and ``j``, computed once per pair (windows
        overlap, so each pair is asked for by many of them)."""
        key = (i, j) if i < j else (j, i)
        value = self._similar.get(key)
        if value is None:
            value = self._similar[key] = _bar_similarity(self.features, i, j)
        return value


def _context(features: BarFeatures, analysis: TrackAnalysis, steps: int) -> _TrackContext:
    patterns = _hit_patterns(analysis.drum_hits, features.starts, steps)
    groups = [{g for g, _ in p} for p in patterns]
    sizes = np.array([len(p) for p in patterns], dtype=float)
    busy = sizes >= max(1.0, 0.5 * float(np.percentile(sizes, 90))) if len(sizes) else sizes > 0
    counts = {g: sum(1 for k, gs in enumerate(groups) if busy[k] and g in gs)
              for g in _CORE_GROUPS}
    n_busy = max(1, int(busy.sum()))
    typical = {g for g, c in counts.items() if c >= 0.5 * n_busy}
    density = float(np.median(sizes[busy])) if busy.any() else 0.0
    low_ref = float(np.percentile(features.low_onsets, 90)) if features.count else 0.0
    boundaries = np.array([s.start for s in analysis.segments[1:]], dtype=float)
    return _TrackContext(features, patterns, groups, typical, density, low_ref, boundaries)


def _score_window(ctx: _TrackContext, first: int, bars: int) -> LoopCandidate:
    f = ctx.features
    idx = list(range(first, first + bars))
    reasons: list[str] = []
    # drums: completeness and density per bar
    if ctx.typical_groups:
        per_bar = []
        for k, b in enumerate(idx):
            have = ctx.groups[b] & ctx.typical_groups
            missing = ctx.typical_groups - have
            density = min(1.0, len(ctx.patterns[b]) / ctx.typical_density) \
                if ctx.typical_density else 1.0
            per_bar.append(0.7 * len(have) / len(ctx.typical_groups) + 0.3 * density)
            if missing and len(missing) < len(ctx.typical_groups):
                reasons.append(f"bar {k + 1}: no {', '.join(sorted(missing))}")
            elif missing:
                reasons.append(f"bar {k + 1}: no drums")
        drums = float(np.mean(per_bar))
        if drums > 0.95:
            reasons.insert(0, f"full beat ({', '.join(sorted(ctx.typical_groups))}) in every bar")
    else:
        drums = 0.0
        reasons.append("no drum hits were found in this track")
    low_end = float(np.clip(f.low_onsets[idx].mean() / ctx.low_reference, 0.0, 1.0)) \
        if ctx.low_reference > 0 else 0.0
    # repetition: each bar against the next one or the one after (two-bar patterns)
    if bars == 1:
        neighbours = [j for j in (first - 1, first + 1) if 0 <= j < f.count]
        repetition = max((ctx.similarity(first, j) for j in neighbours), default=0.0)
    else:
        reps = []
        for b in idx[:-1]:
            options = [b + 1] + ([b + 2] if b + 2 <= idx[-1] else [])
            reps.append(max(ctx.similarity(b, j) for j in options))
        repetition = float(np.mean(reps))
    # join: at the loop point the loop's last bar leads into its first bar; it should sound
    # like what leads into that bar in the track (the bar before the window), and the bar
    # after the window should resemble the first bar (the track continues as the loop does)
    last = idx[-1]
    pairs = [(first, last + 1), (first - 1, last)]
    sims = [ctx.similarity(a, b) for a, b in pairs if 0 <= a < f.count and 0 <= b < f.count]
    continuity = float(np.mean(sims)) if sims else ctx.similarity(first, last)
    # what leads into bar 1: the bar before the window, or inside it any bar before a bar like
    # bar 1 (the bar before the window may itself be a fill the loop leaves out)
    leads = [first - 1] if first > 0 else []
    leads += [b - 1 for b in idx[1:] if ctx.similarity(b, first) > _SAME_BAR]
    lead_in = max(leads, key=lambda b: _tail_similarity(f, last, b), default=None)
    tail = _tail_similarity(f, last, lead_in) if lead_in is not None else continuity
    join = 0.5 * continuity + 0.5 * tail
    if lead_in is not None:
        jump_db = abs(float(f.tail_levels[last].mean() - f.tail_levels[lead_in].mean()))
        join *= float(np.exp(-max(0.0, jump_db - 3.0) / _JOIN_JUMP_DB))
        if jump_db > 4.0:
            reasons.append(f"level changes {jump_db:.1f} dB into the loop point")
    if tail < 0.7:
        reasons.append("the last beat leads back to bar 1 unlike the track does (fill or break "
                       "at the end?)")
    # stability: every bar resembles another bar of the window (else: a fill or a change)
    if bars == 1:
        stability = repetition
    else:
        worst, worst_bar = 1.0, 0
        for k, b in enumerate(idx):
            best = max(0.5 * ctx.similarity(b, c)
                       + 0.5 * _jaccard(ctx.patterns[b], ctx.patterns[c])
                       for c in idx if c != b)
            if best < worst:
                worst, worst_bar = best, k
        stability = float(np.clip((worst - _STABLE_LOW) / (_STABLE_HIGH - _STABLE_LOW), 0, 1))
        if worst < 0.8:
            reasons.append("the two bars differ (a fill or a change)" if bars == 2 else
                           f"bar {worst_bar + 1} differs from the others (fill or change)")
    start, end = float(f.starts[first]), float(f.starts[first + bars])
    inside = ctx.boundaries[(ctx.boundaries > start + 1e-3) & (ctx.boundaries < end - 1e-3)]
    if len(inside):
        stability *= 0.5
        reasons.append(f"section boundary inside at {inside[0]:.2f} s")
    scores = {"drums": drums, "low_end": low_end, "repetition": repetition, "join": join,
              "stability": stability}
    total = sum(WEIGHTS[k] * v for k, v in scores.items())
    if repetition > 0.9:
        reasons.append("bars repeat closely")
    return LoopCandidate(start, end, bars, first, float(total),
                         {k: round(float(v), 4) for k, v in scores.items()}, tuple(reasons))


def rank_loops(features: BarFeatures, analysis: TrackAnalysis, *, bars: int = 4,
               steps: int = 16, cancel: CancelToken | None = None) -> list[LoopCandidate]:
    """Score every downbeat-aligned window of ``bars`` bars; best first."""
    if bars < 1:
        raise InvalidParameter(f"a loop needs at least 1 bar, got {bars}")
    if features.count < bars:
        raise InvalidParameter(
            f"{analysis.file.path}: a {bars}-bar loop is longer than the track "
            f"({features.count} whole bars)")
    ctx = _context(features, analysis, steps)
    out = []
    for first in range(features.count - bars + 1):
        if first % 64 == 0:
            check_cancel(cancel)
        out.append(_score_window(ctx, first, bars))
    out.sort(key=lambda c: (-c.score, c.first_bar))
    return out


def find_loops(path: str | Path, analysis: TrackAnalysis, *, bars: int = 4,
               drum_stem: str | Path | None = None, top: int = 10,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[LoopCandidate]:
    """The ``top`` best loops of ``bars`` bars in the track at ``path``.

    ``analysis`` is the track's analysis (beats, downbeats, drum hits, sections). With a
    ``drum_stem`` the onset and low-end criteria are measured on that stem. Raises
    :class:`NoBeatGrid` on a track without a grid and :class:`InvalidParameter` when the loop
    is longer than the track.
    """
    starts = bar_starts(analysis)
    if len(starts) - 1 < bars:
        raise InvalidParameter(
            f"{analysis.file.path}: a {bars}-bar loop is longer than the track "
            f"({len(starts) - 1} whole bars)")
    features = track_bar_features(path, analysis, drum_stem=drum_stem, progress=progress,
                                  cancel=cancel)
    report(progress, 0.9, "ranking loops")
    ranked = rank_loops(features, analysis, bars=bars, steps=steps_per_bar(analysis),
                        cancel=cancel)
    report(progress, 1.0, "loops")
    return ranked[:max(1, top)]


def track_bar_features(path: str | Path, analysis: TrackAnalysis, *,
                       drum_stem: str | Path | None = None,
                       progress: ProgressCallback | None = None,
                       cancel: CancelToken | None = None) -> BarFeatures:
    """:class:`BarFeatures` of the track at ``path`` (or of its ``drum_stem``) on the bars of
    ``analysis``, in one streaming pass. Raises :class:`NoBeatGrid` without a grid."""
    starts = bar_starts(analysis)
    report(progress, 0.0, "loop features")
    pooled, low = stream_features(drum_stem if drum_stem is not None else path, cancel=cancel,
                                  progress=progress, duration=analysis.duration)
    return bar_features(pooled, low, starts, steps_per_bar(analysis))
