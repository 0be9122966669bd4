"""The offline classic separator: exact sums, edge cases, and separation on generated mixes."""

from __future__ import annotations

import numpy as np
import pytest

from core.devset import ClipSpec, render_clip
from core.separation.classic import STEMS, ClassicSeparator

SR = 44100


@pytest.fixture(scope="module")
def sep() -> ClassicSeparator:
    return ClassicSeparator(SR)


def _energy(x: np.ndarray) -> float:
    return float(np.sum(np.square(x, dtype=np.float64)))


def _snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    """Plain SNR of ``est`` against ``ref`` (dB): stricter than BSS Eval's SDR."""
    return 10 * np.log10(_energy(ref) / _energy(ref - est))


def _clicks(n: int, period: float, seed: int = 0) -> np.ndarray:
    """Short decaying noise bursts every ``period`` seconds."""
    rng = np.random.default_rng(seed)
    out = np.zeros(n)
    burst = rng.normal(0, 1, 400) * np.exp(-np.arange(400) / 60)
    for start in range(0, n - 400, round(period * SR)):
        out[start:start + 400] += burst
    return out


def test_stems_sum_to_the_chunk_in_its_shape(sep):
    rng = np.random.default_rng(1)
    t = np.arange(3 * SR) / SR
    x = np.stack([np.sin(2 * np.pi * 55 * t) * 0.3 + rng.normal(0, 0.05, t.size),
                  np.sin(2 * np.pi * 440 * t) * 0.2 + _clicks(t.size, 0.5) * 0.3])
    x = x.astype(np.float32)
    out = sep.separate(x)
    assert tuple(out) == STEMS == sep.stems == ("drums", "bass", "other")
    assert all(v.shape == x.shape and v.dtype == np.float32 for v in out.values())
    np.testing.assert_allclose(sum(v.astype(np.float64) for v in out.values()), x, atol=1e-5)
    mono = sep.separate(x[0])
    assert all(v.shape == x[0].shape for v in mono.values())
    np.testing.assert_allclose(sum(mono.values()), x[0], atol=1e-5)


def test_silence_empty_and_tiny_chunks(sep):
    silent = sep.separate(np.zeros((2, SR), np.float32))
    assert all(np.all(v == 0) for v in silent.values())
    empty = sep.separate(np.zeros((2, 0), np.float32))
    assert all(v.shape == (2, 0) for v in empty.values())
    for n in (1, 2, 100, 5000):
        x = np.random.default_rng(n).normal(0, 0.1, (1, n))
        out = sep.separate(x)
        assert all(np.all(np.isfinite(v)) and v.shape == (1, n) for v in out.values())
        np.testing.assert_allclose(sum(out.values()), x, atol=1e-5)
    with pytest.raises(ValueError):
        sep.separate(np.zeros((2, 2, 10)))


def test_each_kind_of_sound_lands_in_its_stem(sep):
    t = np.arange(4 * SR) / SR
    bass = sep.separate(np.sin(2 * np.pi * 65 * t)[None] * 0.5)
    assert _energy(bass["bass"]) > 0.9 * _energy(np.sin(2 * np.pi * 65 * t) * 0.5)
    pad = 0.3 * np.sin(2 * np.pi * 880 * t)[None]
    assert _energy(sep.separate(pad)["other"]) > 0.9 * _energy(pad)
    clicks = _clicks(t.size, 0.25)[None] * 0.5
    assert _energy(sep.separate(clicks)["drums"]) > 0.8 * _energy(clicks)


def test_chunk_edges_keep_a_steady_bass(sep):
    """Reflect padding: the first and last 200 ms of a chunk are not starved."""
    t = np.arange(3 * SR) / SR
    x = (0.4 * np.sin(2 * np.pi * 50 * t) + 0.3 * _clicks(t.size, 0.5))[None]
    b = sep.separate(x)["bass"][0]
    edge = round(0.2 * SR)
    middle = np.sqrt(np.mean(b[SR:2 * SR] ** 2))
    for part in (b[:edge], b[-edge:]):
        assert np.sqrt(np.mean(part ** 2)) == pytest.approx(middle, rel=0.3)


@pytest.mark.parametrize("rate", [22050, 48000])
def test_other_sample_rates(rate):
    sep = ClassicSeparator(rate)
    x = np.random.default_rng(0).normal(0, 0.1, (2, 2 * rate))
    out = sep.separate(x)
    np.testing.assert_allclose(sum(out.values()), x, atol=1e-5)
    assert 0.3 < sep.context_seconds < 2.0
    with pytest.raises(ValueError):
        ClassicSeparator(4000)


@pytest.mark.parametrize(("style", "bpm"), [("house", 124), ("dnb", 174)])
def test_separates_a_generated_mix_far_better_than_doing_nothing(sep, style, bpm):
    """A full mix (train kit, drums and accompaniment at equal level) with known parts."""
    clip = render_clip(ClipSpec(style, bpm, 4, "synth:1", seed=3, mix="full",
                                drum_to_rest_db=0.0), with_parts=True)
    assert clip.parts is not None
    out = sep.separate(clip.samples)
    mix = clip.samples.astype(np.float64)
    drums, bass = clip.parts["drums"].astype(np.float64), clip.parts["bass"].astype(np.float64)
    assert _snr_db(drums, out["drums"]) > max(4.0, _snr_db(drums, mix) + 4.0)
    assert _snr_db(bass, out["bass"]) > _snr_db(bass, mix) + 4.0
    np.testing.assert_allclose(sum(v.astype(np.float64) for v in out.values()), mix, atol=1e-5)


def test_a_wide_pad_in_the_low_end_stays_out_of_the_bass(sep):
    # A centred bass line (one note a second) under a stereo pad whose 110 Hz partials are
    # detuned ±8 cents left/right, as a wide synth pad is: the pad shares the bass's band, not
    # its place in the stereo image.
    t = np.arange(8 * SR) / SR
    notes = np.array([55.0, 65.4, 73.4, 49.0])[(t // 1.0).astype(int) % 4]
    envelope = np.minimum(1.0, np.minimum((t % 1.0) / 0.01, (1.0 - t % 1.0) / 0.02))
    bass = np.tile(0.3 * np.sin(2 * np.pi * np.cumsum(notes) / SR) * envelope, (2, 1))
    pad = np.stack([0.2 * np.sin(2 * np.pi * 110 * 2 ** (c / 1200) * t + c) for c in (-8, 8)])
    out = sep.separate(bass + pad)
    middle = slice(SR, 7 * SR)
    error = out["bass"][:, middle].astype(np.float64) - bass[:, middle]
    assert 10 * np.log10(_energy(bass[:, middle]) / _energy(error)) > 9.0  # 6 dB ignoring width
    assert _energy(error) < 0.3 * _energy(pad[:, middle])
