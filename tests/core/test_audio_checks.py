"""core.audio.checks and the value types in core.audio.buffer."""

from __future__ import annotations

import numpy as np
import pytest

from core.audio import AudioBlock, AudioBuffer, AudioInfo, load, signal_warnings
from core.audio.checks import SignalChecker
from core.errors import InvalidParameter
from tests.core._audio_helpers import sine, write

SR = 44100


def test_clean_sine_has_no_warnings():
    assert signal_warnings(sine(440, 1.0, channels=2), SR) == ()


@pytest.mark.parametrize(("level", "expected"), [(0.0, "silent: peak -inf dBFS"),
                                                 (1e-5, "silent: peak -100.0 dBFS")])
def test_silence(level, expected):
    samples = np.full((2, SR), level, dtype=np.float32)
    assert signal_warnings(samples, SR) == (expected,)


def test_quiet_but_not_silent_is_fine():
    assert signal_warnings(sine(440, 1.0, amplitude=1e-4), SR) == ()  # -80 dBFS


def test_dc_offset_names_channel_and_value():
    samples = sine(440, 1.0, channels=2)
    samples[1] += 0.05
    warnings = signal_warnings(samples, SR)
    assert len(warnings) == 1
    assert "DC offset" in warnings[0] and "channel 2" in warnings[0] and "+0.0500" in warnings[0]


def test_clipping_counts_runs_of_three_or_more():
    samples = np.zeros((1, 1000), dtype=np.float32)
    samples[0, 10:15] = 1.0     # run of 5: counted
    samples[0, 100:102] = -1.0  # run of 2: not counted
    samples[0, 500:503] = -1.0  # run of 3: counted
    warnings = signal_warnings(samples, SR)
    assert warnings == ("clipping: 8 samples (0.8%) at full scale in runs of 3 or more",)


def test_clipped_sine_file_warns(tmp_path):
    hot = np.clip(sine(100, 1.0, amplitude=2.0), -1.0, 1.0)
    buf = load(write(tmp_path / "hot.wav", hot, SR, subtype="FLOAT"))
    assert any(w.startswith("clipping:") for w in buf.warnings)


def test_silent_and_dc_files_warn(tmp_path):
    silent = load(write(tmp_path / "silent.wav", np.zeros((2, SR), np.float32), SR))
    dc = load(write(tmp_path / "dc.wav", sine(440, 1.0) + 0.1, SR))
    assert silent.warnings == ("silent: peak -inf dBFS",)
    assert len(dc.warnings) == 1 and dc.warnings[0].startswith("DC offset: channel 1")


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1000])
def test_blockwise_checker_matches_whole_signal(block):
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal((2, 3000)) * 0.6 + 0.02).astype(np.float32)
    samples = np.clip(samples, -1.0, 1.0)
    samples[1, 1998:2005] = 1.0  # a run crossing many block boundaries
    checker = SignalChecker(SR)
    for start in range(0, samples.shape[1], block):
        checker.feed(samples[:, start:start + block])
    assert checker.warnings() == signal_warnings(samples, SR)
    assert any(w.startswith("clipping") for w in checker.warnings())


def test_checker_notes_and_channel_mismatch():
    checker = SignalChecker(SR)
    checker.feed(sine(440, 0.1, channels=2))
    checker.note("truncated: header promises 2.00 s but only 1.00 s of audio is present")
    assert checker.warnings()[-1].startswith("truncated")
    with pytest.raises(InvalidParameter):
        checker.feed(np.zeros((3, 10), np.float32))


def test_buffer_properties_and_mono():
    samples = sine(440, 0.5, channels=2)
    buf = AudioBuffer(samples, SR, None)
    assert (buf.channels, buf.frames) == (2, SR // 2)
    assert buf.duration == pytest.approx(0.5)
    mono = buf.to_mono()
    assert mono.samples.shape == (1, SR // 2) and mono.samples.dtype == np.float32
    np.testing.assert_allclose(mono.samples[0], samples.mean(axis=0), atol=1e-7)
    assert buf.mono_samples().shape == (SR // 2,)
    assert mono.to_mono() is mono
    assert not buf.samples.flags.writeable
    assert samples.flags.writeable  # the caller's array is left alone


@pytest.mark.parametrize("bad", [np.zeros(10, np.float32), np.zeros((2, 10), np.float64),
                                 np.zeros((0, 10), np.float32), [[0.0, 1.0]]])
def test_buffer_rejects_bad_samples(bad):
    with pytest.raises(InvalidParameter):
        AudioBuffer(bad, SR, None)


def test_buffer_rejects_bad_rate():
    with pytest.raises(InvalidParameter):
        AudioBuffer(np.zeros((1, 4), np.float32), 0, None)


def test_fortran_order_input_becomes_c_contiguous():
    data = np.asfortranarray(sine(440, 0.01, channels=2))
    assert AudioBuffer(data, SR).samples.flags.c_contiguous


def test_block_and_info_values():
    block = AudioBlock(np.zeros((2, 441), np.float32), SR, 1.5, 3)
    assert (block.channels, block.frames, block.index) == (2, 441, 3)
    assert block.duration == pytest.approx(0.01)
    info = AudioInfo("x.wav", "WAV", "PCM_16", 2, SR, SR, 1.0, 16, 1000, {"title": "t"})
    assert info.backend == "libsndfile" and info.tags["title"] == "t"
