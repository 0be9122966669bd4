"""core.audio.blocks: streaming equals loading, block geometry, resampling and cancellation."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from core.audio import AudioBlock, blocks, load
from core.audio.checks import SignalChecker
from core.errors import Cancelled, InvalidParameter
from core.jobs import CancelToken
from tests.core._audio_helpers import ffmpeg_encode, needs_ffmpeg, sine, write

SR = 44100


def _joined(stream) -> np.ndarray:
    return np.concatenate([b.samples for b in stream], axis=1)


def _music(seconds: float, rate: int = SR) -> np.ndarray:
    """Two tones plus a little noise, stereo, deterministic."""
    rng = np.random.default_rng(3)
    tones = sine(220, seconds, rate, channels=2) + sine(1760, seconds, rate, channels=2) * 0.3
    return (tones + rng.standard_normal(tones.shape) * 0.01).astype(np.float32)


def test_blocks_concatenate_to_load_exactly_for_wav(tmp_path):
    path = write(tmp_path / "m.wav", _music(3.3), SR, subtype="PCM_24")
    stream = list(blocks(path, seconds=1.0))
    np.testing.assert_array_equal(_joined(stream), load(path).samples)


def test_block_count_sizes_and_start_times(tmp_path):
    path = write(tmp_path / "m.flac", _music(3.3), SR)
    stream = list(blocks(path, seconds=1.0))
    assert [b.frames for b in stream] == [SR, SR, SR, round(0.3 * SR)]
    assert [b.index for b in stream] == [0, 1, 2, 3]
    assert [b.start for b in stream] == pytest.approx([0.0, 1.0, 2.0, 3.0])
    assert all(isinstance(b, AudioBlock) and b.sample_rate == SR for b in stream)
    assert all(b.samples.dtype == np.float32 and b.channels == 2 for b in stream)


@pytest.mark.parametrize(("target", "mono"), [(22050, False), (48000, True), (SR, True)])
def test_resampled_and_mono_streams_match_load(tmp_path, target, mono):
    path = write(tmp_path / "m.wav", _music(2.5), SR, subtype="FLOAT")
    stream = list(blocks(path, seconds=0.4, sample_rate=target, mono=mono))
    reference = load(path, sample_rate=target, mono=mono).samples
    joined = _joined(stream)
    assert joined.shape == reference.shape
    assert joined.shape[0] == (1 if mono else 2)
    np.testing.assert_allclose(joined, reference, atol=1e-4)
    assert all(b.frames == round(0.4 * target) for b in stream[:-1])


def test_mp3_stream_matches_load(tmp_path):
    if "MP3" in sf.available_formats():
        path = write(tmp_path / "m.mp3", _music(2.0), SR, format="MP3",
                     subtype="MPEG_LAYER_III")
    else:
        source = write(tmp_path / "m.wav", _music(2.0), SR)
        path = ffmpeg_encode(source, tmp_path / "m.mp3", "-c:a", "libmp3lame")
    np.testing.assert_allclose(_joined(blocks(path, seconds=0.3)), load(path).samples,
                               atol=1e-6)


@needs_ffmpeg
def test_ffmpeg_stream_matches_load(tmp_path):
    source = write(tmp_path / "m.wav", _music(2.0), SR)
    path = ffmpeg_encode(source, tmp_path / "m.m4a", "-c:a", "aac")
    stream = list(blocks(path, seconds=0.5, sample_rate=22050))
    np.testing.assert_allclose(_joined(stream), load(path, sample_rate=22050).samples,
                               atol=1e-5)
    assert stream[0].frames == round(0.5 * 22050)


def test_cancel_stops_between_blocks(tmp_path):
    path = write(tmp_path / "m.wav", _music(3.0), SR)
    token = CancelToken()
    seen = []
    with pytest.raises(Cancelled):
        for block in blocks(path, seconds=0.5, cancel=token):
            seen.append(block.index)
            if block.index == 1:
                token.cancel("user pressed stop")
    assert seen == [0, 1]


def test_cancelled_before_start(tmp_path):
    path = write(tmp_path / "m.wav", _music(1.0), SR)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        next(iter(blocks(path, cancel=token)))


def test_checker_sees_the_same_warnings_as_load(tmp_path):
    data = _music(2.0)
    data[0] += 0.2  # DC offset on the left channel
    path = write(tmp_path / "dc.wav", np.clip(data, -1, 1), SR, subtype="FLOAT")
    checker = SignalChecker()
    list(blocks(path, seconds=0.3, checker=checker))
    assert checker.warnings() == load(path).warnings
    assert any("DC offset" in w for w in checker.warnings())


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("inf"), 1e-7])
def test_bad_block_length(tmp_path, seconds):
    path = write(tmp_path / "m.wav", _music(0.5), SR)
    with pytest.raises(InvalidParameter, match="seconds"):
        blocks(path, seconds=seconds)


@settings(max_examples=20, deadline=None)
@given(frames=st.integers(min_value=1, max_value=20000),
       block_ms=st.integers(min_value=1, max_value=600),
       channels=st.integers(min_value=1, max_value=3))
def test_property_blocks_concatenate_to_load(tmp_path_factory, frames, block_ms, channels):
    folder = tmp_path_factory.mktemp("prop")
    rng = np.random.default_rng(frames)
    data = (rng.uniform(-0.9, 0.9, (channels, frames))).astype(np.float32)
    path = write(folder / "p.wav", data, 8000, subtype="FLOAT")
    stream = list(blocks(path, seconds=block_ms / 1000))
    size = round(block_ms / 1000 * 8000)
    assert all(b.frames == size for b in stream[:-1]) and 0 < stream[-1].frames <= size
    assert len(stream) == -(-frames // size)
    np.testing.assert_array_equal(_joined(stream), data)
    np.testing.assert_array_equal(_joined(stream), load(path).samples)
