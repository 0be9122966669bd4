"""core.audio.load / probe / find_audio_files: known answers on generated files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import AUDIO_EXTENSIONS, AudioBuffer, find_audio_files, load, probe, sndfile_backend
from core.errors import InvalidParameter
from tests.core._audio_helpers import (
    dominant_frequency,
    ffmpeg_encode,
    needs_ffmpeg,
    rms_db,
    sine,
    write,
)

SR = 44100
MP3_BY_SNDFILE = "MP3" in sf.available_formats()

# name, extension, soundfile format/subtype (None: encode with ffmpeg), lossless, backend
FORMATS = [
    ("wav16", ".wav", ("WAV", "PCM_16"), True, "libsndfile"),
    ("wav-float", ".wav", ("WAV", "FLOAT"), True, "libsndfile"),
    ("flac", ".flac", ("FLAC", "PCM_24"), True, "libsndfile"),
    ("aiff", ".aiff", ("AIFF", "PCM_16"), True, "libsndfile"),
    ("vorbis", ".ogg", ("OGG", "VORBIS"), False, "libsndfile"),
    ("opus", ".opus", ("OGG", "OPUS"), False, "libsndfile"),
    ("mp3", ".mp3", ("MP3", "MPEG_LAYER_III") if MP3_BY_SNDFILE else ["-c:a", "libmp3lame"],
     False, "libsndfile" if MP3_BY_SNDFILE else "ffmpeg"),
    ("aac", ".m4a", ["-c:a", "aac", "-b:a", "160k"], False, "ffmpeg"),
    ("alac", ".m4a", ["-c:a", "alac"], True, "ffmpeg"),
    ("wma", ".wma", ["-c:a", "wmav2", "-b:a", "160k"], False, "ffmpeg"),
]


def _make(tmp_path: Path, ext: str, how: tuple[str, str] | list[str], samples: np.ndarray,
          rate: int) -> Path:
    """Write ``samples`` in the requested format, with soundfile or through ffmpeg."""
    if isinstance(how, tuple):
        if how[1] not in sf.available_subtypes(how[0]):
            pytest.skip(f"this libsndfile cannot write {how[0]}/{how[1]}")
        return write(tmp_path / f"tone{ext}", samples, rate, format=how[0], subtype=how[1])
    source = write(tmp_path / "source.wav", samples, rate, subtype="PCM_16")
    return ffmpeg_encode(source, tmp_path / f"tone{ext}", *how)


@pytest.mark.parametrize(("name", "ext", "how", "lossless", "backend"), FORMATS,
                         ids=[f[0] for f in FORMATS])
def test_sine_round_trips_through_each_format(tmp_path, name, ext, how, lossless, backend):
    rate = 48000 if name == "opus" else SR
    original = sine(440.0, 2.0, rate, channels=2)
    path = _make(tmp_path, ext, how, original, rate)

    buf = load(path)

    assert isinstance(buf, AudioBuffer)
    assert buf.samples.dtype == np.float32 and buf.samples.flags.c_contiguous
    assert buf.channels == 2 and buf.sample_rate == rate and buf.path == str(path)
    assert abs(dominant_frequency(buf.samples[0], rate) - 440.0) < 1.0
    assert probe(path).backend == backend
    if lossless:
        assert buf.frames == original.shape[1]
        assert np.abs(buf.samples - original).max() <= 1 / 32768
    else:
        assert abs(buf.duration - 2.0) < 0.1
        # Channel order survives: the right channel is 6 dB below the left.
        assert abs(rms_db(buf.samples[0]) - rms_db(buf.samples[1]) - 6.02) < 0.5
    assert buf.warnings == ()


def test_buffer_is_read_only(tmp_path):
    buf = load(write(tmp_path / "a.wav", sine(440, 0.5)))
    with pytest.raises(ValueError):
        buf.samples[0, 0] = 1.0


@pytest.mark.parametrize("target", [22050, 48000])
def test_resampling_keeps_frequency_amplitude_and_length(tmp_path, target):
    original = sine(1000.0, 2.0, SR, amplitude=0.5)
    path = write(tmp_path / "k.wav", original, SR, subtype="FLOAT")

    buf = load(path, sample_rate=target)

    assert buf.sample_rate == target
    assert abs(buf.frames - 2.0 * target) <= 1
    middle = buf.samples[0, target // 4: -target // 4]
    assert abs(dominant_frequency(middle, target) - 1000.0) < 1.0
    assert abs(rms_db(middle) - rms_db(original[0, SR // 4: -SR // 4])) < 0.1


@pytest.mark.parametrize("ext", [".wav", ".flac", ".aiff"])
def test_offset_and_duration_pick_the_exact_slice(tmp_path, ext):
    samples = np.zeros((2, 3 * SR), dtype=np.float32)
    samples[0, 30000] = 0.75  # marker: 0.5 s + 7950 frames
    samples[1, 60000] = -0.5  # outside the slice
    path = write(tmp_path / f"m{ext}", samples, SR, subtype="PCM_16")

    buf = load(path, offset=0.5, duration=0.25)

    assert buf.frames == round(0.25 * SR)
    assert int(np.argmax(np.abs(buf.samples[0]))) == 30000 - 22050
    assert buf.samples[0, 30000 - 22050] == pytest.approx(0.75, abs=1 / 32768)
    assert not np.any(buf.samples[1])


def test_slice_running_past_the_end_is_shortened(tmp_path):
    path = write(tmp_path / "s.wav", sine(440, 1.0), SR)
    assert load(path, offset=0.75, duration=5.0).frames == round(0.25 * SR)


def test_mono_is_the_mean_of_the_channels(tmp_path):
    stereo = sine(440.0, 1.0, SR, channels=2)  # right = left / 2
    path = write(tmp_path / "st.wav", stereo, SR, subtype="FLOAT")

    mono = load(path, mono=True)
    full = load(path)

    assert mono.channels == 1
    np.testing.assert_allclose(mono.samples[0], 0.75 * stereo[0], atol=1e-6)
    np.testing.assert_allclose(full.to_mono().samples, mono.samples, atol=1e-7)
    np.testing.assert_allclose(full.mono_samples(), mono.samples[0], atol=1e-7)


@pytest.mark.parametrize("kwargs", [{"offset": -1.0}, {"duration": 0.0}, {"duration": -2.0},
                                    {"sample_rate": 500}, {"sample_rate": 1_000_000},
                                    {"offset": float("nan")}])
def test_bad_parameters_name_the_parameter(tmp_path, kwargs):
    path = write(tmp_path / "p.wav", sine(440, 0.5), SR)
    with pytest.raises(InvalidParameter, match=next(iter(kwargs))):
        load(path, **kwargs)


def test_probe_reports_format_and_tags(tmp_path):
    path = write(tmp_path / "t.flac", sine(440, 3.0, 48000, channels=2), 48000,
                 subtype="PCM_24", tags={"title": "Night Bus", "artist": "Breakroom"})

    info = probe(path)

    assert (info.format, info.codec, info.backend) == ("FLAC", "PCM_24", "libsndfile")
    assert (info.channels, info.sample_rate, info.frames) == (2, 48000, 144000)
    assert info.duration == pytest.approx(3.0)
    assert info.bit_depth == 24
    assert info.size_bytes == path.stat().st_size
    assert info.tags["title"] == "Night Bus" and info.tags["artist"] == "Breakroom"


def test_probe_lossy_has_no_bit_depth(tmp_path):
    path = _make(tmp_path, ".ogg", ("OGG", "VORBIS"), sine(440, 1.0), SR)
    info = probe(path)
    assert (info.format, info.codec, info.bit_depth) == ("OGG", "VORBIS", None)


@needs_ffmpeg
def test_probe_m4a_through_ffprobe(tmp_path):
    source = write(tmp_path / "s.wav", sine(440, 2.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "t.m4a", "-c:a", "aac",
                         "-metadata", "title=Warehouse", "-metadata", "album=Tapes")

    info = probe(path)

    assert (info.format, info.codec, info.backend) == ("M4A", "aac", "ffmpeg")
    assert (info.channels, info.sample_rate, info.bit_depth) == (2, SR, None)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.tags["title"] == "Warehouse" and info.tags["album"] == "Tapes"


def test_probe_does_not_decode(tmp_path, monkeypatch):
    path = write(tmp_path / "long.flac", sine(440, 120.0, 22050), 22050)

    def no_decoding(*args, **kwargs):
        raise AssertionError("probe decoded audio")

    monkeypatch.setattr(sndfile_backend.SndfileDecoder, "chunks", no_decoding)
    started = time.perf_counter()
    info = probe(path)
    assert time.perf_counter() - started < 0.2
    assert info.duration == pytest.approx(120.0)


@needs_ffmpeg
def test_codec_libsndfile_refuses_falls_back_to_ffmpeg(tmp_path):
    source = write(tmp_path / "s.wav", sine(440, 1.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "ac3.wav", "-c:a", "ac3", "-f", "wav")

    buf = load(path)

    assert probe(path).backend == "ffmpeg"
    assert abs(dominant_frequency(buf.samples[0], SR) - 440) < 1.0


def test_find_audio_files(tmp_path):
    for rel in ["b.wav", "a.FLAC", "notes.txt", "sub/c.mp3", "sub/deeper/d.opus",
                ".hidden/e.wav", "sub/.f.wav", "cover.png"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    readme = tmp_path / "notes.txt"

    found = find_audio_files([readme, tmp_path])
    flat = find_audio_files([tmp_path], recursive=False)

    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["notes.txt", "a.FLAC", "b.wav", "sub/c.mp3", "sub/deeper/d.opus"]
    assert [p.name for p in flat] == ["a.FLAC", "b.wav"]
    assert {".wav", ".m4a", ".aiff", ".opus", ".w64"} <= AUDIO_EXTENSIONS
