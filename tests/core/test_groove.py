import numpy as np
import pytest

from core.analysis.groove import analyze_groove, beat_phases, swing_percent, swing_ratios
from core.results import DrumHit

BPM = 96.0
BEAT = 60.0 / BPM


def grid(beats: int = 32) -> np.ndarray:
    return np.arange(beats) * BEAT + 0.25


def eighths(ratio: float, beats: np.ndarray) -> list[float]:
    p = ratio / (1 + ratio)
    return [t for b in beats[:-1] for t in (b, b + p * BEAT)]


def sixteenths(ratio: float, beats: np.ndarray) -> list[float]:
    q = ratio / (1 + ratio) * 0.5
    return [b + off * BEAT for b in beats[:-1] for off in (0.0, q, 0.5, 0.5 + q)]


@pytest.mark.parametrize("ratio", [1.0, 1.3, 1.6, 2.0])
def test_eighth_swing_ratio_is_recovered(ratio):
    s8, s16 = swing_ratios(eighths(ratio, grid()), grid())
    assert s8 == pytest.approx(ratio, rel=0.02)
    assert s16 is None  # no hit sits on a 16th off-beat


@pytest.mark.parametrize("ratio", [1.0, 1.25, 1.5])
def test_sixteenth_swing_ratio_is_recovered(ratio):
    s8, s16 = swing_ratios(sixteenths(ratio, grid()), grid())
    assert s16 == pytest.approx(ratio, rel=0.02)
    assert s8 == pytest.approx(1.0, abs=0.02)  # the 8th off-beats stay straight


def test_swing_follows_a_tempo_change():
    beats = np.concatenate([np.arange(16) * 0.5, 8.0 + np.arange(1, 17) * 0.4])
    hits = [b + (beats[i + 1] - b) * 0.6 for i, b in enumerate(beats[:-1])] + list(beats)
    s8, _ = swing_ratios(hits, beats)
    assert s8 == pytest.approx(1.5, rel=0.02)


def test_too_few_offbeats_gives_no_swing():
    assert swing_ratios(grid()[:4], grid()) == (None, None)
    assert swing_percent(None) is None and swing_percent(2.0) == pytest.approx(66.667, abs=1e-3)


def test_microtiming_measures_a_late_snare_in_milliseconds():
    beats = grid()
    rng = np.random.default_rng(0)
    late = rng.normal(12.0, 3.0, size=len(beats) // 2) / 1000.0
    hits = [DrumHit(float(b), "kick", 100, 1.0) for b in beats[::2]]
    hits += [DrumHit(float(b + d), "snare", 100, 1.0) for b, d in zip(beats[1::2], late,
                                                                    strict=False)]
    hits += [DrumHit(float(t), "hihat_closed", 80, 1.0) for t in eighths(1.0, beats)]
    groove = analyze_groove(hits, beats)
    timing = {m.instrument: m for m in groove.microtiming}
    assert timing["kick"].mean_ms == pytest.approx(0.0, abs=0.01)
    assert timing["snare"].mean_ms == pytest.approx(late.mean() * 1000, abs=0.05)
    assert timing["snare"].std_ms == pytest.approx(late.std() * 1000, abs=0.05)
    assert timing["hihat_closed"].count == 2 * (len(beats) - 1)


def test_microtiming_is_measured_against_the_swung_grid():
    beats = grid()
    hats = [DrumHit(float(t), "hihat_closed", 80, 1.0) for t in eighths(1.6, beats)]
    groove = analyze_groove(hats, beats)
    assert groove.swing_8th == pytest.approx(1.6, rel=0.02)
    (hat,) = groove.microtiming
    assert abs(hat.mean_ms) < 0.5 and hat.std_ms < 0.5  # on the swung grid, not 'late'


def test_phases_extrapolate_outside_the_grid():
    beats = np.array([1.0, 1.5, 2.0, 2.5])
    k, phase = beat_phases(np.array([0.25, 3.25]), beats)
    assert list(k) == [-2, 4] and phase == pytest.approx([0.5, 0.5])


def test_no_grid_or_no_hits_gives_none():
    assert analyze_groove([], grid()) is None
    assert analyze_groove([DrumHit(0.1, "kick", 100, 1.0)], [0.0, 0.5]) is None


@pytest.mark.parametrize("late_ms", [-8.0, 5.0, 12.0])
def test_swing_is_unbiased_by_a_grid_that_sits_early_or_late(late_ms):
    beats = grid()
    hits = sixteenths(1.33, beats)
    s8, s16 = swing_ratios(hits, beats + late_ms / 1000.0)
    assert s16 == pytest.approx(1.33, rel=0.02)
    assert s8 == pytest.approx(1.0, abs=0.02)


def test_an_instrument_heard_late_does_not_read_as_swing():
    # Straight 16ths: hats on the beats and 8ths, kicks on some 16th off-beats, and a
    # percussion part only on 16th off-beats that the transcriber places 12 ms late.
    beats = grid()
    hits = []
    for k, b in enumerate(beats[:-1]):
        hits += [DrumHit(b, "hihat_closed", 90, 1.0),
                 DrumHit(b + 0.5 * BEAT, "hihat_closed", 90, 1.0),
                 DrumHit(b + 0.75 * BEAT + 0.012, "percussion", 90, 1.0)]
        if k % 2 == 0:
            hits += [DrumHit(b, "kick", 110, 1.0), DrumHit(b + 0.25 * BEAT, "kick", 100, 1.0)]
    groove = analyze_groove(hits, beats)
    assert swing_percent(groove.swing_16th) == pytest.approx(50.0, abs=1.0)


def test_triplet_tom_fills_do_not_read_as_swing():
    # Straight: hats on 8ths, a kick on the 16th after every other beat; a tom fill in 16th
    # triplets on the last beat of every bar puts as many hits at 2/3 of a half beat.
    beats = grid()
    hits = [DrumHit(t, "hihat_closed", 90, 1.0) for t in eighths(1.0, beats)]
    for k, b in enumerate(beats[:-1]):
        if k % 2 == 0:
            hits += [DrumHit(b, "kick", 110, 1.0), DrumHit(b + 0.25 * BEAT, "kick", 100, 1.0)]
        if k % 4 == 3:
            hits += [DrumHit(b + j * BEAT / 6, "tom_mid", 100, 1.0) for j in range(6)]
    groove = analyze_groove(sorted(hits, key=lambda h: h.time), beats)
    assert swing_percent(groove.swing_16th) == pytest.approx(50.0, abs=0.5)
    assert swing_percent(groove.swing_8th) == pytest.approx(50.0, abs=0.5)


def test_a_swung_pickup_before_the_beat_does_not_move_the_on_beats():
    # A swung jazz waltz: hats on every beat, on the swung 8th (p = 0.65) and on the swung 16th
    # after it (0.65 of the way from that 8th to the next beat), 0.12 of a beat before the next
    # beat. A window of ±0.2 beat around the beat holds as many of those pickups as on-beat
    # hats, and their median lands half way between.
    bpm = 126.0
    beat = 60.0 / bpm
    beats = np.arange(40) * beat + 0.1
    p8 = 0.65
    pickup = p8 + 0.65 * (1.0 - p8)
    hits = [DrumHit(float(b), "kick", 110, 1.0) for b in beats[:-1:3]]
    for b in beats[:-1]:
        hits += [DrumHit(float(b + off * beat), "hihat_closed", 90, 1.0) for off in
                 (0.0, p8, pickup)]
    groove = analyze_groove(sorted(hits, key=lambda h: h.time), beats)
    assert swing_percent(groove.swing_8th) == pytest.approx(65.0, abs=1.0)
