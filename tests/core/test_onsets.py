"""Onset envelope and multi-band onset features: streaming, band roles, robustness."""

import numpy as np
import pytest

from core.analysis.onsets import (
    ONSET_HOP,
    ONSET_SAMPLE_RATE,
    OnsetEnvelopeBuilder,
    OnsetFeatureBuilder,
    band_onsets,
    onset_envelope,
    onset_features,
    pick_onsets,
)
from tests.support.rhythm_signals import RATE, drums, render

SR = ONSET_SAMPLE_RATE


def _place(sound: np.ndarray, times: list[float], seconds: float) -> np.ndarray:
    out = np.zeros(int(seconds * SR))
    for t in times:
        i = round(t * SR)
        seg = sound[: len(out) - i]
        out[i:i + len(seg)] += seg
    return out.astype(np.float32)


@pytest.fixture(scope="module")
def kit():
    return drums(np.random.default_rng(7))


def test_features_do_not_depend_on_block_size():
    x, _, _ = render("dnb", 8.0, full=True)
    whole = onset_features(x, RATE, block_seconds=100.0)
    pieces = onset_features(x, RATE, block_seconds=0.173)
    for name in ("full", "low", "mid", "high"):
        np.testing.assert_allclose(whole.band(name), pieces.band(name), atol=1e-5)
    np.testing.assert_allclose(whole.change, pieces.change, atol=1e-4)
    assert whole.full.dtype == np.float32 and len(whole) == len(whole.change)


def test_full_band_equals_the_onset_envelope():
    x, _, _ = render("techno", 6.0)
    envelope = onset_envelope(x, RATE)
    features = onset_features(x, RATE)
    np.testing.assert_allclose(features.full, envelope.strength, atol=1e-5)
    assert features.frame_rate == pytest.approx(SR / ONSET_HOP)
    # The old builder still streams in arbitrary blocks.
    builder = OnsetEnvelopeBuilder()
    for start in range(0, len(x), 5000):
        builder.feed(x[start:start + 5000])
    np.testing.assert_allclose(builder.finish().strength, envelope.strength, atol=1e-5)


def test_frames_grow_linearly_with_length():
    builder = OnsetFeatureBuilder()
    builder.feed(np.zeros(SR * 3, np.float32))
    features = builder.finish()
    assert len(features) == SR * 3 // ONSET_HOP + 1
    assert features.duration == pytest.approx(3.0, abs=0.02)


def test_bands_separate_kick_and_hats(kit):
    times = [0.5, 1.5, 2.5, 3.5]
    kicks = onset_features(_place(kit["kick"], times, 4.5), SR)
    hats = onset_features(_place(kit["hat"], times, 4.5), SR)
    assert kicks.low.max() > 5 * max(kicks.high.max(), 1e-3)
    assert hats.high.max() > 5 * max(hats.low.max(), 1e-3)
    found = band_onsets(kicks, "low")
    assert len(found) == 4
    np.testing.assert_allclose(found, times, atol=0.04)  # attack frames lead by ≈ 1–3 frames


def test_sustained_sub_bass_adds_no_low_band_onsets(kit):
    t = np.arange(int(8 * SR)) / SR
    sub = 0.5 * np.sin(2 * np.pi * 45 * t)
    times = [1.0, 3.0, 5.0, 7.0]
    mix = (sub + 0.6 * _place(kit["kick"], times, 8.0)).astype(np.float32)
    features = onset_features(mix, SR)
    frames = np.arange(len(features)) / features.frame_rate
    away = np.min(np.abs(frames[:, None] - np.array(times)[None, :]), axis=1) > 0.3
    steady = features.low[away & (frames > 0.5) & (frames < 7.8)]  # not the cut at the end
    assert steady.max() < 0.2 * features.low.max()
    np.testing.assert_allclose(band_onsets(features, "low")[:4], times, atol=0.04)


def test_pick_onsets_on_a_click_track(kit):
    times = list(np.arange(0.25, 6.0, 0.5))
    x = _place(kit["kick"], times, 6.5) + 0.5 * _place(kit["hat"], times, 6.5)
    found = pick_onsets(onset_envelope(x, SR))
    assert len(found) == len(times)
    np.testing.assert_allclose(found, times, atol=0.04)


def test_level_and_downmix():
    t = np.arange(SR * 2) / SR
    sine = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    assert onset_features(sine, SR).peak_dbfs == pytest.approx(-3.0, abs=0.5)
    assert onset_features(np.zeros(SR * 2, np.float32), SR).peak_dbfs < -100
    x, _, _ = render("dnb", 4.0)
    mono = onset_features(x, RATE)
    surround = onset_features(np.repeat(x[None, :], 6, axis=0), RATE)  # 5.1, same in each
    np.testing.assert_allclose(mono.low, surround.low, atol=1e-5)
    resampled = onset_features(np.repeat(x, 2), RATE * 2)  # 44.1 kHz input
    assert abs(len(resampled) - len(mono)) <= 1


def test_crop_and_band_lookup():
    x, _, _ = render("dnb", 6.0)
    features = onset_features(x, RATE)
    part = features.crop(1.0, 3.0)
    assert part.duration == pytest.approx(2.0, abs=0.02)
    assert part.envelope().frame_rate == features.frame_rate
    with pytest.raises(ValueError, match="unknown onset band"):
        features.band("sub")
