"""Tests of core.midi.quantize: beat mapping, grids, strength, swing, merging, the loop window."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InvalidParameter
from core.midi.quantize import (
    GRIDS,
    QuantizedNote,
    QuantizeOptions,
    beats_to_seconds,
    grid_slots,
    grid_step,
    loop_span,
    quantize_hits,
    seconds_to_beats,
)
from core.results import DrumHit

BPM = 174.0
PERIOD = 60.0 / BPM
OFFSET = 0.25  # s: first beat of the grid
BEATS = OFFSET + PERIOD * np.arange(48)  # a constant 174 BPM grid, 12 bars of 4/4


def _hit(time: float, instrument: str = "hihat_closed", velocity: int = 90,
         confidence: float = 0.9) -> DrumHit:
    return DrumHit(float(time), instrument, velocity, confidence)


def _at(position: float, beats: np.ndarray = BEATS) -> float:
    """Time (s) of a beat position on ``beats``."""
    return float(beats_to_seconds(position, beats))


def _pattern(first_beat: int = 8, bars: int = 2, jitter_s: float = 0.015) -> list[DrumHit]:
    """Kick on every beat and closed hats on the off-beat 8ths, each hit off by ±``jitter_s``
    (alternating late/early, deterministic)."""
    hits = []
    for i in range(bars * 4):
        sign = 1 if i % 2 else -1
        hits.append(_hit(_at(first_beat + i) + sign * jitter_s, "kick", 110))
        hits.append(_hit(_at(first_beat + i + 0.5) - sign * jitter_s, "hihat_closed", 70))
    return hits


# ----------------------------------------------------------------------- seconds <-> beats


def test_seconds_to_beats_is_piecewise_linear_and_extrapolates() -> None:
    beats = [1.0, 1.5, 2.5, 3.0]  # periods 0.5, 1.0, 0.5 s
    assert seconds_to_beats(1.0, beats) == 0.0
    assert seconds_to_beats(1.25, beats) == pytest.approx(0.5)
    assert seconds_to_beats(2.0, beats) == pytest.approx(1.5)  # middle of the 1 s interval
    assert seconds_to_beats(0.75, beats) == pytest.approx(-0.5)  # first period 0.5 s
    assert seconds_to_beats(4.0, beats) == pytest.approx(5.0)  # last period 0.5 s
    times = np.array([0.5, 1.25, 2.0, 3.25])
    positions = seconds_to_beats(times, beats)
    assert isinstance(positions, np.ndarray)
    np.testing.assert_allclose(beats_to_seconds(positions, beats), times)
    assert beats_to_seconds(-1.0, beats) == pytest.approx(0.5)
    assert beats_to_seconds(4.0, beats) == pytest.approx(3.5)


@pytest.mark.parametrize("beats", [[1.0], [1.0, 1.0, 2.0], [2.0, 1.0], [0.0, float("nan")]])
def test_bad_beat_grids_are_rejected(beats: list[float]) -> None:
    with pytest.raises(InvalidParameter, match="beat"):
        seconds_to_beats(1.0, beats)


def test_loop_span_takes_the_nearest_beats() -> None:
    assert loop_span(BEATS, _at(8) + 0.02, _at(16) - 0.03) == (8, 8)
    with pytest.raises(InvalidParameter, match="shorter than one beat"):
        loop_span(BEATS, _at(8), _at(8.3))
    with pytest.raises(InvalidParameter, match="start < end"):
        loop_span(BEATS, 5.0, 4.0)


# ------------------------------------------------------------------------------ options


def test_grids_and_their_errors() -> None:
    assert list(GRIDS) == ["1/4", "1/8", "1/16", "1/32", "1/8T", "1/16T"]
    assert float(grid_step("1/8t")) == pytest.approx(1 / 3)
    assert float(grid_step("1/16T")) == pytest.approx(1 / 6)
    with pytest.raises(InvalidParameter) as info:
        QuantizeOptions(grid="1/12")
    assert str(info.value) == (
        "quantize grid must be one of 1/4, 1/8, 1/16, 1/32, 1/8T, 1/16T, got '1/12'")


@pytest.mark.parametrize("kwargs", [
    {"strength": 1.5}, {"strength": -0.1}, {"strength": 100}, {"swing": "shuffle"},
    {"swing_8th": 0.0}, {"swing_16th": float("inf")}, {"velocity_compression": 2.0},
])
def test_options_out_of_range(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter):
        QuantizeOptions(**kwargs)  # type: ignore[arg-type]


def test_grid_slots() -> None:
    np.testing.assert_allclose(grid_slots(QuantizeOptions(grid="1/16")), [0, .25, .5, .75, 1])
    np.testing.assert_allclose(grid_slots(QuantizeOptions(grid="1/8T")), [0, 1 / 3, 2 / 3, 1])
    swung = QuantizeOptions(grid="1/16", swing="keep", swing_8th=2.0, swing_16th=1.5)
    # 8th off-beat at 2/3; 16ths at 0.6 of each 8th: 0.6 * 2/3 and 2/3 + 0.6 * 1/3
    np.testing.assert_allclose(grid_slots(swung), [0, 0.4, 2 / 3, 2 / 3 + 0.2, 1])
    # straight ignores the ratios; triplet grids are never swung
    np.testing.assert_allclose(grid_slots(QuantizeOptions(swing_8th=2.0)), [0, .25, .5, .75, 1])
    triplet = QuantizeOptions(grid="1/16T", swing="keep", swing_8th=2.0)
    np.testing.assert_allclose(grid_slots(triplet), np.arange(7) / 6)
    # 1/32 halves each swung 16th: 16ths at 0, 1/3, 2/3, 5/6 with an 8th swing of 2
    thirty_second = QuantizeOptions(grid="1/32", swing="keep", swing_8th=2.0)
    np.testing.assert_allclose(grid_slots(thirty_second),
                               [0, 1 / 6, 1 / 3, 1 / 2, 2 / 3, 3 / 4, 5 / 6, 11 / 12, 1])


# ----------------------------------------------------------------------------- strength


def test_full_strength_puts_jittered_hits_exactly_on_the_grid() -> None:
    hits = _pattern(jitter_s=0.015)  # 15 ms = 0.0435 beats at 174 BPM
    notes = quantize_hits(hits, BEATS, _at(8), _at(16))
    assert len(notes) == 16
    assert [n.beat for n in notes] == [i * 0.5 for i in range(16)]
    assert [n.instrument for n in notes] == ["kick", "hihat_closed"] * 8
    assert [n.velocity for n in notes] == [110, 70] * 8
    assert notes[1].original_beat == pytest.approx(0.5 + 0.015 / PERIOD)
    assert notes[2].original_beat == pytest.approx(1.0 + 0.015 / PERIOD)


def test_half_strength_moves_half_way() -> None:
    hits = _pattern(jitter_s=0.015)
    notes = quantize_hits(hits, BEATS, _at(8), _at(16), QuantizeOptions(strength=0.5))
    shift = 0.5 * 0.015 / PERIOD
    for i, note in enumerate(notes[1:], start=1):
        slot = i * 0.5
        assert note.beat == pytest.approx((note.original_beat + slot) / 2)
        assert abs(note.beat - slot) == pytest.approx(shift)
    # beat 1 of the loop was played 15 ms early: half way would be before the loop, so 0
    assert notes[0].original_beat == pytest.approx(-0.015 / PERIOD)
    assert notes[0].beat == 0.0


def test_zero_strength_keeps_the_played_timing() -> None:
    hits = _pattern(jitter_s=0.01)
    notes = quantize_hits(hits, BEATS, _at(8), _at(16), QuantizeOptions(strength=0.0))
    assert [n.beat for n in notes[1:]] == pytest.approx([n.original_beat for n in notes[1:]])


# -------------------------------------------------------------------------------- swing


def _shuffled_hats(ratio: float, jitter_s: float = 0.008) -> list[DrumHit]:
    """Hats on every 8th with the off-beat at r/(1+r) of the beat."""
    off = ratio / (1 + ratio)
    hits = []
    for i in range(8):
        hits.append(_hit(_at(8 + i) + jitter_s * (-1) ** i))
        hits.append(_hit(_at(8 + i + off) - jitter_s * (-1) ** i))
    return hits


def test_keep_swing_quantises_to_the_groove_and_straight_removes_it() -> None:
    hits = _shuffled_hats(2.0)  # triplet shuffle: off-beats at 2/3
    window = (_at(8), _at(16))
    kept = quantize_hits(hits, BEATS, *window,
                         QuantizeOptions(grid="1/8", swing="keep", swing_8th=2.0))
    assert [n.beat for n in kept] == pytest.approx([i + f for i in range(8) for f in (0, 2 / 3)])
    straight8 = quantize_hits(hits, BEATS, *window, QuantizeOptions(grid="1/8"))
    assert [n.beat for n in straight8] == [i + f for i in range(8) for f in (0, 0.5)]
    straight16 = quantize_hits(hits, BEATS, *window, QuantizeOptions(grid="1/16"))
    assert [n.beat for n in straight16] == [i + f for i in range(8) for f in (0, 0.75)]
    # keep with no measured swing is a straight grid
    unmeasured = quantize_hits(hits, BEATS, *window, QuantizeOptions(grid="1/8", swing="keep"))
    assert [n.beat for n in unmeasured] == [n.beat for n in straight8]


def test_sixteenth_swing_keeps_the_swung_sixteenths() -> None:
    # 16th swing 1.5: the off-beat 16th sits at 0.6 of each 8th, i.e. at 0.3 and 0.8 of the beat
    positions = [i + f for i in range(4) for f in (0.0, 0.3, 0.5, 0.8)]
    hits = [_hit(_at(8 + p) + 0.006 * (-1) ** k) for k, p in enumerate(positions)]
    notes = quantize_hits(hits, BEATS, _at(8), _at(12),
                          QuantizeOptions(swing="keep", swing_16th=1.5))
    assert [n.beat for n in notes] == pytest.approx(positions)
    straight = quantize_hits(hits, BEATS, _at(8), _at(12))
    assert [n.beat for n in straight] == [i + f for i in range(4) for f in (0, .25, .5, .75)]


@pytest.mark.parametrize(("grid", "division"), [("1/8T", 3), ("1/16T", 6)])
def test_triplet_grids(grid: str, division: int) -> None:
    positions = [k / division for k in range(4 * division)]
    hits = [_hit(_at(8 + p) + 0.005 * (-1) ** k) for k, p in enumerate(positions)]
    notes = quantize_hits(hits, BEATS, _at(8), _at(12), QuantizeOptions(grid=grid))
    assert [n.beat for n in notes] == pytest.approx(positions)


def test_triplets_on_a_straight_grid_land_on_the_nearest_sixteenth() -> None:
    hits = [_hit(_at(8 + 1 / 3)), _hit(_at(8 + 2 / 3))]
    notes = quantize_hits(hits, BEATS, _at(8), _at(12))
    assert [n.beat for n in notes] == [0.25, 0.75]


# ------------------------------------------------------------------------------ merging


def test_duplicates_on_one_slot_keep_the_loudest() -> None:
    hits = [_hit(_at(9) - 0.01, "snare", 80, 0.9), _hit(_at(9) + 0.012, "snare", 115, 0.5),
            _hit(_at(9) + 0.005, "clap", 60), _hit(_at(9.5), "snare", 40)]
    notes = quantize_hits(hits, BEATS, _at(8), _at(12))
    assert [(n.beat, n.instrument, n.velocity) for n in notes] == [
        (1.0, "snare", 115), (1.0, "clap", 60), (1.5, "snare", 40)]
    assert notes[0].original_beat == pytest.approx(1 + 0.012 / PERIOD)
    unmerged = quantize_hits(hits, BEATS, _at(8), _at(12),
                             QuantizeOptions(merge_duplicates=False))
    assert sorted(n.velocity for n in unmerged if n.instrument == "snare") == [40, 80, 115]


def test_equal_velocities_keep_the_more_confident_hit() -> None:
    hits = [_hit(_at(9), "kick", 100, 0.4), _hit(_at(9) + 0.01, "kick", 100, 0.95)]
    (note,) = quantize_hits(hits, BEATS, _at(8), _at(12))
    assert note.confidence == 0.95


# --------------------------------------------------------------------------- the window


def test_hits_outside_the_window_and_on_the_loop_end_are_dropped() -> None:
    hits = [_hit(_at(7.5), "kick"),               # before the loop
            _hit(_at(8) - 0.02, "kick"),          # early beat 1: slot 0, kept
            _hit(_at(11.75) + 0.01, "snare"),     # last 16th of the loop, kept
            _hit(_at(12) - 0.015, "crash"),       # slot = loop end: next repetition
            _hit(_at(12.5), "kick")]              # after the loop
    notes = quantize_hits(hits, BEATS, _at(8), _at(12))
    assert [(n.beat, n.instrument) for n in notes] == [(0.0, "kick"), (3.75, "snare")]
    assert quantize_hits([], BEATS, _at(8), _at(12)) == []


def test_drifting_beat_grid_is_followed_beat_by_beat() -> None:
    # tempo rises from 160 to 180 BPM over 16 beats: beat periods shrink steadily
    periods = 60.0 / np.linspace(160.0, 180.0, 24)
    beats = np.concatenate([[0.5], 0.5 + np.cumsum(periods)])
    positions = [i * 0.5 for i in range(32)]
    hits = [_hit(_at(4 + p, beats) + 0.01 * (-1) ** k, "kick" if k % 2 == 0 else "hihat_closed")
            for k, p in enumerate(positions)]
    notes = quantize_hits(hits, beats, float(beats[4]), float(beats[20]))
    assert [n.beat for n in notes] == positions
    # one constant tempo over the same window would put the hits on the wrong slots
    constant = (np.array([h.time for h in hits]) - beats[4]) / np.mean(np.diff(beats[4:21]))
    assert np.max(np.abs(constant - positions)) > 0.125


def test_velocity_compression_pulls_towards_each_instruments_mean() -> None:
    hits = [_hit(_at(8), "kick", 120), _hit(_at(9), "kick", 80),
            _hit(_at(8.5), "hihat_closed", 40), _hit(_at(9.5), "hihat_closed", 60)]
    full = quantize_hits(hits, BEATS, _at(8), _at(12),
                         QuantizeOptions(velocity_compression=1.0))
    assert {(n.instrument, n.velocity) for n in full} == {("kick", 100), ("hihat_closed", 50)}
    half = quantize_hits(hits, BEATS, _at(8), _at(12),
                         QuantizeOptions(velocity_compression=0.5))
    assert [n.velocity for n in half] == [110, 45, 90, 55]


def test_quantized_note_validation() -> None:
    with pytest.raises(InvalidParameter):
        QuantizedNote(-0.5, "kick", 100, 1.0, 0.0)
    with pytest.raises(InvalidParameter):
        QuantizedNote(0.0, "cowbell", 100, 1.0, 0.0)


@pytest.mark.parametrize(("positions", "expected"), [
    ([i / 4 for i in range(16)], "1/16"),                              # straight 16ths
    ([b + off for b in range(4) for off in (0.0, 2 / 3)], "1/16T"),     # triplet shuffle
    ([i / 4 for i in range(8)] + [2 + i / 8 for i in range(8)], "1/32"),  # a 1/32 roll
])
def test_auto_grid_is_the_coarsest_that_keeps_every_hit(positions, expected):
    from core.midi.quantize import choose_grid

    beats = np.arange(6) * 60.0 / 150.0
    hits = [DrumHit(float(beats[0] + p * 0.4), "hihat_closed", 90, 1.0) for p in positions]
    assert choose_grid(hits, beats, 0.0, float(beats[4])) == expected
