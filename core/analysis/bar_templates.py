"""Bar templates: where kick, snare and hats of each style family fall within one bar, and the
folding that compares a stretch of audio with them.

A *bar template* puts the kick (LOW band), the snare (MID band with some HIGH) and the hats
(HIGH band) of a style family on a step grid of one bar (16ths for 4/4 and 3/4; in 6/8, whose
beats are dotted quarters, two per bar, six 16ths per beat; swung 3/4 on a triplet grid of six
steps per beat). Folding the band novelty of many
bars onto one bar and correlating it with the templates at every rotation tells the tempo stage
which metrical level a producer would label (a two-step at 174 folds into a kick-snare backbeat
at 174 but into "a snare on every beat" at 87; half-time dubstep fits the half-time family at
140) and the downbeat stage where bar 1 lies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.beats import RhythmFrames
from core.analysis.onsets import BANDS
from core.results import TimeSignature

LOW, MID = BANDS.index("low"), BANDS.index("mid")  # rows of the bands in novelty arrays
HIGH, FULL = BANDS.index("high"), BANDS.index("full")
_W_FILL = 0.3            # penalty weight of unevenly filled main kick/snare slots
_W_SUBDIVISION = 0.3     # template-score weight of the triple/duple subdivision …
_SUBDIVISION_FULL = 0.5  # … which counts in full from this strength on (see fit_templates)
_FOLD_CHUNK_BEATS = 24   # beats per chunk whose grid phase is re-estimated (3/4, 4/4, 6/8 bars)
_KICK_LATE_S = 0.06      # a step's kick (LOW band) evidence is looked for up to this much later:
                         # a pitch-swept kick reaches the band below 150 Hz only as it falls


@dataclass(frozen=True)
class BarTemplate:
    """Where kick, snare and hats of a style family fall within one bar.

    ``beats`` per bar, ``steps`` per beat; ``kick``/``snare``/``hat`` map step index → weight
    (the hat row describes the subdivision: straight 8ths, or triplet 8ths in 6/8).
    ``family`` names the template's prior group in :mod:`core.analysis.tempo`; ``weights`` weigh
    the kick, snare and hat rows in the fit.
    """

    family: str
    beats: int
    steps: int
    kick: tuple[tuple[int, float], ...]
    snare: tuple[tuple[int, float], ...]
    hat: tuple[tuple[int, float], ...]
    time_signature: TimeSignature
    weights: tuple[float, float, float] = (1.0, 1.2, 0.5)

    @property
    def length(self) -> int:
        """Steps per bar."""
        return self.beats * self.steps

    def vectors(self) -> np.ndarray:
        """Kick, snare and hat templates [3, length], each zero-mean and unit-norm."""
        out = np.zeros((3, self.length))
        for row, pairs in enumerate((self.kick, self.snare, self.hat)):
            for step, weight in pairs:
                out[row, step] = weight
        return _unit_rows(out)


def _every(length: int, stride: int, weight: float = 1.0, start: int = 0
           ) -> tuple[tuple[int, float], ...]:
    return tuple((k, weight) for k in range(start, length, stride))


_EIGHTHS = _every(16, 2) + _every(16, 2, 0.4, 1)
_FLOOR_WEIGHTS = (1.5, 0.8, 0.5)  # four-on-the-floor: the kick defines it, the bass may not
TEMPLATES: tuple[BarTemplate, ...] = (
    BarTemplate("fourfloor", 4, 4, _every(16, 4), ((4, 1), (12, 1)),
                _every(16, 2, 0.5) + _every(16, 4, 1.0, 2), TimeSignature(4, 4), _FLOOR_WEIGHTS),
    BarTemplate("fourfloor", 4, 4, _every(16, 4), _every(16, 4),   # no clap: kick leakage
                _every(16, 2, 0.5) + _every(16, 4, 1.0, 2), TimeSignature(4, 4), _FLOOR_WEIGHTS),
    BarTemplate("backbeat", 4, 4, ((0, 1), (8, .4), (10, .6), (7, .3), (2, .2)),
                ((4, 1), (12, 1)), _EIGHTHS, TimeSignature(4, 4)),
    BarTemplate("halftime", 4, 4, ((0, 1), (3, .3), (7, .3), (10, .5), (14, .2)),
                ((8, 1),), _EIGHTHS, TimeSignature(4, 4)),
    BarTemplate("waltz", 3, 4, ((0, 1), (6, .3)), ((4, 1), (8, 1)),
                _every(12, 2) + _every(12, 2, 0.4, 1), TimeSignature(3, 4)),
    BarTemplate("waltz", 3, 6, ((0, 1), (10, .3)), ((6, 1), (12, 1)),   # swung: jazz waltz
                _every(18, 6) + _every(18, 6, 0.7, 4), TimeSignature(3, 4)),
    BarTemplate("sixeight", 2, 6, ((0, 1), (4, .3)), ((6, 1),), _every(12, 2),
                TimeSignature(6, 8)),
)
"""Bar templates of the style families (16th steps; 6/8 counts dotted-quarter beats of six
16ths, as the development set labels it; the swung 3/4 of a jazz waltz has six steps per beat,
a triplet grid, with its off-beat eighths on the beat's last third)."""


@dataclass(frozen=True)
class PatternFit:
    """How well one template explains a stretch of audio at one tempo: ``score`` (−1…1, the
    weighted kick/snare/hat correlation) at the best ``rotation`` (steps from the fold origin
    to bar 1), ``bar_start`` (s), the time of one bar 1 implied by that rotation, and
    ``coverage`` (0–1), the share of the onset mass that falls on the template's step grid."""

    template: BarTemplate
    score: float
    rotation: int
    bar_start: float
    coverage: float = 0.0


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row (last axis) zero-mean and unit-norm; flat rows become zeros."""
    centred = matrix - matrix.mean(axis=-1, keepdims=True)
    norms = np.linalg.norm(centred, axis=-1, keepdims=True)
    return np.divide(centred, norms, out=np.zeros_like(centred), where=norms > 1e-12)


def _drum_rows(grid: np.ndarray) -> np.ndarray:
    """Kick, snare and hat evidence [3, steps] from band novelty [bands, steps]: kick = LOW;
    snare = MID (body) with some HIGH (rattle), less the kick's leakage; hats = HIGH."""
    snare = 0.6 * grid[MID] + 0.4 * grid[HIGH] - 0.4 * grid[LOW]
    return np.stack([grid[LOW], np.maximum(snare, 0.0), grid[HIGH]])


def rotation_scores(grid: np.ndarray, template: BarTemplate) -> np.ndarray:
    """Kick/snare/hat correlation with ``template`` of step values ``grid`` [bands, steps]
    (step 0 = fold origin) at every rotation r (bar 1 at step r mod bar length).

    Half of the score is the correlation of the bar-averaged profile, half the mean
    correlation of the single bars: a 3/4 groove folded into 4-beat bars averages into a
    plausible "kick on every beat" profile, but none of its single bars looks like that.
    Returns [length] scores in −1…1.
    """
    n = template.length
    bars = grid.shape[1] // n
    if bars < 1:
        return np.zeros(n)
    per_bar = _drum_rows(grid[:, : bars * n]).reshape(3, bars, n)
    tmpl = template.vectors()
    idx = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n  # [r, s] -> template step
    rotated = np.stack([tmpl[k][idx] for k in range(3)])       # [3, r, s]
    mean_corr = np.einsum("krs,ks->kr", rotated, _unit_rows(per_bar.mean(axis=1)))
    bar_corr = np.einsum("krs,kbs->kr", rotated, _unit_rows(per_bar)) / bars
    weights = np.array(template.weights) * (np.abs(tmpl).sum(axis=1) > 0)  # skip empty rows
    score = (weights @ (0.5 * mean_corr + 0.5 * bar_corr)) / float(weights.sum())
    return score - _W_FILL * (1.0 - _fill(per_bar.mean(axis=1), template))


def _fill(profile: np.ndarray, template: BarTemplate) -> np.ndarray:
    """How evenly the main slots of the kick and snare rows are filled at every rotation,
    0…1: the weakest main slot over the strongest (a backbeat needs both its snares; a
    half-time groove read at double tempo has only one per "bar")."""
    n = template.length
    fills = []
    for row, pairs in ((0, template.kick), (1, template.snare)):
        slots = np.array([step for step, weight in pairs if weight >= 1.0])
        if len(slots) < 2:
            continue
        values = profile[row][(slots[None, :] + np.arange(n)[:, None]) % n]  # [r, slots]
        fills.append(values.min(axis=1) / np.maximum(values.max(axis=1), 1e-9))
    return np.mean(fills, axis=0) if fills else np.ones(n)


def _grid_offset(beat_fn: np.ndarray, start: float, step: float, count: int) -> float:
    """Offset in [0, step) frames of the step grid from ``start`` that collects the most
    onset strength over ``count`` steps."""
    offsets = np.arange(0.0, step, 1.0)
    pos = start + offsets[:, None] + step * np.arange(count)[None, :]
    idx = np.clip(np.rint(pos).astype(int), 0, len(beat_fn) - 1)
    return float(offsets[int(np.argmax(beat_fn[idx].sum(axis=1)))])


@dataclass(frozen=True)
class _Fold:
    grid: np.ndarray      # [bands, steps] spread novelty at consecutive grid steps
    origin: float         # s, time of grid step 0
    coverage: float       # share of the onset mass the grid captured


def fold_regular(rf: RhythmFrames, bpm: float, steps: int) -> _Fold:
    """Sample the spread novelty of ``rf`` on a regular grid of ``steps`` per beat at ``bpm``
    (the LOW band's up to :data:`_KICK_LATE_S` after each step).

    The grid phase is re-estimated every few bars (tolerates small tempo errors) while the step
    count stays continuous, so step *k* of the result is always *k* steps after the origin.
    """
    step = 60.0 * rf.fps / bpm / steps
    chunk = _FOLD_CHUNK_BEATS * steps
    total = int((rf.frames - 1) // step)
    late = round(_KICK_LATE_S * rf.fps)
    columns: list[np.ndarray] = []
    origin: float | None = None
    captured, filled = 0.0, 0
    for first in range(0, max(total, 0), chunk):
        count = min(chunk, total - first)
        if count < steps:
            break
        start = first * step
        offset = _grid_offset(rf.beat, start, step, count)
        if origin is None:
            origin = start + offset
        index0 = round((start + offset - origin) / step)
        pos = np.clip(np.rint(start + offset + step * np.arange(count)).astype(int), 0,
                      rf.frames - 1)
        captured += float(rf.peaks[pos].sum())
        values = rf.spread[:, pos]
        values[LOW] = np.max([rf.spread[LOW, np.minimum(pos + k, rf.frames - 1)]
                              for k in range(late + 1)], axis=0)
        if index0 > filled:   # a phase jump skipped steps: repeat the last column
            columns.append(np.repeat(values[:, :1], index0 - filled, axis=1))
        columns.append(values[:, max(0, filled - index0):])
        filled = index0 + count
    grid = np.hstack(columns) if columns else np.zeros((rf.nov.shape[0], 0))
    mass = float(rf.peaks.sum()) / 3.0  # each peak is spread over 3 frames
    coverage = min(1.0, captured / mass) if mass > 0 else 0.0
    return _Fold(grid, rf.start + (origin or 0.0) / rf.fps, coverage)


def fit_templates(rf: RhythmFrames, bpm: float,
                  templates: tuple[BarTemplate, ...] = TEMPLATES) -> list[PatternFit]:
    """Fit every template at tempo ``bpm`` over the frames of ``rf`` (see
    :func:`fold_regular`); the beat's triple/duple subdivision adds to the score of the
    templates on a triple grid (6/8, swung 3/4) and subtracts from the others'.

    The subdivision counts in full from a strength of :data:`_SUBDIVISION_FULL` on: readings
    a factor 1.5 apart share their fast pulse, which is the slow reading's thirds and the fast
    one's halves, so each looks "right" at its own level. How strongly it shows depends on
    ghost notes, not on which reading is right: a 6/8 at 61 BPM with ghost 16ths reads triple
    0.46 at 61 but duple 1.0 at 91.5, and counted linearly that difference outweighed the
    6/8 template's better fit.

    Returns one :class:`PatternFit` per template (same order). A span shorter than two bars of
    a template gives that template score 0.
    """
    folds = {steps: fold_regular(rf, bpm, steps) for steps in {t.steps for t in templates}}
    triple = subdivision(fold_regular(rf, bpm, 12).grid, aligned=False)
    triple = float(np.clip(triple / _SUBDIVISION_FULL, -1.0, 1.0))
    fits = []
    for tmpl in templates:
        fold = folds[tmpl.steps]
        if rf.frames / rf.fps < 2 * tmpl.beats * 60.0 / bpm:
            fits.append(PatternFit(tmpl, 0.0, 0, fold.origin, fold.coverage))
            continue
        sign = 1.0 if tmpl.steps % 3 == 0 else -1.0  # triple grids want triple, the rest duple
        scores = rotation_scores(fold.grid, tmpl) + _W_SUBDIVISION * sign * triple
        r = int(np.argmax(scores))
        fits.append(PatternFit(tmpl, float(scores[r]), r,
                               fold.origin + r * 60.0 / bpm / tmpl.steps, fold.coverage))
    return fits


def beat_grid(rf: RhythmFrames, beats: np.ndarray, steps: int) -> np.ndarray:
    """Spread novelty sampled ``steps`` times per beat between consecutive ``beats`` (s);
    the last beat uses the previous interval. Returns [bands, len(beats) * steps]."""
    if len(beats) < 2:
        return np.zeros((rf.nov.shape[0], 0))
    ends = np.append(beats[1:], 2 * beats[-1] - beats[-2])
    frac = np.arange(steps) / steps
    times = beats[:, None] + (ends - beats)[:, None] * frac[None, :]
    idx = np.clip(np.rint((times.ravel() - rf.start) * rf.fps).astype(int), 0, rf.frames - 1)
    return rf.spread[:, idx]


def subdivision(grid: np.ndarray, aligned: bool) -> float:
    """Triple-vs-duple subdivision of the beat, −1…1, from a grid of 12 steps per beat: the
    onsets (hats and all) at both thirds of the beat against those at its half and quarters.
    Without ``aligned`` beats the strongest twelfth is taken as the beat."""
    beats = grid.shape[1] // 12
    if beats < 4:
        return 0.0
    profile = (grid[HIGH] + grid[FULL])[: beats * 12].reshape(beats, 12).mean(axis=0)
    if not aligned:
        profile = np.roll(profile, -int(np.argmax(profile)))
    thirds = min(profile[4], profile[8])
    duple = max(profile[6], 0.5 * (profile[3] + profile[9]))
    return float((thirds - duple) / (thirds + duple + 1e-9))
