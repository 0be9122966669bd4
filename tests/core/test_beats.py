"""Beat tracking: accurate, straight where the tempo is constant, following tempo changes,
silent where there is no rhythm."""

import mir_eval
import numpy as np
import pytest

from core.analysis.beats import RhythmFrames, beat_novelty, pulse_activity, track_beats
from core.analysis.onsets import onset_features
from core.analysis.tempo import estimate_tempo
from core.analysis.tempo_sections import tempo_sections
from core.results import TempoSection
from tests.support.rhythm_signals import RATE, render


def _track(x, sections=None):
    features = onset_features(x, RATE)
    if sections is None:
        sections = tempo_sections(features)
    frames = RhythmFrames.from_features(features)
    return track_beats(beat_novelty(frames.nov), frames.fps, sections)


@pytest.mark.parametrize(("style", "full"), [
    ("dnb", False), ("dnb", True), ("dubstep", True), ("techno", False), ("hiphop", True),
    ("waltz", False), ("house", True),
])
def test_beat_f_measure_on_clean_clips(style, full):
    x, beats, _ = render(style, 24.0, full=full, jitter_ms=4, seed=11)
    track = _track(x)
    assert mir_eval.beat.f_measure(beats, track.times) >= 0.95
    assert 0.3 < track.confidence <= 1.0


def test_constant_tempo_gets_a_straight_grid():
    x, beats, _ = render("dnb", 24.0, full=True, jitter_ms=6, seed=2)
    track = _track(x)
    assert track.snapped == (True,)
    intervals = np.diff(track.times)
    assert intervals.std() < 0.001
    assert intervals.mean() == pytest.approx(60 / 174, rel=0.002)
    assert np.median(np.abs(track.times[:, None] - beats[None, :]).min(axis=1)) < 0.015


@pytest.mark.parametrize("style", ["dnb", "house", "hiphop", "techno"])
def test_humanised_playing_at_a_constant_tempo_gets_a_straight_grid(style):
    # Hits jittered by 12 ms (std): a grid that followed them would wander by about as much.
    x, beats, _ = render(style, 24.0, full=False, jitter_ms=12, seed=1)
    track = _track(x)
    assert track.snapped == (True,)
    assert np.diff(track.times).std() < 0.001
    assert mir_eval.beat.f_measure(beats, track.times) >= 0.95


def test_beats_follow_a_tempo_change():
    x, beats, _ = render("dnb", 60.0, full=True, tempo_change=(30.0, 150.0))
    track = _track(x)
    assert mir_eval.beat.f_measure(beats, track.times) >= 0.93
    late = track.times[track.times > 40.0]
    assert np.median(np.diff(late)) == pytest.approx(60 / 150, rel=0.01)


def test_no_beats_in_a_beatless_intro():
    x, beats, _ = render("dnb", 40.0, full=True, offset=14.0)  # pads alone for 14 s
    track = _track(x)
    assert track.times[0] > 12.0
    assert mir_eval.beat.f_measure(beats, track.times) >= 0.93


def test_no_sections_or_no_signal_gives_no_beats():
    x, _, _ = render("techno", 10.0)
    assert len(_track(x, sections=()).times) == 0
    empty = track_beats(np.zeros(500), 86.0, (TempoSection(0.0, 5.0, 120.0, 1.0),))
    assert len(empty.times) == 0 and empty.confidence == 0.0


def test_pulse_activity_separates_rhythm_from_noise():
    x, _, _ = render("house", 12.0)
    noise = 0.3 * np.random.default_rng(3).standard_normal(len(x)).astype(np.float32)
    for signal, expect_pulse in ((x, True), (noise, False)):
        features = onset_features(signal, RATE)
        frames = RhythmFrames.from_features(features)
        novelty = beat_novelty(frames.nov)
        period = np.full(len(novelty), 60.0 * frames.fps / 124.0)
        activity = np.median(pulse_activity(novelty / max(novelty.std(), 1e-9), period,
                                            frames.fps))
        assert (activity > 0.15) == expect_pulse
    assert estimate_tempo(onset_features(noise, RATE)).tempo is None


def test_section_boundaries_move_onto_the_tempo_change():
    """Windows place a tempo change only to a few seconds; the boundary moves to the beat
    where straight grids on both sides fit best."""
    from core.analysis.beats import refine_boundaries

    first = 0.5 + np.arange(30) * 60.0 / 168.0            # 168 BPM up to ~10.86 s
    second = first[-1] + np.arange(1, 30) * 60.0 / 174.0   # then 174 BPM
    beats = np.concatenate([first, second])
    rough = (TempoSection(0.0, 7.6, 168.0, 1.0), TempoSection(7.6, 21.0, 174.0, 1.0))
    refined = refine_boundaries(beats, rough)
    assert refined[0].end == refined[1].start
    assert first[-2] <= refined[0].end <= second[0]  # the change beat lies on both grids
    assert refined[0].start == 0.0 and refined[1].end == 21.0
    # a single section, or sections that do not touch, are left alone
    assert refine_boundaries(beats, rough[:1]) == rough[:1]
    apart = (TempoSection(0.0, 7.6, 168.0, 1.0), TempoSection(9.0, 21.0, 174.0, 1.0))
    assert refine_boundaries(beats, apart) == apart


def test_boundaries_follow_the_novelty_where_the_tracker_followed_the_old_boundary():
    """A tracker that switched tempo at the rough boundary shows no change point at the real
    one; the two sections' grids, extended across it, find it in the onsets."""
    from core.analysis.beats import refine_boundaries

    fps = 100.0
    first = 0.5 + np.arange(60) * 60.0 / 140.0             # 140 BPM up to ~25.8 s
    second = first[-1] + np.arange(1, 60) * 60.0 / 174.0   # then 174 BPM
    novelty = np.zeros(int(50 * fps))
    novelty[np.rint(np.concatenate([first, second]) * fps).astype(int)] = 1.0
    rough_edge = 20.0   # the tracker went on at 174 from here: off the beats until the change
    wrong = rough_edge + np.arange(0, 60) * 60.0 / 174.0
    tracked = np.concatenate([first[first < rough_edge], wrong[wrong < first[-1]], second])
    rough = (TempoSection(0.0, rough_edge, 140.0, 1.0), TempoSection(rough_edge, 45.0, 174.0, 1.0))
    moved = refine_boundaries(tracked, rough, novelty, fps)
    assert first[-2] <= moved[0].end <= second[0] + 0.01
    # from the tracked beats alone the change point stays where the tracker switched
    alone = refine_boundaries(tracked, rough)
    assert abs(alone[0].end - rough_edge) < 1.0


def test_boundaries_stay_where_the_beats_show_no_change():
    """Beats that keep one tempo across a boundary (a short section whose own beats are not
    there, or a 1 % change the beats do not show) do not move it; a real change does."""
    from core.analysis.beats import refine_boundaries

    fps = 100.0
    beats = np.r_[np.arange(0, 60, 0.5), 60 + np.arange(0, 60, 60 / 130)]  # 120, then 130
    novelty = np.zeros(12001)
    novelty[np.rint(beats * fps).astype(int)] = 1.0
    for args in ((), (novelty, fps)):
        short = refine_boundaries(beats, (TempoSection(0, 50, 120, 1), TempoSection(50, 55, 130, 1),
                                          TempoSection(55, 120, 140, 1)), *args)
        assert short[0].end == 50.0
        assert short[1].end == pytest.approx(60.0, abs=0.5)   # the real change
        close = refine_boundaries(beats, (TempoSection(0, 55, 120, 1), TempoSection(55, 70, 130, 1),
                                          TempoSection(70, 120, 131.5, 1)), *args)
        assert close[1].end == 70.0 and close[0].end == pytest.approx(60.0, abs=0.5)


def test_sections_of_noise_are_none():
    from core.analysis.tempo_sections import tempo_sections

    noise = 0.3 * np.random.default_rng(0).standard_normal(RATE * 20).astype(np.float32)
    assert tempo_sections(onset_features(noise, RATE)) == ()


def test_misplaced_boundaries_are_tracked_again_until_they_hold():
    """Three tempos (120, 100, 130 BPM, changing at 30 s and 60 s) whose sections come with
    boundaries at 38 s and 50 s: the tracker follows those, so beats between a wrong and the
    right boundary run at the neighbour's tempo. Each move is followed by tracking again, and
    the grids of the next boundary are fitted only to beats tracked at their own tempo; in the
    end both boundaries sit on the changes and every beat on its onset."""
    from core.analysis.beats import track_beats

    fps = 100.0
    parts = [np.arange(0.5, 30.0, 60 / 120), 30.0 + np.arange(0.0, 30.0, 60 / 100),
             60.0 + np.arange(0.0, 30.0, 60 / 130)]
    truth = np.concatenate(parts)
    halves = np.concatenate([p[:-1] + np.diff(p) / 2 for p in parts])
    novelty = np.random.default_rng(0).uniform(0.0, 0.1, int(91 * fps))
    novelty[np.rint(halves * fps).astype(int)] = 0.6   # off-beat 8ths
    novelty[np.rint(truth * fps).astype(int)] = 1.0
    rough = (TempoSection(0.0, 38.0, 120.0, 1.0), TempoSection(38.0, 50.0, 100.0, 1.0),
             TempoSection(50.0, 91.0, 130.0, 1.0))
    track = track_beats(novelty, fps, rough)
    assert track.sections[0].end == pytest.approx(30.0, abs=0.7)
    assert track.sections[1].end == pytest.approx(60.0, abs=0.7)
    beats = track.times[(track.times > 2.0) & (track.times < 88.0)]
    assert np.abs(beats[:, None] - truth[None, :]).min(axis=1).max() < 0.03
