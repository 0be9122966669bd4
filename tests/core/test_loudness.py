"""Tests of core.analysis.loudness against known answers and an independent reference."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analysis.loudness import (
    SILENCE_FLOOR_DB,
    LoudnessMeter,
    channel_weights,
    k_weighting_sos,
    measure_loudness,
    true_peak_oversampling,
)
from core.errors import Cancelled, InvalidParameter
from core.jobs import CancelToken
from core.results import Loudness

# ITU-R BS.1770-4, Annex 1, Tables 1 and 2: the K-weighting biquads at 48 kHz.
PUBLISHED_SHELF_48K = (
    (1.53512485958697, -2.69169618940638, 1.19839281085285),
    (1.0, -1.69065929318241, 0.73248077421585),
)
PUBLISHED_RLB_48K = ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621))

LOUDNESS_FIELDS = ("integrated_lufs", "loudness_range_lu", "max_momentary_lufs",
                   "max_short_term_lufs")
LEVEL_FIELDS = ("true_peak_dbtp", "sample_peak_dbfs", "rms_dbfs")


def sine(freq_hz: float, seconds: float, rate: int, level_dbfs: float = 0.0,
         phase: float = 0.0) -> np.ndarray:
    """A sine of peak ``level_dbfs`` (dBFS), 1-D float64."""
    t = np.arange(round(seconds * rate)) / rate
    return 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * freq_hz * t + phase)


def faded(x: np.ndarray, rate: int, seconds: float = 0.01) -> np.ndarray:
    """``x`` with raised-cosine fades, so that no step at its ends rings in the interpolator."""
    n = round(seconds * rate)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    out = np.array(x, dtype=np.float64)
    out[..., :n] *= ramp
    out[..., -n:] *= ramp[::-1]
    return out


def pinkish(frames: int, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    """Noise with a 1/f power spectrum (above 20 Hz), unit RMS, ``[channels, frames]``."""
    spectrum = np.fft.rfft(rng.standard_normal((channels, frames)), axis=-1)
    bins = np.arange(spectrum.shape[-1], dtype=np.float64)
    spectrum /= np.sqrt(np.maximum(bins, max(1.0, 20.0 * frames / 48_000)))
    spectrum[..., 0] = 0.0
    noise = np.fft.irfft(spectrum, n=frames, axis=-1)
    return noise / np.sqrt(np.mean(noise**2))


def music_like(seconds: float, rate: int, seed: int) -> np.ndarray:
    """Stereo test programme: pink-ish noise bursts, tones and a decaying 50 Hz kick."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * rate)
    t = np.arange(frames) / rate
    out = np.zeros((2, frames))
    # Noise bursts of random length and level, with short gaps between them.
    noise = pinkish(frames, rng, channels=2)
    pos = 0
    while pos < frames:
        length = int(rng.uniform(0.2, 1.5) * rate)
        gain = 10.0 ** (rng.uniform(-40.0, -14.0) / 20.0)
        out[:, pos : pos + length] += gain * noise[:, pos : pos + length]
        pos += length + int(rng.uniform(0.0, 0.4) * rate)
    # A few sustained tones.
    for _ in range(4):
        f = rng.uniform(110.0, 4000.0)
        start, stop = sorted(rng.integers(0, frames, size=2))
        env = np.zeros(frames)
        env[start:stop] = 10.0 ** (rng.uniform(-30.0, -16.0) / 20.0)
        pan = rng.uniform(0.2, 0.8)
        tone = env * np.sin(2.0 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        out[0] += pan * tone
        out[1] += (1.0 - pan) * tone
    # A kick every beat at a random tempo: decaying 50 Hz sine.
    beat = 60.0 / rng.uniform(90.0, 140.0)
    kick_t = np.arange(int(0.4 * rate)) / rate
    kick = 0.5 * np.exp(-kick_t / 0.08) * np.sin(2.0 * np.pi * 50.0 * kick_t)
    for onset in np.arange(0.0, seconds - 0.4, beat):
        i = int(onset * rate)
        out[:, i : i + kick.size] += kick
    return out


def assert_same(a: Loudness, b: Loudness, tol: float = 1e-6) -> None:
    for name in LOUDNESS_FIELDS + LEVEL_FIELDS:
        va, vb = getattr(a, name), getattr(b, name)
        if va is None or vb is None:
            assert va is None and vb is None, name
        else:
            assert va == pytest.approx(vb, abs=tol), name


# --- K-weighting ----------------------------------------------------------------------------


def test_k_weighting_matches_published_48k_coefficients() -> None:
    sos = k_weighting_sos(48_000)
    for row, (b, a) in zip(sos, (PUBLISHED_SHELF_48K, PUBLISHED_RLB_48K), strict=True):
        np.testing.assert_allclose(row[:3], b, atol=1e-5, rtol=0)
        np.testing.assert_allclose(row[3:], a, atol=1e-5, rtol=0)


def test_k_weighting_response_is_rate_independent() -> None:
    """The prewarped design keeps the audible-band response at other sample rates."""
    from scipy import signal

    freqs = [40.0, 100.0, 997.0, 2000.0, 6000.0]
    _, ref = signal.sosfreqz(k_weighting_sos(48_000), worN=freqs, fs=48_000)
    for rate in (32_000, 44_100, 96_000, 192_000):
        _, h = signal.sosfreqz(k_weighting_sos(rate), worN=freqs, fs=rate)
        np.testing.assert_allclose(20 * np.log10(np.abs(h)), 20 * np.log10(np.abs(ref)),
                                   atol=0.1)


@pytest.mark.parametrize("rate", [1_000, 2_000, 3_000, 5_000, 8_000, 11_025, 22_050, 44_100,
                                  88_200, 192_000, 384_000, 768_000])
def test_k_weighting_is_stable_at_every_rate(rate: int) -> None:
    sos = k_weighting_sos(rate)
    for row in sos:
        assert np.all(np.abs(np.roots(row[3:])) < 1.0)
    noise = np.random.default_rng(rate).standard_normal((1, rate))
    r = measure_loudness(0.1 * noise, rate)
    assert r.integrated_lufs is not None and math.isfinite(r.integrated_lufs)


# --- calibration (EBU Tech 3341 style) ------------------------------------------------------


@pytest.mark.parametrize("level", [-23.0, -33.0])
def test_stereo_1khz_sine_reads_its_level(level: float) -> None:
    x = sine(1000.0, 20.0, 48_000, level)
    r = measure_loudness(np.vstack([x, x]), 48_000)
    assert r.integrated_lufs == pytest.approx(level, abs=0.1)
    assert r.max_momentary_lufs == pytest.approx(level, abs=0.1)
    assert r.max_short_term_lufs == pytest.approx(level, abs=0.1)
    assert r.sample_peak_dbfs == pytest.approx(level, abs=0.01)
    assert r.rms_dbfs == pytest.approx(level - 10 * math.log10(2), abs=0.01)


def test_997_hz_calibration_is_exact_with_the_published_filter() -> None:
    # The −0.691 dB constant cancels the published filter's gain at 997 Hz.
    x = sine(997.0, 10.0, 48_000, -23.0)
    assert measure_loudness(np.vstack([x, x]), 48_000).integrated_lufs == pytest.approx(
        -23.0, abs=0.005)


def test_mono_sine_carries_half_the_power_of_stereo() -> None:
    # BS.1770 sums the weighted mean squares of the channels present: one channel at −23 dBFS
    # carries half the power of two, so −23 − 3.01 LUFS.
    r = measure_loudness(sine(1000.0, 20.0, 48_000, -23.0), 48_000)
    assert r.integrated_lufs == pytest.approx(-26.0, abs=0.1)


def test_full_scale_sine_rms_is_minus_3_dbfs() -> None:
    r = measure_loudness(sine(997.0, 2.0, 44_100), 44_100)
    assert r.rms_dbfs == pytest.approx(-3.0103, abs=0.01)


def test_channel_weights_surround_and_lfe() -> None:
    np.testing.assert_array_equal(channel_weights(2), [1.0, 1.0])
    np.testing.assert_array_equal(channel_weights(6), [1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    rate = 16_000
    tone = sine(1000.0, 3.0, rate, -20.0)
    front, lfe, surround = (np.zeros((6, tone.size)) for _ in range(3))
    front[2] = tone
    lfe[3] = tone
    surround[4] = tone
    r_front = measure_loudness(front, rate)
    r_surround = measure_loudness(surround, rate)
    assert r_surround.integrated_lufs - r_front.integrated_lufs == pytest.approx(
        10 * math.log10(1.41), abs=1e-6)
    r_lfe = measure_loudness(lfe, rate)
    assert r_lfe.integrated_lufs is None  # the LFE is excluded from loudness …
    assert r_lfe.sample_peak_dbfs == pytest.approx(-20.0, abs=0.01)  # … not from the peaks


# --- gating ---------------------------------------------------------------------------------


def test_absolute_gate_ignores_near_silence() -> None:
    rate = 48_000
    tone = sine(1000.0, 10.0, rate, -20.0)
    quiet = sine(1000.0, 10.0, rate, -80.0)
    alone = measure_loudness(np.vstack([tone, tone]), rate).integrated_lufs
    both = np.concatenate([tone, quiet])
    with_quiet = measure_loudness(np.vstack([both, both]), rate).integrated_lufs
    assert alone == pytest.approx(-20.0, abs=0.1)
    assert with_quiet == pytest.approx(alone, abs=0.1)


def test_relative_gate_excludes_a_section_15_lu_lower() -> None:
    rate = 48_000
    loud = sine(1000.0, 10.0, rate, -20.0)
    soft = sine(1000.0, 10.0, rate, -35.0)
    x = np.concatenate([loud, soft])
    r = measure_loudness(np.vstack([x, x]), rate)
    # Above the absolute gate the ungated mean would be ≈ −22.9 LUFS; the relative gate at
    # ≈ −32.9 LUFS drops the −35 LUFS section.
    ungated = -20.0 + 10 * math.log10((1.0 + 10 ** -1.5) / 2)
    assert ungated < -22.5
    assert r.integrated_lufs == pytest.approx(-20.0, abs=0.1)


def test_silence() -> None:
    r = measure_loudness(np.zeros((2, 5 * 8_000), dtype=np.float32), 8_000)
    assert r.integrated_lufs is None
    assert r.loudness_range_lu is None
    assert r.max_momentary_lufs is None
    assert r.max_short_term_lufs is None
    assert r.true_peak_dbtp == SILENCE_FLOOR_DB == -200.0
    assert r.sample_peak_dbfs == -200.0
    assert r.rms_dbfs == -200.0


def test_too_short_and_empty() -> None:
    r = measure_loudness(sine(1000.0, 0.3, 48_000, -10.0), 48_000)
    assert r.integrated_lufs is None and r.max_momentary_lufs is None
    assert r.sample_peak_dbfs == pytest.approx(-10.0, abs=0.01)
    r = measure_loudness(sine(1000.0, 2.0, 48_000, -10.0), 48_000)
    assert r.integrated_lufs is not None and r.loudness_range_lu is None
    assert r.max_short_term_lufs is None
    r = LoudnessMeter(48_000, 2).result()
    assert r.integrated_lufs is None and r.rms_dbfs == -200.0


# --- agreement with pyloudnorm --------------------------------------------------------------


@pytest.mark.parametrize(("rate", "seed"), [(44_100, 1), (44_100, 2), (48_000, 3), (48_000, 4)])
def test_integrated_agrees_with_pyloudnorm(rate: int, seed: int) -> None:
    x = music_like(12.0, rate, seed)
    ours = measure_loudness(x.astype(np.float32), rate).integrated_lufs
    # pyloudnorm normalises the RLB numerator to unity pass-band gain where BS.1770 publishes
    # (1, −2, 1); it therefore reads ≈ 0.04 LU below this meter on any programme.
    reference = pyloudnorm.Meter(rate).integrated_loudness(x.T.astype(np.float32))
    assert ours is not None
    assert ours == pytest.approx(reference, abs=0.1)


# --- streaming ------------------------------------------------------------------------------

_STREAM_RATE = 44_100
_STREAM_SIGNAL = music_like(4.0, _STREAM_RATE, seed=7).astype(np.float32)
_STREAM_WHOLE = measure_loudness(_STREAM_SIGNAL, _STREAM_RATE)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 40_000), min_size=1, max_size=20),
       peek_after=st.integers(0, 20))
def test_block_size_does_not_change_the_result(sizes: list[int], peek_after: int) -> None:
    meter = LoudnessMeter(_STREAM_RATE, 2)
    pos = 0
    for i, size in enumerate(sizes):
        if i == peek_after:
            meter.result()  # a live read must not disturb the stream
        meter.feed(_STREAM_SIGNAL[:, pos : pos + size])
        pos += size
    meter.feed(_STREAM_SIGNAL[:, pos:])
    assert meter.frames == _STREAM_SIGNAL.shape[1]
    assert_same(meter.result(), _STREAM_WHOLE)


def test_memory_grows_per_100ms_not_per_sample() -> None:
    rate = 8_000
    meter = LoudnessMeter(rate, 1)
    block = np.full((1, rate), 0.1, dtype=np.float32)
    for _ in range(120):
        meter.feed(block)
    held = sum(v.nbytes for v in vars(meter).values() if isinstance(v, np.ndarray))
    assert held < 2_000_000  # 120 s: ≈ 1200 sub-block floats + fixed buffers


# --- true peak ------------------------------------------------------------------------------


def test_oversampling_factor() -> None:
    assert true_peak_oversampling(44_100) == 4
    assert true_peak_oversampling(48_000) == 4
    assert true_peak_oversampling(96_000) == 2
    assert true_peak_oversampling(192_000) == 1
    assert true_peak_oversampling(22_050) == 8


def test_quarter_rate_sine_true_peak_is_3db_above_sample_peak() -> None:
    rate = 48_000
    amplitude_db = -6.0
    x = faded(sine(rate / 4, 1.0, rate, amplitude_db, phase=np.pi / 4), rate)
    r = measure_loudness(x, rate)
    assert r.sample_peak_dbfs == pytest.approx(amplitude_db - 3.0103, abs=0.01)
    assert r.true_peak_dbtp == pytest.approx(amplitude_db, abs=0.2)


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
def test_full_scale_997_hz_sine_reads_0_dbtp(rate: int) -> None:
    x = faded(sine(997.0, 1.0, rate), rate)
    assert measure_loudness(np.vstack([x, x]), rate).true_peak_dbtp == pytest.approx(0.0, abs=0.1)


def test_true_peak_streams_across_blocks() -> None:
    rate = 48_000
    x = faded(sine(rate / 4, 3.0, rate, -1.0, phase=np.pi / 4), rate)
    meter = LoudnessMeter(rate, 1)
    for start in range(0, x.size, 777):
        meter.feed(x[np.newaxis, start : start + 777])
    assert meter.result().true_peak_dbtp == pytest.approx(
        measure_loudness(x, rate).true_peak_dbtp, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 3_000),
       rate=st.sampled_from([8_000, 44_100, 48_000, 96_000, 192_000]),
       clip=st.booleans())
def test_true_peak_never_below_sample_peak(seed: int, frames: int, rate: int,
                                           clip: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, frames)) * rng.uniform(0.01, 2.0)
    if clip:
        x = np.clip(x, -1.0, 1.0)
    r = measure_loudness(x, rate)
    assert r.true_peak_dbtp >= r.sample_peak_dbfs


# --- loudness range -------------------------------------------------------------------------


def test_steady_noise_has_small_loudness_range() -> None:
    rate = 16_000
    noise = 0.05 * pinkish(180 * rate, np.random.default_rng(11))
    r = measure_loudness(noise, rate)
    assert r.loudness_range_lu is not None
    assert r.loudness_range_lu < 1.5


def test_alternating_sections_10_lu_apart() -> None:
    rate = 48_000
    sections = [sine(1000.0, 20.0, rate, level) for level in (-30.0, -20.0) * 3]
    x = np.concatenate(sections)
    r = measure_loudness(np.vstack([x, x]), rate)
    assert r.loudness_range_lu == pytest.approx(10.0, abs=1.0)
    assert r.max_short_term_lufs == pytest.approx(-20.0, abs=0.1)


# --- parameters, progress, cancellation ------------------------------------------------------


@pytest.mark.parametrize("rate", [999, 500, 768_001, 44_100.0, True])
def test_bad_sample_rate(rate: object) -> None:
    with pytest.raises(InvalidParameter, match="sample_rate"):
        measure_loudness(np.zeros(100), rate)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="sample_rate"):
        LoudnessMeter(rate, 2)  # type: ignore[arg-type]


def test_bad_channels_and_shapes() -> None:
    with pytest.raises(InvalidParameter, match="channels"):
        LoudnessMeter(48_000, 0)
    with pytest.raises(InvalidParameter, match="channels"):
        LoudnessMeter(48_000, 9)
    with pytest.raises(InvalidParameter, match="channels"):
        measure_loudness(np.zeros((48_000, 2)), 48_000)  # frames-first by mistake
    meter = LoudnessMeter(48_000, 2)
    with pytest.raises(InvalidParameter, match="samples"):
        meter.feed(np.zeros((1, 100)))
    with pytest.raises(InvalidParameter, match="samples"):
        meter.feed(np.zeros((2, 100), dtype=np.int16))
    with pytest.raises(InvalidParameter, match="finite"):
        meter.feed(np.full((2, 100), np.nan))
    assert meter.frames == 0


def test_progress_reaches_one() -> None:
    seen: list[float] = []
    measure_loudness(np.zeros((1, 25 * 8_000)), 8_000, progress=lambda f, _s: seen.append(f))
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert len(seen) >= 3


def test_cancel() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        measure_loudness(np.zeros((2, 48_000)), 48_000, cancel=token)

    token = CancelToken()

    def cancel_on_first_chunk(fraction: float, _stage: str) -> None:
        if fraction > 0.0:
            token.cancel()

    with pytest.raises(Cancelled):
        measure_loudness(np.zeros((1, 30 * 8_000)), 8_000, progress=cancel_on_first_chunk,
                         cancel=token)
