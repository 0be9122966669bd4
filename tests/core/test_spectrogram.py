"""Tests of core.analysis.spectrogram: the display spectrogram behind the spectrogram view."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.analysis.spectrogram import (
    MIN_HOP,
    band_centres,
    band_weights,
    plan_hop,
    spectrogram_image,
)
from core.errors import Cancelled, InvalidParameter
from core.jobs import CancelToken

RATE = 44100


def _write(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    sf.write(str(path), np.asarray(samples, np.float32), rate, subtype="FLOAT")
    return path


def _band_containing(freqs: np.ndarray, hz: float) -> int:
    """Index of the band whose edges (midpoints between centres, geometric) contain ``hz``."""
    edges = np.sqrt(freqs[:-1] * freqs[1:])
    return int(np.searchsorted(edges, hz))


@pytest.mark.parametrize("scale", ["log", "mel"])
def test_sine_peaks_in_its_band(tmp_path: Path, scale: str) -> None:
    t = np.arange(RATE * 4) / RATE
    path = _write(tmp_path / "sine.wav", np.sin(2 * np.pi * 1000.0 * t))
    image = spectrogram_image(path, scale=scale, bins=256)  # type: ignore[arg-type]
    assert image.db.dtype == np.float32 and image.db.shape == (256, image.columns)
    assert image.freqs_hz.shape == (256,) and np.all(np.diff(image.freqs_hz) > 0)
    assert image.freqs_hz[0] == pytest.approx(30.0) and image.freqs_hz[-1] == pytest.approx(16000)
    middle = image.db[:, image.columns // 4: 3 * image.columns // 4]
    peaks = np.argmax(middle, axis=0)
    if scale == "log":
        expected = _band_containing(image.freqs_hz, 1000.0)
    else:
        expected = int(np.argmin(np.abs(image.freqs_hz - 1000.0)))
    assert np.all(np.abs(peaks - expected) <= (0 if scale == "log" else 1))
    # A full-scale sine reads close to 0 dB re full scale.
    assert -3.0 < float(middle.max()) <= 0.5
    assert image.db.min() >= image.floor_db


def test_chirp_rises(tmp_path: Path) -> None:
    seconds = 6.0
    t = np.arange(int(RATE * seconds)) / RATE
    f0, f1 = 100.0, 8000.0
    phase = 2 * np.pi * f0 * seconds / np.log(f1 / f0) * ((f1 / f0) ** (t / seconds) - 1)
    path = _write(tmp_path / "chirp.wav", 0.5 * np.sin(phase))
    image = spectrogram_image(path, bins=128)
    inner = (image.times_s > 0.2) & (image.times_s < seconds - 0.2)
    peak_hz = image.freqs_hz[np.argmax(image.db[:, inner], axis=0)]
    assert np.all(np.diff(peak_hz) >= 0)
    expected = f0 * (f1 / f0) ** (image.times_s[inner] / seconds)
    assert np.all(np.abs(np.log2(peak_hz / expected)) < 0.15)


def test_silence_is_the_floor(tmp_path: Path) -> None:
    path = _write(tmp_path / "silence.wav", np.zeros(RATE * 2))
    image = spectrogram_image(path, floor_db=-100.0)
    assert image.floor_db == -100.0
    np.testing.assert_allclose(image.db, -100.0, atol=1e-4)
    low, high = image.display_levels()
    assert high - low == pytest.approx(image.top_db) and low <= image.floor_db


def test_display_levels_follow_the_loudest_value(tmp_path: Path) -> None:
    t = np.arange(RATE) / RATE
    path = _write(tmp_path / "quiet.wav", 0.1 * np.sin(2 * np.pi * 440 * t))
    image = spectrogram_image(path, top_db=60.0)
    low, high = image.display_levels()
    assert high == np.ceil(image.db.max()) and high - low == 60.0


def test_times_cover_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "noise.wav",
                  np.random.default_rng(0).uniform(-0.5, 0.5, RATE * 30))
    image = spectrogram_image(path, max_columns=400)
    assert image.columns <= 400
    assert image.duration == pytest.approx(30.0)
    assert np.all(np.diff(image.times_s) > 0)
    assert image.times_s[0] < image.column_s and image.times_s[-1] > 30.0 - image.column_s
    # White noise: every band within a few dB of the others (averaging, not summing, bins).
    spread = np.median(image.db, axis=1)
    assert spread.max() - spread.min() < 6.0


def test_plan_hop_bounds_the_columns() -> None:
    assert plan_hop(RATE * 5, 6000) == (MIN_HOP, 1)
    for minutes in (1, 5, 20, 60, 180):
        frames = RATE * 60 * minutes
        hop, pool = plan_hop(frames, 6000)
        assert -(-(1 + frames // hop) // pool) <= 6000
        assert hop <= 1024  # hops never skip samples (window 2048)


def test_band_weights_rows_sum_to_one() -> None:
    centres = band_centres("log", 256, 30.0, 16000.0)
    weights = band_weights(centres, RATE)
    assert weights.shape == (256, 1025)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(weights.max(axis=1) > 0)  # no empty bass band


def test_invalid_parameters(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.wav", np.zeros(RATE))
    with pytest.raises(InvalidParameter):
        spectrogram_image(path, scale="linear")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        spectrogram_image(path, f_min=500.0, f_max=100.0)
    with pytest.raises(InvalidParameter):
        spectrogram_image(path, bins=1)


def test_low_sample_rate_clamps_f_max(tmp_path: Path) -> None:
    path = _write(tmp_path / "low.wav", np.zeros(8000), rate=8000)
    image = spectrogram_image(path)
    assert image.freqs_hz[-1] == pytest.approx(4000.0)


def test_cancel_and_progress(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.wav", np.zeros(RATE * 25))
    seen: list[float] = []
    spectrogram_image(path, progress=lambda f, _s: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        spectrogram_image(path, cancel=token)


@pytest.mark.slow
def test_long_file_is_bounded(tmp_path: Path) -> None:
    """20 minutes at 44.1 kHz: at most max_columns columns and a few MB while streaming."""
    path = tmp_path / "long.wav"
    rng = np.random.default_rng(5)
    block = rng.uniform(-0.2, 0.2, RATE * 10).astype(np.float32)
    with sf.SoundFile(str(path), "w", RATE, 1, subtype="PCM_16") as handle:
        for _ in range(120):
            handle.write(block)
    tracemalloc.start()
    try:
        image = spectrogram_image(path, max_columns=1500, bins=128)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert image.columns <= 1500 and image.columns > 1400
    assert image.duration == pytest.approx(1200.0)
    assert image.db.nbytes < 1 * 2**20
    assert peak < 48 * 2**20, f"peak traced memory {peak / 2**20:.1f} MB"
