"""Tests of core.audio.peaks: the min/max pyramid behind the waveform view."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio.peaks import (
    BUCKET_FRAMES,
    LEVEL_FACTOR,
    TOP_BUCKETS,
    PeakPyramid,
    PeakPyramidBuilder,
)
from core.errors import Cancelled, InvalidParameter, ResultFormatError
from core.jobs import CancelToken

RATE = 44100


def _sine(freq: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _write(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    sf.write(str(path), np.asarray(samples, np.float32).T, rate, subtype="FLOAT")
    return path


def test_sine_peaks_are_plus_minus_amplitude(tmp_path: Path) -> None:
    path = _write(tmp_path / "sine.wav", _sine(441.0, 3.0, 0.6))
    pyramid = PeakPyramid.from_file(path)
    assert pyramid.sample_rate == RATE
    assert pyramid.duration == pytest.approx(3.0)
    for level in pyramid.levels:
        assert level.mins.dtype == np.float32 and level.maxs.dtype == np.float32
    times, mins, maxs = pyramid.view(0.0, 3.0, 300)
    # Every point spans at least one 441 Hz period (100 samples), so it sees both peaks.
    np.testing.assert_allclose(maxs[:-1], 0.6, atol=2e-3)
    np.testing.assert_allclose(mins[:-1], -0.6, atol=2e-3)
    assert np.all(np.diff(times) > 0)


def test_stereo_is_mixed_to_mono(tmp_path: Path) -> None:
    left = _sine(441.0, 1.0, 0.8)
    path = _write(tmp_path / "stereo.wav", np.stack([left, np.zeros_like(left)]))
    pyramid = PeakPyramid.from_file(path)
    assert pyramid.levels[0].maxs.max() == pytest.approx(0.4, abs=1e-3)


def test_impulse_lands_in_the_right_bucket() -> None:
    samples = np.zeros(100_000, np.float32)
    samples[70_000] = 0.9
    samples[12_345] = -0.7
    pyramid = PeakPyramid.from_samples(samples, RATE)
    level0 = pyramid.levels[0]
    assert level0.buckets == -(-100_000 // BUCKET_FRAMES)
    assert int(np.argmax(level0.maxs)) == 70_000 // BUCKET_FRAMES
    assert int(np.argmin(level0.mins)) == 12_345 // BUCKET_FRAMES
    times, _, maxs = pyramid.view(0.0, pyramid.duration, 200)
    hit = int(np.argmax(maxs))
    assert maxs[hit] == pytest.approx(0.9)
    spacing = times[1] - times[0]
    assert abs(times[hit] - 70_000 / RATE) <= spacing


def test_levels_reduce_by_four_until_under_top() -> None:
    frames = BUCKET_FRAMES * 40_000 + 17
    rng = np.random.default_rng(3)
    builder = PeakPyramidBuilder(RATE)
    for chunk in np.array_split(rng.uniform(-1, 1, frames).astype(np.float32), 7):
        builder.add(chunk)  # chunk sizes not multiples of a bucket
    pyramid = builder.finish()
    sizes = [level.buckets for level in pyramid.levels]
    assert sizes[0] == 40_001
    for below, above in itertools.pairwise(sizes):
        assert above == -(-below // LEVEL_FACTOR)
    assert sizes[-1] < TOP_BUCKETS <= sizes[-2]
    spb = [level.frames_per_bucket for level in pyramid.levels]
    assert spb == [BUCKET_FRAMES * LEVEL_FACTOR ** k for k in range(len(spb))]
    # Upper levels are exact reductions of level 0.
    top = pyramid.levels[-1]
    assert top.maxs.max() == pyramid.levels[0].maxs.max()
    assert top.mins.min() == pyramid.levels[0].mins.min()


def test_streamed_equals_in_memory(tmp_path: Path) -> None:
    samples = np.random.default_rng(1).uniform(-1, 1, RATE * 25).astype(np.float32)
    path = _write(tmp_path / "noise.wav", samples)
    streamed = PeakPyramid.from_file(path)  # 10 s blocks
    direct = PeakPyramid.from_samples(samples, RATE)
    np.testing.assert_array_equal(streamed.levels[0].mins, direct.levels[0].mins)
    np.testing.assert_array_equal(streamed.levels[0].maxs, direct.levels[0].maxs)


@pytest.mark.parametrize(("start", "end", "pixels"), [
    (0.0, 600.0, 1000), (100.0, 101.0, 800), (250.0, 250.05, 1200), (590.0, 600.0, 37),
    (0.0, 600.0, 1),
])
def test_view_covers_the_range_with_one_to_two_points_per_pixel(
        start: float, end: float, pixels: int) -> None:
    frames = RATE * 600
    pyramid = PeakPyramid(np.zeros(-(-frames // BUCKET_FRAMES), np.float32),
                          np.zeros(-(-frames // BUCKET_FRAMES), np.float32), RATE, frames)
    times, mins, maxs = pyramid.view(start, end, pixels)
    assert times.shape == mins.shape == maxs.shape
    spacing = float(np.median(np.diff(times))) if times.size > 1 else end - start
    assert times[0] <= start + spacing and times[-1] >= min(end, pyramid.duration) - spacing
    inside = np.count_nonzero((times >= start) & (times <= end))
    samples_per_pixel = (end - start) * RATE / pixels
    if samples_per_pixel >= BUCKET_FRAMES:
        assert pixels * 0.9 <= inside <= 2 * pixels + 2
    else:  # zoomed beyond level 0: every bucket of the range
        assert inside == pytest.approx((end - start) * RATE / BUCKET_FRAMES, abs=2)


def test_view_chooses_the_coarsest_level_with_a_bucket_per_pixel() -> None:
    pyramid = PeakPyramid.from_samples(np.zeros(RATE * 300, np.float32), RATE)
    assert pyramid.level_for(100.0) is pyramid.levels[0]
    assert pyramid.level_for(1024.0).frames_per_bucket == 1024
    assert pyramid.level_for(4095.0).frames_per_bucket == 1024
    assert pyramid.level_for(1e12) is pyramid.levels[-1]


def test_view_is_stable_while_panning() -> None:
    """Buckets are grouped from the start of the file, so a pan shifts points, not values."""
    rng = np.random.default_rng(7)
    pyramid = PeakPyramid.from_samples(rng.uniform(-1, 1, RATE * 120).astype(np.float32), RATE)
    a = pyramid.view(10.0, 40.0, 500)
    b = pyramid.view(10.5, 40.5, 500)
    common = np.intersect1d(a[0], b[0])
    assert common.size > 400
    ia, ib = np.searchsorted(a[0], common), np.searchsorted(b[0], common)
    np.testing.assert_array_equal(a[2][ia], b[2][ib])


def test_view_edges() -> None:
    pyramid = PeakPyramid.from_samples(np.ones(1000, np.float32), RATE)
    assert pyramid.view(5.0, 6.0, 100)[0].size == 0  # beyond the end
    assert pyramid.view(0.01, 0.005, 100)[0].size == 0  # empty range
    with pytest.raises(InvalidParameter):
        pyramid.view(0.0, float("nan"), 10)
    empty = PeakPyramidBuilder(RATE).finish()
    assert empty.duration == 0.0 and empty.view(0, 1, 10)[0].size == 0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    pyramid = PeakPyramid.from_samples(rng.uniform(-1, 1, 1_000_003).astype(np.float32), 48000)
    target = pyramid.save(tmp_path / "peaks.npz")
    loaded = PeakPyramid.load(target)
    assert loaded.sample_rate == 48000 and loaded.frames == 1_000_003
    assert len(loaded.levels) == len(pyramid.levels)
    for mine, theirs in zip(pyramid.levels, loaded.levels, strict=True):
        np.testing.assert_array_equal(mine.mins, theirs.mins)
        np.testing.assert_array_equal(mine.maxs, theirs.maxs)


def test_load_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_text("not numpy")
    with pytest.raises(ResultFormatError):
        PeakPyramid.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, something=np.zeros(3))
    with pytest.raises(ResultFormatError):
        PeakPyramid.load(other)


def test_cancel_and_progress(tmp_path: Path) -> None:
    path = _write(tmp_path / "long.wav", np.zeros(RATE * 35, np.float32))
    seen: list[float] = []
    PeakPyramid.from_file(path, progress=lambda f, _stage: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        PeakPyramid.from_file(path, cancel=token)


@pytest.mark.slow
def test_sixty_minute_file_builds_in_bounded_memory(tmp_path: Path) -> None:
    """60 minutes of stereo 44.1 kHz PCM_16 (635 MB on disk): a few MB of pyramid, and the
    streaming pass never holds more than a few blocks."""
    path = tmp_path / "hour.wav"
    rng = np.random.default_rng(0)
    block = rng.uniform(-0.3, 0.3, (RATE * 10, 2)).astype(np.float32)
    with sf.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as handle:
        for index in range(360):
            block[RATE * 5] = 0.99 if index == 200 else 0.0  # one loud click at 2005 s
            handle.write(block)
    tracemalloc.start()
    try:
        pyramid = PeakPyramid.from_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pyramid.duration == pytest.approx(3600.0)
    assert pyramid.nbytes < 8 * 2**20
    assert peak < 64 * 2**20, f"peak traced memory {peak / 2**20:.1f} MB"
    times, _, maxs = pyramid.view(0.0, 3600.0, 1500)
    assert times.size <= 3002
    loud = times[int(np.argmax(maxs))]
    assert abs(loud - 2005.0) < 3600.0 / 1500 * 2
