"""Downbeats and time signature from tracked beats, and the off-beat check of the beats.

Beats are sampled on a beat-synchronous grid and compared with the bar templates of
:mod:`core.analysis.bar_templates`. The meter (4/4, 3/4, or 6/8 counted in dotted quarters)
comes first: the best template fit of each meter plus a beat-similarity cue (beats one bar apart
resemble each other more than beats a rival bar length apart) and a triple/duple subdivision
test; the tempo stage's family is favoured. The bar phase then adds two cues to the template
fit: fills end a bar (the deviation from the average beat drops across the bar line), and in
full mixes chords change on bar lines (spectral change at the beats of that phase). Where the
transcribed crash cymbals agree on a phase (a crash opens a phrase, after a fill or at a drop),
that phase is bar 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.bar_templates import (
    LOW,
    MID,
    TEMPLATES,
    BarTemplate,
    beat_grid,
    rotation_scores,
    subdivision,
)
from core.analysis.beats import RhythmFrames, nearest_index
from core.analysis.groove import beat_phases
from core.results import TimeSignature

_TERNARY = 0.1           # subdivision above which tracked beats count as triple


@dataclass(frozen=True)
class Downbeats:
    """Downbeat times (s), the time signature (``None`` without beats) and a confidence 0–1."""

    times: np.ndarray
    time_signature: TimeSignature | None
    confidence: float


_METER_LAGS = {4: (4, 3), 3: (3, 4), 2: (2, 3)}  # beats per bar: (own lag, rival lag)
_W_METER = 1.0           # weight of the beat-similarity meter cue
_FAMILY_BONUS = 0.1      # bonus of the template family the tempo stage chose
_W_HARMONY = 0.4         # weight of the chord-change cue in the bar phase
_TONAL_CHANGE = 0.12     # median spectral change above which the audio is treated as drums
_W_PHRASE = 0.15         # weight of the bar-line novelty (crashes, fills) in the bar phase
_ANCHOR_WINDOW = 0.125   # phase half-width (beats) around a beat or half beat for anchor_phase
_ANCHOR_MIN = 8          # fewest such hits for a verdict
_ANCHOR_RATIO = 4.0      # one half must outweigh the other this many times
PHASE_ANCHORS: dict[str, tuple[str, ...]] = {
    "fourfloor": ("kick",), "backbeat": ("snare", "clap"), "halftime": ("snare", "clap"),
}
"""The instruments that mark the beats of each groove family (see :func:`anchor_phase`)."""


def _beat_similarity(grid: np.ndarray, steps: int, lag: int) -> float:
    """Mean cosine similarity of the band patterns of beats ``lag`` apart."""
    per_beat = grid.reshape(grid.shape[0], -1, steps).transpose(1, 0, 2).reshape(-1,
                                                                              grid.shape[0] * steps)
    if len(per_beat) <= lag:
        return 0.0
    unit = per_beat / np.maximum(np.linalg.norm(per_beat, axis=1, keepdims=True), 1e-9)
    return float(np.mean(np.sum(unit[lag:] * unit[:-lag], axis=1)))


def _ternary(rf: RhythmFrames, beats: np.ndarray) -> bool:
    """Whether the tracked beats divide in three (6/8 counted in dotted quarters)."""
    return subdivision(beat_grid(rf, beats, 12), aligned=True) > _TERNARY


def _runs_of_beats(beats: np.ndarray) -> list[np.ndarray]:
    """Split beats at gaps longer than 1.5 median intervals (bar phase may change there)."""
    if len(beats) < 3:
        return [beats] if len(beats) else []
    ibi = np.diff(beats)
    cut = np.flatnonzero(ibi > 1.5 * np.median(ibi)) + 1
    return [run for run in np.split(beats, cut) if len(run)]


def _phrase_cue(grid: np.ndarray, steps: int, beats: int) -> np.ndarray:
    """Bar-line cue of each phase p, shape [beats]: fills (kick/snare/tom playing off the
    groove) end the bar, so the deviation from the average beat of each bar position should
    drop across a bar line. Relative to the mean deviation; 0 when nothing deviates."""
    n = grid.shape[1] // steps
    if n < 2 * beats:
        return np.zeros(beats)
    per_beat = grid[:, : n * steps].reshape(grid.shape[0], n, steps)   # [bands, beats, steps]
    position = np.arange(n) % beats
    means = np.stack([per_beat[:, position == k].mean(axis=1) for k in range(beats)], axis=1)
    drums = np.abs(per_beat - means[:, position])[[LOW, MID]].sum(axis=(0, 2))
    scale = float(drums.mean())
    if scale <= 1e-9:
        return np.zeros(beats)
    drop = np.clip((np.roll(drums, 1) - drums) / scale, -3.0, 3.0)
    drop[:2] = 0.0  # the first beat often starts from silence: no fill before it
    cue = np.array([drop[position == p].mean() for p in range(beats)])
    return np.clip(cue - cue.mean(), -1.0, 1.0)


def _harmony_cue(rf: RhythmFrames, beats: np.ndarray, per_bar: int) -> np.ndarray:
    """Chord/bass-change cue of each phase p, shape [per_bar]: chords change on bar lines, so
    the spectral change at the beats of phase p stands out (z-score of their mean)."""
    if len(beats) < 2 * per_bar:
        return np.zeros(per_bar)
    idx = np.clip(np.rint((beats - rf.start) * rf.fps).astype(int), 0, rf.frames - 1)
    change = rf.change[idx].astype(float)
    spread = float(change.std())
    if spread <= 1e-9:
        return np.zeros(per_bar)
    position = np.arange(len(beats)) % per_bar
    cue = np.array([change[position == p].mean() for p in range(per_bar)])
    # Sustained sound (pads, bass) keeps the change low between chords; drums alone change
    # the spectrum at every hit, and their "chords" mean nothing.
    tonal = np.clip((_TONAL_CHANGE - float(np.median(rf.change))) / 0.04, 0.0, 1.0)
    return tonal * (cue - cue.mean()) / spread


def _phase_scores(rf: RhythmFrames, run: np.ndarray, tmpl: BarTemplate) -> np.ndarray:
    """Score of each bar phase p (bar 1 on beat p of ``run``), shape [beats]: template fit
    plus the phrase cue."""
    grid = beat_grid(rf, run, tmpl.steps)
    scores = rotation_scores(grid, tmpl)[:: tmpl.steps][: tmpl.beats]
    return (scores + _W_PHRASE * _phrase_cue(grid, tmpl.steps, tmpl.beats)
            + _W_HARMONY * _harmony_cue(rf, run, tmpl.beats))


def _choose_template(rf: RhythmFrames, beats: np.ndarray, family: str | None,
                     templates: tuple[BarTemplate, ...]) -> BarTemplate:
    """The meter first (best template fit plus the beat-similarity cue, the tempo stage's
    family favoured), then, within that meter, the tempo stage's family where it has one.
    Beats that divide in three choose among the templates on a triple grid (6/8, swung 3/4),
    the others among the straight ones."""
    ternary = _ternary(rf, beats)
    pool = [t for t in templates if (t.steps % 3 == 0) == ternary] or list(templates)
    fits = {t: float(_phase_scores(rf, beats, t).max()) for t in pool}
    by_meter: dict[TimeSignature, float] = {}
    for tmpl, fit in fits.items():
        grid = beat_grid(rf, beats, tmpl.steps)
        own, rival = _METER_LAGS.get(tmpl.beats, (tmpl.beats, tmpl.beats + 1))
        meter = _beat_similarity(grid, tmpl.steps, own) - _beat_similarity(grid, tmpl.steps,
                                                                           rival)
        value = fit + _W_METER * meter + (_FAMILY_BONUS if tmpl.family == family else 0.0)
        by_meter[tmpl.time_signature] = max(by_meter.get(tmpl.time_signature, -np.inf), value)
    signature = max(by_meter, key=lambda k: by_meter[k])
    same = [t for t in fits if t.time_signature == signature]
    preferred = [t for t in same if t.family == family] or same
    return max(preferred, key=lambda t: fits[t])


def estimate_downbeats(rf: RhythmFrames, beats: np.ndarray, *, family: str | None = None,
                       templates: tuple[BarTemplate, ...] = TEMPLATES,
                       crashes: np.ndarray | None = None) -> Downbeats:
    """Downbeats and time signature from tracked ``beats`` (s).

    For each template (meter) and each bar phase the beat-synchronous kick/snare/hat profile is
    correlated with the template; a beat-similarity cue (beats one bar apart resemble each
    other more than beats a rival bar length apart) separates 3/4 from 4/4 and 6/8. ``family``
    (from the tempo stage) gets a small bonus. Transcribed ``crashes`` (s) that agree on one
    bar phase set it (:func:`crash_phase`). Runs of beats separated by gaps are phased
    independently. Returns :class:`Downbeats`.
    """
    beats = np.asarray(beats, dtype=float)
    runs = [r for r in _runs_of_beats(beats) if len(r) >= 2]
    if not runs:
        return Downbeats(np.zeros(0), None, 0.0)
    main = max(runs, key=len)
    tmpl = _choose_template(rf, main, family, templates)
    times, margins = [], []
    for run in runs:
        scores = _phase_scores(rf, run, tmpl) if len(run) >= tmpl.beats else np.zeros(1)
        phase = int(np.argmax(scores))
        crash = crash_phase(run, crashes, tmpl.beats) if crashes is not None else -1
        if crash >= 0:  # the crashes agree on bar 1: they outrank the templates
            phase = crash
        times.append(run[phase::tmpl.beats])
        ordered = np.sort(scores)[::-1]
        margins.append((ordered[0] - (ordered[1] if len(ordered) > 1 else 0.0)) * len(run))
    confidence = float(np.clip(sum(margins) / len(beats) / 0.3, 0.0, 1.0))
    return Downbeats(np.concatenate(times), tmpl.time_signature, confidence)


_SHIFT_MARGIN = 0.05     # template score gain needed to move the beats off their phase
_CRASH_WINDOW = 0.07     # s: a crash this close to a beat plays on it …
_CRASH_MIN = 2           # … and this many such crashes, …
_CRASH_AGREE = 0.75      # … this share of them on one bar phase, settle where bar 1 is
_CHORD_MARGIN = 0.5      # chord-change evidence (std) that overrides the template


def _half_beat_chords(rf: RhythmFrames, beats: np.ndarray, per_bar: int) -> float:
    """How much more the chords change half way between the beats than on them (in standard
    deviations of the change at both; 0 for drums alone): positive means the tracker sits on
    the off-beats."""
    tonal = np.clip((_TONAL_CHANGE - float(np.median(rf.change))) / 0.04, 0.0, 1.0)
    if tonal <= 0 or len(beats) < 2 * per_bar:
        return 0.0
    mids = 0.5 * (beats[1:] + beats[:-1])
    values = []
    for times in (beats[:-1], mids):
        idx = np.clip(np.rint((times - rf.start) * rf.fps).astype(int), 0, rf.frames - 1)
        values.append(rf.change[idx].astype(float))
    spread = float(np.concatenate(values).std())
    if spread <= 1e-9:
        return 0.0
    position = np.arange(len(mids)) % per_bar
    on, off = (max(v[position == p].mean() for p in range(per_bar)) for v in values)
    return float(tonal * (off - on) / spread)


def crash_phase(beats: np.ndarray, crashes: np.ndarray, per_bar: int) -> int:
    """The bar phase the crash cymbals agree on: the index (0 … ``per_bar`` − 1) of the first
    downbeat among ``beats`` (s), or ``-1`` when they do not say clearly.

    A crash marks bar 1 of a new phrase (after a fill, at a drop). Crashes within
    ±:data:`_CRASH_WINDOW` of a beat count; the verdict needs at least :data:`_CRASH_MIN` of
    them and :data:`_CRASH_AGREE` of them on one phase, so a crash on another beat (an accent)
    does not move bar 1 and a track without crashes keeps the templates' phase.
    """
    beats = np.asarray(beats, dtype=float)
    crashes = np.asarray(crashes, dtype=float)
    if len(beats) < max(per_bar, 2) or len(crashes) < _CRASH_MIN:
        return -1
    nearest = nearest_index(crashes, beats)
    on_beat = np.abs(beats[nearest] - crashes) < _CRASH_WINDOW
    if int(on_beat.sum()) < _CRASH_MIN:
        return -1
    counts = np.bincount(nearest[on_beat] % per_bar, minlength=per_bar)
    best = int(np.argmax(counts))
    agree = counts[best] >= _CRASH_MIN and counts[best] >= _CRASH_AGREE * counts.sum()
    return best if agree else -1


def anchor_phase(beats: np.ndarray, times: np.ndarray, weights: np.ndarray) -> int:
    """Which half of the beat a groove's anchor hits sit on: ``0`` on the beats, ``1`` half
    way between them, ``-1`` when they do not say clearly.

    The anchors (:data:`PHASE_ANCHORS`) are the hits that play on beats in a groove family:
    the kick of four-on-the-floor, the snare or clap of a backbeat (beats 2 and 4) or of a
    half-time groove (beat 3). ``times`` (s) lie around ``beats``, ``weights`` are their
    velocities; only hits within ±:data:`_ANCHOR_WINDOW` of a beat or of a half beat count.
    The verdict needs at least :data:`_ANCHOR_MIN` of them and one half
    :data:`_ANCHOR_RATIO` times the other's weight. Measured on the generated development
    set (truth hits on truth beats): in 24 house/techno clips at most 0.25 of the kick weight
    falls on the off-beat half; in 72 drum & bass, jungle, breakbeat, hip-hop, dubstep and
    trap clips at most 0.25 of the snare/clap weight does, except one hip-hop groove with as
    many snares between beats as on them (no verdict).
    """
    if len(beats) < 3 or len(times) == 0:
        return -1
    _, phase = beat_phases(times, beats)
    on = (phase < _ANCHOR_WINDOW) | (phase > 1.0 - _ANCHOR_WINDOW)
    half = np.abs(phase - 0.5) < _ANCHOR_WINDOW
    if int(on.sum() + half.sum()) < _ANCHOR_MIN:
        return -1
    w_on, w_half = float(weights[on].sum()), float(weights[half].sum())
    if w_half > _ANCHOR_RATIO * w_on:
        return 1
    if w_on > _ANCHOR_RATIO * w_half:
        return 0
    return -1


def correct_beat_phase(rf: RhythmFrames, beats: np.ndarray, family: str | None, *,
                       anchors: np.ndarray | None = None,
                       anchor_weights: np.ndarray | None = None) -> np.ndarray:
    """Move ``beats`` (s) onto the beat positions of the groove when the tracker locked to
    off-beats (a trap kick pattern has more onsets on the "and"s than on the beats).

    The beat-synchronous profile is correlated with the ``family`` template at every step
    rotation; when the best rotation lies between beats (and beats the best on-beat rotation
    by a margin) every beat moves by that fraction of its interval. In full mixes, chord
    changes (which fall on beats) overrule the template about half-beat shifts: an off-beat
    bass line can fool the drum evidence, not the harmony. Last, the transcribed ``anchors``
    of the family (times in s of its :data:`PHASE_ANCHORS` hits, with ``anchor_weights``,
    e.g. velocities) decide the half when they say it clearly (:func:`anchor_phase`): the
    kick of a four-on-the-floor plays every beat while an off-beat bass and open hat can
    outweigh it in the onset novelty, and a backbeat's snare lands on beats while its kick
    pattern (trap, hip-hop) may fill the "and"s.
    """
    chosen = [t for t in TEMPLATES if t.family == family]
    if len(beats) < 8 or not chosen:
        return beats
    grids = [beat_grid(rf, beats, t.steps) for t in chosen]
    tmpl = max(zip(chosen, grids, strict=True),
               key=lambda pair: float(rotation_scores(pair[1], pair[0]).max()))[0]
    if anchors is not None and anchor_weights is None:
        anchor_weights = np.ones(len(anchors))
    out = []
    for run in _runs_of_beats(beats):
        if len(run) < 2 * tmpl.beats:
            out.append(run)
            continue
        scores = rotation_scores(beat_grid(rf, run, tmpl.steps), tmpl)
        best = int(np.argmax(scores))
        sub = best % tmpl.steps
        if scores[best] - float(scores[:: tmpl.steps].max()) < _SHIFT_MARGIN:
            sub = 0
        if family == "fourfloor" and sub == tmpl.steps // 2:
            sub = 0  # house/techno: an off-beat bass or open hat is the style, not a lost beat
        chords = _half_beat_chords(rf, run, tmpl.beats)  # chords change on beats, not between
        if chords > _CHORD_MARGIN:
            sub = tmpl.steps // 2 if tmpl.steps % 2 == 0 else sub
        elif chords < -_CHORD_MARGIN and sub == tmpl.steps // 2:
            sub = 0
        ends = np.append(run[1:], 2 * run[-1] - run[-2])
        if family in PHASE_ANCHORS and anchors is not None and tmpl.steps % 2 == 0:
            span = (anchors >= run[0] - 0.5 * (ends[0] - run[0])) & (anchors < ends[-1])
            verdict = anchor_phase(run, anchors[span], anchor_weights[span])
            if verdict >= 0:
                sub = verdict * (tmpl.steps // 2)
        out.append(run + (ends - run) * sub / tmpl.steps)
    return np.concatenate(out) if out else beats
