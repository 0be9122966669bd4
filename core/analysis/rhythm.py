"""The rhythm engine's public entry: tempo, tempo sections, beats, downbeats, time signature.

:func:`analyze_rhythm` works on :class:`core.analysis.onsets.OnsetFeatures` (built in the
pipeline's single streaming pass, so a 60-minute mix is never held in memory as audio);
:func:`analyze_rhythm_audio` builds the features from an array first (tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from core.analysis.beats import RhythmFrames, beat_novelty, track_beats
from core.analysis.downbeats import PHASE_ANCHORS, correct_beat_phase, estimate_downbeats
from core.analysis.onsets import OnsetFeatures, onset_features
from core.analysis.tempo import (
    STYLE_HINTS,
    TempoEstimate,
    _estimate,
    _silent_reason,
    _validate,
)
from core.analysis.tempo_sections import sections_of
from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.results import DrumHit, Tempo, TempoCandidate, TempoSection, TimeSignature


@dataclass(frozen=True)
class RhythmOptions:
    """Options of :func:`analyze_rhythm`.

    ``tempo_min_bpm``/``tempo_max_bpm`` bound every tempo (BPM); ``style_hint`` is one of
    :data:`core.analysis.tempo.STYLE_HINTS` ("auto" infers the producer's convention from the
    groove); ``section_window_s``/``section_hop_s`` set the tempo-section analysis (s).
    """

    tempo_min_bpm: float = 60.0
    tempo_max_bpm: float = 200.0
    style_hint: str = "auto"
    section_window_s: float = 30.0
    section_hop_s: float = 10.0

    def __post_init__(self) -> None:
        _validate(self.tempo_min_bpm, self.tempo_max_bpm, self.style_hint)
        if self.section_window_s <= 0 or self.section_hop_s <= 0:
            raise InvalidParameter("tempo-section window and hop must be positive seconds")


@dataclass(frozen=True)
class RhythmResult:
    """Rhythm of one track. Times in seconds, tempo in BPM.

    ``tempo`` is ``None`` when the audio has none, and ``reason`` then says why (silence, too
    short, no periodic onsets). ``grid_confidence`` (0–1) rates the beat grid,
    ``downbeat_confidence`` (0–1) the bar phase; ``family`` names the groove family the tempo
    choice rests on (fourfloor, backbeat, halftime, waltz, sixeight, other).
    """

    tempo: Tempo | None
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    time_signature: TimeSignature | None = None
    grid_confidence: float | None = None
    tempo_sections: tuple[TempoSection, ...] = ()
    reason: str | None = None
    downbeat_confidence: float | None = None
    family: str | None = None


def _no_rhythm(reason: str | None) -> RhythmResult:
    return RhythmResult(None, reason=reason or "no tempo")


def analyze_rhythm(features: OnsetFeatures, *, duration: float,
                   options: RhythmOptions | None = None,
                   progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None,
                   drum_hits: Sequence[DrumHit] = ()) -> RhythmResult:
    """Tempo (with ranked candidates), tempo sections, beats, downbeats and meter.

    ``features`` are the whole track's onset features, ``duration`` its length (s; no beat lies
    beyond it), ``options`` the tempo range and style hint. ``progress(fraction, stage)`` is
    called between stages and ``cancel`` checked there (raises :class:`core.errors.Cancelled`).
    Returns a :class:`RhythmResult`, with ``tempo=None`` and a ``reason`` when there is no
    rhythm.
    """
    options = options or RhythmOptions()
    report(progress, 0.0, "tempo")
    reason = _silent_reason(features)
    if reason is not None:
        report(progress, 1.0, "rhythm")
        return _no_rhythm(reason)
    rf = RhythmFrames.from_features(features)
    lo, hi, hint = options.tempo_min_bpm, options.tempo_max_bpm, options.style_hint
    estimate = _estimate(rf, lo, hi, hint)
    if estimate.tempo is None:
        report(progress, 1.0, "rhythm")
        return _no_rhythm(estimate.reason)
    check_cancel(cancel)
    report(progress, 0.3, "tempo sections")
    sections = sections_of(rf, window_s=options.section_window_s, hop_s=options.section_hop_s,
                           min_bpm=lo, max_bpm=hi, style_hint=hint)
    check_cancel(cancel)
    estimate = _agree_with_sections(rf, estimate, sections, lo, hi, hint)
    report(progress, 0.6, "beats")
    return _beats_and_bars(rf, estimate, sections, duration, progress, cancel, drum_hits)


_AGREE = 0.02
"""Log-ratio (≈ 2 %) within which the whole-track and a section tempo count as the same."""


def _agree_with_sections(rf: RhythmFrames, estimate: TempoEstimate,
                         sections: tuple[TempoSection, ...], lo: float, hi: float,
                         hint: str) -> TempoEstimate:
    """The whole-track tempo, made to agree with the longest tempo section.

    With a tempo change the whole-track periodicity mixes two tempos and can settle on neither
    (164 → 170 BPM read as 109, a ⅔ level), and its bar fold smears. The track's tempo is then
    the tempo of the section that lasts longest, with the groove family and bar phase that
    section shows at that level; the whole-track candidates that differ from it stay as the
    alternatives.
    """
    if not sections or estimate.tempo is None:
        return estimate
    longest = max(sections, key=lambda s: s.end - s.start)
    same = abs(np.log(longest.bpm / estimate.tempo.bpm)) < _AGREE
    if same and len(sections) == 1:
        return estimate
    span = rf.crop(round(longest.start * rf.fps), round(longest.end * rf.fps))
    at_level = _estimate(span, lo, hi, hint, levels=(longest.bpm,))
    if at_level.tempo is None:
        return estimate
    if same:
        return replace(estimate, family=at_level.family, bar_start=at_level.bar_start)
    bpm = longest.bpm
    others = tuple(c for c in estimate.tempo.candidates if abs(np.log(c.bpm / bpm)) >= _AGREE)
    top = TempoCandidate(bpm, float(np.clip(longest.confidence, 0.0, 1.0)))
    tempo = Tempo(bpm, top.confidence, (top, *others))
    return TempoEstimate(tempo, None, at_level.family, at_level.bar_start,
                         estimate.periodicity)


def _beats_and_bars(rf: RhythmFrames, estimate: TempoEstimate,
                    sections: tuple[TempoSection, ...], duration: float,
                    progress: ProgressCallback | None, cancel: CancelToken | None,
                    drum_hits: Sequence[DrumHit] = ()) -> RhythmResult:
    track = track_beats(beat_novelty(rf.nov), rf.fps, sections)
    wanted = PHASE_ANCHORS.get(estimate.family or "", ())
    anchors = [h for h in drum_hits if h.instrument in wanted]
    beats = correct_beat_phase(
        rf, track.times, estimate.family,
        anchors=np.array([h.time for h in anchors]) if anchors else None,
        anchor_weights=np.array([h.velocity for h in anchors], dtype=float) if anchors
        else None)
    beats = beats[beats <= duration + 1e-6]
    check_cancel(cancel)
    report(progress, 0.85, "downbeats")
    crashes = np.array([h.time for h in drum_hits if h.instrument == "crash"], dtype=float)
    bars = estimate_downbeats(rf, beats, family=estimate.family, crashes=crashes)
    report(progress, 1.0, "rhythm")
    reason = None if len(beats) else "no beats: the pulse is too weak to place a grid"
    return RhythmResult(
        tempo=estimate.tempo, beats=tuple(float(t) for t in beats),
        downbeats=tuple(float(t) for t in bars.times),
        time_signature=bars.time_signature, grid_confidence=track.confidence if len(beats)
        else 0.0, tempo_sections=track.sections or sections, reason=reason,
        downbeat_confidence=bars.confidence, family=estimate.family)


def analyze_rhythm_audio(samples: np.ndarray, sample_rate: int, *,
                         options: RhythmOptions | None = None) -> RhythmResult:
    """:func:`analyze_rhythm` of audio held in memory.

    ``samples`` is mono [frames] or [channels, frames] float (any channel count; analysed as
    the mono downmix) at ``sample_rate`` Hz. Raises :class:`InvalidParameter` on an empty or
    non-finite array or a non-positive sample rate.
    """
    data = np.asarray(samples, dtype=np.float32)
    if sample_rate <= 0:
        raise InvalidParameter(f"sample rate must be positive, got {sample_rate}")
    if data.ndim not in (1, 2) or data.size == 0:
        raise InvalidParameter(f"samples must be a non-empty [frames] or [channels, frames] "
                               f"array, got shape {data.shape}")
    if not np.isfinite(data).all():
        raise InvalidParameter("samples contain NaN or infinite values")
    duration = data.shape[-1] / sample_rate
    features = onset_features(data, sample_rate)
    return analyze_rhythm(features, duration=duration, options=options)


__all__ = ["STYLE_HINTS", "RhythmOptions", "RhythmResult", "analyze_rhythm",
           "analyze_rhythm_audio"]
