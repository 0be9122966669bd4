"""The rhythm engine end to end: tempo, beats, downbeats, meter — and bad or odd input."""

import itertools

import mir_eval
import numpy as np
import pytest

from core.analysis.onsets import onset_features
from core.analysis.rhythm import RhythmOptions, analyze_rhythm, analyze_rhythm_audio
from core.errors import Cancelled, InvalidParameter
from core.jobs import CancelToken
from core.results import TimeSignature
from tests.support.rhythm_signals import RATE, render


def _close(bpm, target, tolerance=0.02):
    return bpm is not None and abs(bpm - target) <= tolerance * target


@pytest.mark.parametrize(("style", "full", "label"), [
    ("dnb", True, 174), ("dubstep", False, 140), ("hiphop", True, 90), ("dnb", False, 174),
])
def test_four_four_clip(style, full, label):
    x, beats, downbeats = render(style, 24.0, full=full, jitter_ms=3, seed=4)
    result = analyze_rhythm_audio(x, RATE)
    assert _close(result.tempo.bpm, label)
    assert result.time_signature == TimeSignature(4, 4)
    assert mir_eval.beat.f_measure(beats, np.array(result.beats)) >= 0.95
    assert mir_eval.beat.f_measure(downbeats, np.array(result.downbeats)) >= 0.9
    assert result.reason is None and 0 < result.grid_confidence <= 1
    assert len(result.tempo_sections) == 1


def test_waltz_is_three_four():
    x, _beats, downbeats = render("waltz", 24.0, seed=4)
    result = analyze_rhythm_audio(x, RATE)
    assert result.time_signature == TimeSignature(3, 4)
    assert _close(result.tempo.bpm, 150)
    assert mir_eval.beat.f_measure(downbeats, np.array(result.downbeats)) >= 0.9


@pytest.mark.parametrize(("signal", "reason"), [
    (np.zeros((2, RATE * 10)), "silence"),
    (0.5 * np.sin(2 * np.pi * 330 * np.arange(RATE * 10) / RATE), "no periodic onsets"),
    (0.3 * np.random.default_rng(9).standard_normal(RATE * 10), "no periodic onsets"),
])
def test_no_rhythm_is_explained(signal, reason):
    result = analyze_rhythm_audio(signal, RATE)
    assert result.tempo is None and reason in result.reason
    assert result.beats == () and result.downbeats == () and result.time_signature is None


def test_three_second_clip_does_not_crash():
    x, _, _ = render("dnb", 3.0, offset=0.1)
    result = analyze_rhythm_audio(x, RATE)
    if result.tempo is None:
        assert result.reason
    else:
        assert 60 <= result.tempo.bpm <= 200
        assert all(0 <= t <= 3.0 for t in result.beats)


def test_clipping_and_channel_layouts_keep_the_tempo():
    x, beats, _ = render("dnb", 20.0, full=True, seed=8)
    clipped = np.clip(4.0 * x, -1.0, 1.0)
    results = [analyze_rhythm_audio(signal, RATE) for signal in (
        clipped, x, np.stack([x, 0.8 * x]), np.repeat(x[None, :], 6, axis=0))]
    for result in results:
        assert _close(result.tempo.bpm, 174)
        assert mir_eval.beat.f_measure(beats, np.array(result.beats)) >= 0.9
    assert results[1].beats == results[3].beats  # 5.1 of identical channels = mono


def test_long_beatless_intro_and_tempo_change():
    x, beats, _ = render("dnb", 70.0, full=True, offset=15.0, tempo_change=(42.0, 140.0))
    result = analyze_rhythm_audio(x, RATE)
    assert result.beats[0] > 13.0
    bpms = [s.bpm for s in result.tempo_sections]
    assert any(_close(b, 174) for b in bpms) and any(_close(b, 140) for b in bpms)
    assert mir_eval.beat.f_measure(beats, np.array(result.beats)) >= 0.9


def test_options_progress_and_cancel():
    x, _, _ = render("hiphop", 12.0)
    features = onset_features(x, RATE)
    seen = []
    result = analyze_rhythm(features, duration=12.0,
                            options=RhythmOptions(style_hint="dnb"),
                            progress=lambda f, stage: seen.append((f, stage)))
    assert _close(result.tempo.bpm, 180)
    assert seen[0][0] == 0.0 and seen[-1][0] == 1.0
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        analyze_rhythm(features, duration=12.0, cancel=token)


def test_bad_arguments_raise():
    with pytest.raises(InvalidParameter):
        RhythmOptions(tempo_min_bpm=200, tempo_max_bpm=100)
    with pytest.raises(InvalidParameter):
        RhythmOptions(style_hint="polka")
    with pytest.raises(InvalidParameter):
        analyze_rhythm_audio(np.zeros(0), RATE)
    with pytest.raises(InvalidParameter):
        analyze_rhythm_audio(np.full(RATE, np.nan), RATE)
    with pytest.raises(InvalidParameter):
        analyze_rhythm_audio(np.zeros(RATE), 0)


def _assert_tempo_agrees_with_longest_section(result):
    longest = max(result.tempo_sections, key=lambda s: s.end - s.start)
    assert _close(result.tempo.bpm, longest.bpm)
    assert result.tempo.candidates[0].bpm == result.tempo.bpm
    others = result.tempo.candidates[1:]
    assert all(not _close(c.bpm, result.tempo.bpm) for c in others)
    return longest


@pytest.mark.parametrize(("first", "second", "change_s"), [(164.0, 170.0, 24.0),
                                                            (141.0, 135.0, 12.0)])
def test_track_tempo_agrees_with_the_longest_tempo_section(first, second, change_s):
    x, _, _ = render("dnb", 36.0, bpm=first, tempo_change=(change_s, second))
    result = analyze_rhythm_audio(x, RATE, options=RhythmOptions(section_window_s=12.0,
                                                                 section_hop_s=4.0))
    longest = _assert_tempo_agrees_with_longest_section(result)
    assert _close(longest.bpm, first if change_s > 18.0 else second)


def test_mixed_tempi_do_not_pull_the_track_tempo_to_another_level():
    """A rendered jungle clip (lmms kit) going 164 → 170 BPM: the whole-clip periodicity alone
    reads ⅔ (109 BPM); the track tempo must follow its sections instead."""
    from core.devset import development_set, iter_clips

    spec = next(s for s in development_set("dev", clips_per_style=3, seconds=20.0)
                if s.style == "jungle" and s.tempo_change and s.kit.startswith("lmms"))
    clip = next(iter(iter_clips([spec])))
    result = analyze_rhythm_audio(clip.samples, clip.sample_rate)
    _assert_tempo_agrees_with_longest_section(result)
    assert 160.0 <= result.tempo.bpm <= 180.0


def test_house_with_an_offbeat_bass_keeps_its_beats_on_the_kicks():
    """Off-beat bass and open hats are house's style; the grid must stay on the kicks."""
    from core.devset import ClipSpec, render_clip

    clip = render_clip(ClipSpec(style="house", bpm=124.0, bars=8, kit="synth:1", seed=2,
                                mix="full", drum_to_rest_db=0.0))
    result = analyze_rhythm_audio(clip.samples, clip.sample_rate)
    assert mir_eval.beat.f_measure(np.array(clip.truth.beats), np.array(result.beats)) >= 0.95


def _kick_times(clip) -> tuple[np.ndarray, np.ndarray]:
    kicks = [h for h in clip.truth.hits if h.instrument == "kick"]
    return (np.array([h.time for h in kicks]),
            np.array([h.velocity for h in kicks], dtype=float))


def test_anchor_phase_reads_which_half_of_the_beat_the_kicks_sit_on():
    from core.analysis.downbeats import anchor_phase

    beats = np.arange(17) * 0.5
    on = beats[:-1] + 0.004
    half = beats[:-1] + 0.25
    ones = np.ones(16)
    assert anchor_phase(beats, on, ones) == 0
    assert anchor_phase(beats, half, ones) == 1
    # a breakbeat: kicks on beats and on "and"s alike say nothing
    mixed = np.sort(np.r_[on[::2], half[1::2]])
    assert anchor_phase(beats, mixed, np.ones(len(mixed))) == -1
    assert anchor_phase(beats, half[:5], np.ones(5)) == -1  # too few to tell
    assert anchor_phase(beats, np.zeros(0), np.zeros(0)) == -1
    # a backbeat: snares on beats 2 and 4, a quiet ghost note on an "and" now and then
    snares = np.r_[beats[1:16:2] + 0.003, beats[3:16:8] + 0.25]
    weights = np.r_[np.full(8, 110.0), np.full(2, 30.0)]
    assert anchor_phase(beats, snares, weights) == 0
    assert anchor_phase(beats, snares + 0.25, weights) == 1


def test_kicks_move_a_four_on_the_floor_grid_off_the_off_beats():
    """A tracker locked to the off-beats (where a techno bass and open hat play) is moved onto
    the kicks when the transcribed kicks are given; a grid already on them stays."""
    from core.analysis.beats import RhythmFrames
    from core.analysis.downbeats import correct_beat_phase
    from core.devset import ClipSpec, render_clip

    clip = render_clip(ClipSpec(style="techno", bpm=128.0, bars=8, kit="synth:1", seed=3,
                                mix="full", drum_to_rest_db=0.0))
    rf = RhythmFrames.from_features(onset_features(clip.samples, clip.sample_rate))
    truth = np.array(clip.truth.beats)
    off = truth[:-1] + np.diff(truth) / 2
    kicks, weights = _kick_times(clip)
    moved = correct_beat_phase(rf, off, "fourfloor", anchors=kicks, anchor_weights=weights)
    assert mir_eval.beat.f_measure(truth, moved) >= 0.95
    kept = correct_beat_phase(rf, truth, "fourfloor", anchors=kicks, anchor_weights=weights)
    assert mir_eval.beat.f_measure(truth, kept) >= 0.95
    # without the kicks the off-beat lock stays: house and techno often put more onsets there
    stuck = correct_beat_phase(rf, off, "fourfloor")
    assert mir_eval.beat.f_measure(truth, stuck) < 0.5



def test_a_dj_mix_gets_one_section_per_track():
    """Six 30-second tracks back to back (house, drum & bass, dubstep, hip-hop, techno, drum &
    bass): one section each, at the producer's tempo — the jointly chosen levels must not pull
    a track onto its neighbour's level — and each boundary within 1.5 s of where the track's last
    bar ends (the tempo windows are 30 s long, 10 s apart)."""
    from core.devset import ClipSpec, render_clip

    tracks = (("house", 124.0, "synth:0"), ("dnb", 174.0, "synth:2"), ("dubstep", 140.0, "synth:1"),
              ("hiphop", 90.0, "synth:3"), ("techno", 132.0, "synth:2"), ("dnb", 170.0, "synth:0"))
    parts, starts, ends = [], [0.0], []
    for style, bpm, kit in tracks:
        clip = render_clip(ClipSpec(style=style, bpm=bpm, bars=round(30 * bpm / 240), kit=kit,
                                    seed=3, mix="full", drum_to_rest_db=0.0))
        parts.append(clip.samples)
        ends.append(starts[-1] + clip.truth.bars_end)
        starts.append(starts[-1] + clip.samples.shape[-1] / clip.sample_rate)
    result = analyze_rhythm_audio(np.concatenate(parts, axis=-1), clip.sample_rate)
    sections = result.tempo_sections
    assert [round(s.bpm) for s in sections] == pytest.approx([t[1] for t in tracks], abs=1.5)
    for section, end in zip(sections[1:], ends[:-1], strict=True):
        assert abs(section.start - end) < 1.5


def test_crash_phase_reads_bar_one_from_crashes_that_agree():
    """Crashes mark bar 1 of a phrase: two or more on the beats, three quarters of them on one
    bar phase, set it; too few, disagreeing or off-beat crashes say nothing."""
    from core.analysis.downbeats import crash_phase

    beats = 0.3 + 0.5 * np.arange(64)       # 120 BPM, bars of 4 from beat 0
    assert crash_phase(beats, beats[[8, 24, 40]] + 0.01, 4) == 0
    assert crash_phase(beats, beats[[10, 26]] - 0.02, 4) == 2   # bar 1 on the third beat
    assert crash_phase(beats, beats[[8, 24, 41]], 4) == -1     # 2 of 3 agree: not enough
    assert crash_phase(beats, beats[[8, 24, 40, 41]], 4) == 0  # 3 of 4 do
    assert crash_phase(beats, beats[[8]], 4) == -1               # one crash says nothing
    assert crash_phase(beats, beats[[8, 24]] + 0.25, 4) == -1    # between the beats
    assert crash_phase(beats[:3], beats[[0, 1]], 4) == -1        # fewer beats than a bar
    assert crash_phase(beats, beats[[9, 21, 33]], 3) == 0        # 3/4 bars
