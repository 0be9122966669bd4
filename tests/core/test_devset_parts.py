"""Development-set building blocks: patterns, timing, drum bus, augmentation, accompaniment."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from core.devset import augment
from core.devset._dsp import biquad, butter
from core.devset.accompaniment import PARTS, render_accompaniment, render_accompaniment_parts
from core.devset.drums import PlacedHit, render_drums, velocity_gain
from core.devset.generate import ClipSpec, render_clip
from core.devset.kits import Kit
from core.devset.patterns import STYLES, Hit, arrange, pattern, style
from core.devset.timing import build_grid, humanize, jitter_velocities, swing
from core.errors import InvalidParameter

SR = 44100


def test_step_rows_become_hits_in_beats():
    p = pattern("p", 4, ("kick", "X... x..."), ("hihat_closed", "o.g.|o.g.|o.g.|o.g."),
                ("snare", "..x."), ("kick", "x......."))
    kicks = [(h.beat, h.velocity) for h in p.hits if h.instrument == "kick"]
    assert kicks == [(0.0, 120), (2.0, 100)]  # duplicate kick on 1 keeps the louder mark
    assert [h.beat for h in p.hits if h.instrument == "snare"] == [2.0]
    hats = [(h.beat, h.velocity) for h in p.hits if h.instrument == "hihat_closed"]
    assert hats[:2] == [(0.0, 75), (0.5, 45)] and len(hats) == 8
    with pytest.raises(InvalidParameter):
        pattern("bad", 4, ("kick", "x?.."))
    with pytest.raises(InvalidParameter):
        pattern("bad", 4, ("cowbell", "x..."))


def test_style_table_meters_and_grooves():
    assert STYLES["dnb"].bpm_range == (170, 176) and STYLES["dubstep"].anchor_bpms == (140,)
    assert STYLES["six_eight"].beats_per_bar == 2 and STYLES["waltz"].beats_per_bar == 3
    two_step = STYLES["dnb"].grooves[0]
    assert [h.beat for h in two_step.hits if h.instrument == "kick"] == [0.0, 2.5]
    assert [h.beat for h in two_step.hits if h.instrument == "snare"] == [1.0, 3.0]
    for st in STYLES.values():
        for groove in st.grooves:
            assert groove.beats % st.beats_per_bar == 0, groove.name
    with pytest.raises(InvalidParameter, match="known"):
        style("polka")


def test_arrangement_puts_fills_at_phrase_ends_and_crashes_on_section_starts():
    rng = np.random.default_rng(4)
    hits = arrange(STYLES["techno"], 8, rng)
    assert Hit(0.0, "crash", 110) in hits
    toms = [h.beat for h in hits if h.instrument.startswith("tom") or h.instrument == "snare"]
    assert toms and all(14 <= b < 16 or 30 <= b < 32 for b in toms)  # techno grooves: no snare
    assert max(h.beat for h in hits) < 32
    assert arrange(STYLES["techno"], 8, np.random.default_rng(4)) == hits
    no_fills = arrange(STYLES["dnb"], 8, np.random.default_rng(1), fills=False)
    assert not any(h.instrument.startswith("tom") for h in no_fills)


def test_swing_moves_offbeats_to_the_ratio():
    np.testing.assert_allclose(swing(np.array([0, 0.5, 1, 1.5]), 2.0, 8), [0, 2 / 3, 1, 5 / 3])
    np.testing.assert_allclose(swing(np.array([0, 0.25, 0.5, 0.75]), 3.0, 16),
                               [0, 0.375, 0.5, 0.875])
    np.testing.assert_allclose(swing(np.array([0, 0.25, 0.5, 0.75]), 2.0, 8),
                               [0, 1 / 3, 2 / 3, 5 / 6])
    x = np.linspace(0, 4, 17)
    np.testing.assert_allclose(swing(x, 1.0, 16), x)
    with pytest.raises(InvalidParameter):
        swing(x, 1.5, 4)


def test_grid_with_tempo_change_and_inverse():
    grid = build_grid(120, 4, 4, start=1.0, tempo_change=(2, 60))
    assert grid.beats == 16 and grid.bar_start(2) == pytest.approx(1.0 + 4.0)
    np.testing.assert_allclose(np.diff(grid.beat_times), [0.5] * 8 + [1.0] * 8)
    assert grid.time(8.5) == pytest.approx(5.5) and grid.beat(5.5) == pytest.approx(8.5)
    with pytest.raises(InvalidParameter):
        build_grid(120, 4, 4, tempo_change=(4, 100))


def test_humanize_and_velocity_jitter():
    rng = np.random.default_rng(0)
    t = np.arange(2000) * 0.25 + 1.0
    moved = humanize(t, 5.0, rng)
    assert np.std(moved - t) * 1000 == pytest.approx(5.0, rel=0.1)
    assert np.max(np.abs(moved - t)) <= 0.015 + 1e-12
    assert np.array_equal(humanize(t, 0.0, rng), t)
    v = jitter_velocities(np.full(1000, 120), 10.0, rng)
    assert v.max() == 127 and v.min() >= 1 and v.dtype.kind == "i"


def test_velocity_gain_law():
    assert velocity_gain(127) == 1.0
    assert 20 * np.log10(velocity_gain(64)) == pytest.approx(-10.12, abs=0.01)
    assert velocity_gain(40) < velocity_gain(80) < velocity_gain(120)


def test_open_hihat_is_choked_by_the_next_closed_hihat():
    long_hat = np.ones(SR, np.float32)
    kit = Kit("t", "test", SR, {"hihat_open": (long_hat,),
                                "hihat_closed": (np.array([1.0], np.float32),)})
    hits = [PlacedHit(100, "hihat_open", 127), PlacedHit(5000, "hihat_closed", 127)]
    out = render_drums(hits, kit, 2 * SR, np.random.default_rng(0))
    mono = out.sum(axis=0)
    assert np.all(mono[100:5000] > 0) and mono[:100].max() == 0
    fade_end = 5000 + round(0.01 * SR)
    assert mono[fade_end:].max() == 0 and 0 < mono[5000 + 200] < mono[4999]


def test_cookbook_filters_have_their_nominal_response():
    _, h = signal.sosfreqz(biquad("peak", 1000, SR, 6.0, 1.0), worN=[1000, 20000], fs=SR)
    assert 20 * np.log10(abs(h[0])) == pytest.approx(6.0, abs=0.01)
    assert 20 * np.log10(abs(h[1])) == pytest.approx(0.0, abs=0.2)
    _, h = signal.sosfreqz(biquad("lowshelf", 200, SR, -4.0), worN=[20, 10000], fs=SR)
    assert 20 * np.log10(abs(h)) == pytest.approx([-4.0, 0.0], abs=0.1)
    _, h = signal.sosfreqz(butter("lowpass", 1000, SR, 4), worN=[1000, 100, 8000], fs=SR)
    db = 20 * np.log10(abs(h))
    assert db[:2] == pytest.approx([-3.01, 0.0], abs=0.05) and db[2] < -72  # 24 dB/octave


def test_augmentations_are_causal_and_do_what_they_say():
    rng = np.random.default_rng(1)
    x = np.zeros((2, SR))
    x[:, 10000] = 1.0
    wet = augment.reverb(x, SR, rng, rt60=0.4, wet_db=-10, predelay_ms=5)
    assert np.abs(wet[:, :10000]).max() < 1e-6 and wet[0, 10000] == pytest.approx(1.0)
    assert np.abs(wet[:, 10000 + 300:]).max() > 1e-3  # the tail, after a 5 ms pre-delay
    assert np.abs(wet[:, 10001:10000 + 220]).max() < 1e-6
    eq = augment.random_eq(x, SR, rng)
    assert not np.any(eq[:, :10000])
    loud = np.sin(np.arange(SR) / SR * 2 * np.pi * 100) * np.where(np.arange(SR) < SR // 2,
                                                                   0.05, 1.0)
    squashed = augment.compress(loud, SR, threshold_db=-20, ratio=4)
    assert np.abs(squashed[-5000:]).max() < 0.5 and np.abs(squashed[:5000]).max() == \
        pytest.approx(0.05, rel=0.05)
    assert augment.saturate(np.array([1e-4]), 12.0)[0] == pytest.approx(1e-4, rel=1e-3)
    assert augment.gain(np.array([1.0]), -6.0)[0] == pytest.approx(0.501, abs=1e-3)


def test_accompaniment_follows_the_grid_and_is_deterministic():
    grid = build_grid(174, 4, 4, start=0.2)
    n = round((grid.beat_times[-1] + 0.5) * SR)
    a = render_accompaniment("wobble", grid, n, SR, np.random.default_rng(3), first_bar=2)
    b = render_accompaniment("wobble", grid, n, SR, np.random.default_rng(3), first_bar=2)
    assert a.shape == (2, n) and a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.any(a[:, : round(0.2 * SR)])  # nothing before the first bar
    low = signal.sosfilt(butter("lowpass", 100, SR, 4), a[0])
    intro, body = slice(round(0.4 * SR), round(grid.bar_start(2) * SR)), \
        slice(round(grid.bar_start(2) * SR), round(grid.bar_start(4) * SR))
    assert np.std(low[body]) > 4 * np.std(low[intro])  # the bass enters with the drums
    for flavour in ("reese", "pluck", "sub", "simple"):
        out = render_accompaniment(flavour, grid, n, SR, np.random.default_rng(0))
        assert np.sqrt(np.mean(out.astype(np.float64) ** 2)) == pytest.approx(0.1, rel=0.01)


def test_accompaniment_parts_add_up_to_the_unchanged_mix():
    grid = build_grid(140, 4, 4, start=0.1)
    n = round((grid.beat_times[-1] + 0.5) * SR)
    plain = render_accompaniment("sub", grid, n, SR, np.random.default_rng(7), first_bar=1)
    mix, parts = render_accompaniment_parts("sub", grid, n, SR, np.random.default_rng(7),
                                            first_bar=1)
    assert np.array_equal(mix, plain) and tuple(sorted(parts)) == tuple(sorted(PARTS))
    np.testing.assert_allclose(sum(parts.values()), mix, rtol=0, atol=1e-6)
    assert np.array_equal(parts["bass"][0], parts["bass"][1])  # mono bass
    intro = slice(0, round(grid.bar_start(1) * SR))
    assert not np.any(parts["bass"][:, intro]) and not np.any(parts["vocal"][:, intro])
    assert np.any(parts["pads"][:, intro]) and np.any(parts["bass"])


def _clip_pair(spec: ClipSpec):
    return render_clip(spec), render_clip(spec, with_parts=True)


@pytest.mark.parametrize(("augment", "atol"), [(False, 1e-6), (True, 2e-4)])
def test_clip_parts_sum_to_the_samples_and_leave_the_render_alone(augment, atol):
    spec = ClipSpec("dnb", 174, 4, "synth:1", seed=4, mix="full", augment=augment,
                    intro_bars=1, breakdown=(2, 1))
    plain, clip = _clip_pair(spec)
    assert plain.parts is None and clip.parts is not None
    assert np.array_equal(plain.samples, clip.samples) and np.array_equal(plain.drums, clip.drums)
    assert plain.truth == clip.truth
    assert tuple(clip.parts) == ("drums", "bass", "pads", "vocal")
    assert all(p.shape == clip.samples.shape and p.dtype == np.float32
               for p in clip.parts.values())
    assert np.array_equal(clip.parts["drums"], clip.drums)
    total = sum(p.astype(np.float64) for p in clip.parts.values())
    np.testing.assert_allclose(total, clip.samples, rtol=0, atol=atol)  # float32 bus filters
    assert all(np.sqrt(np.mean(clip.parts[k].astype(np.float64) ** 2)) > 1e-3
               for k in ("bass", "pads"))


def test_augmented_parts_are_the_plain_parts_through_the_bus():
    """The accompaniment is drawn from its own generator, so the augmented clip's parts are
    the plain clip's through EQ and a shared saturation gain: the waveforms stay alike."""
    spec = ClipSpec("techno", 128, 4, "synth:1", seed=11, mix="full")
    plain = render_clip(spec, with_parts=True)
    augmented = render_clip(ClipSpec("techno", 128, 4, "synth:1", seed=11, mix="full",
                                     augment=True), with_parts=True)
    assert plain.parts is not None and augmented.parts is not None
    for name in ("bass", "pads", "vocal"):
        a, b = plain.parts[name][0].astype(np.float64), augmented.parts[name][0]
        corr = np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b))
        assert corr > 0.8, name


def test_drums_only_clip_has_silent_accompaniment_parts():
    clip = render_clip(ClipSpec("house", 124, 2, "synth:0"), with_parts=True)
    assert clip.parts is not None and np.array_equal(clip.parts["drums"], clip.samples)
    assert not any(np.any(clip.parts[k]) for k in ("bass", "pads", "vocal"))
