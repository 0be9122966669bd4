"""Bad inputs: every failure is a core.errors.AudioLoadError naming the file and the reason."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio import blocks, decode, ffmpeg_backend, load, probe, sniff
from core.errors import (
    AudioLoadError,
    BadSampleRate,
    CorruptAudio,
    EmptyFile,
    FileMissing,
    NoAudioData,
    NotAFile,
    NotAudio,
    TooManyChannels,
    UnsupportedFormat,
)
from tests.core._audio_helpers import FFMPEG, ffmpeg_encode, needs_ffmpeg, sine, write

SR = 44100
READERS = {"load": load, "probe": probe, "blocks": lambda p: list(blocks(p))}


def _expect(error_type: type[AudioLoadError], path: Path, *words: str, reader=load):
    """Call ``reader(path)`` and check the error class, the path and the reason's words."""
    with pytest.raises(error_type) as caught:
        reader(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for word in words:
        assert word in message, message
    return caught.value


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_missing_file(tmp_path, reader):
    _expect(FileMissing, tmp_path / "nope.wav", "file not found", reader=reader)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_folder(tmp_path, reader):
    folder = tmp_path / "kit.wav"
    folder.mkdir()
    _expect(NotAFile, folder, "is a folder", reader=reader)


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_empty_file(tmp_path, reader):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _expect(EmptyFile, path, "file is empty (0 bytes)", reader=reader)


NOT_AUDIO = [
    ("cover.wav", b"\x89PNG\r\n\x1a\n" + bytes(200), "this is a PNG image, not audio",
     "(despite the .wav extension)"),
    ("photo.mp3", b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), "a JPEG image", ".mp3"),
    ("anim.flac", b"GIF89a" + bytes(100), "a GIF image", ".flac"),
    ("manual.wav", b"%PDF-1.7\n" + bytes(100), "a PDF document", ".wav"),
    ("samples.wav", b"PK\x03\x04" + bytes(100), "a ZIP archive", ".wav"),
    ("notes.mp3", b"Kick on 1, snare on 3.\nTempo 128.\n" * 20, "this is a text file", ".mp3"),
    ("page.wav", b"<!DOCTYPE html><html><body>404</body></html>", "an HTML page", ".wav"),
    ("preset.ogg", b'{"name": "bass", "cutoff": 0.4}', "a JSON file", ".ogg"),
    ("notes.txt", "Grüße aus dem Studio\n".encode(), "this is a text file, not audio", ""),
]


@pytest.mark.parametrize(("name", "content", "kind", "ext"), NOT_AUDIO,
                         ids=[n[0] for n in NOT_AUDIO])
def test_not_audio_says_what_it_is(tmp_path, name, content, kind, ext):
    path = tmp_path / name
    path.write_bytes(content)
    error = _expect(NotAudio, path, kind, ext)
    if not ext:
        assert "despite" not in str(error)
    _expect(NotAudio, path, kind, reader=probe)


def _cut(path: Path, keep_bytes: int) -> Path:
    """Truncate ``path`` to its first ``keep_bytes`` bytes."""
    with open(path, "r+b") as handle:
        handle.truncate(keep_bytes)
    return path


@pytest.mark.parametrize("ext", [".wav", ".aiff"])
def test_truncated_file_loads_what_is_there_with_a_warning(tmp_path, ext):
    path = write(tmp_path / f"cut{ext}", sine(440, 4.0, SR, channels=2), SR, subtype="PCM_16")
    audio_start = path.stat().st_size - 4 * SR * 4
    _cut(path, audio_start + round(1.5 * SR) * 4)

    buf = load(path)

    assert buf.frames == round(1.5 * SR)
    assert "truncated: header promises 4.00 s but only 1.50 s of audio is present" in buf.warnings


def test_badly_truncated_wav_is_corrupt(tmp_path):
    path = write(tmp_path / "stub.wav", sine(440, 4.0, SR, channels=2), SR, subtype="PCM_16")
    _cut(path, path.stat().st_size - 4 * SR * 4 + 1000 * 4)  # 1000 of 176400 frames left
    _expect(CorruptAudio, path, "truncated", "header promises 4.00 s")
    _expect(CorruptAudio, path, "truncated", reader=probe)


def test_truncated_flac_keeps_decodable_audio(tmp_path):
    path = write(tmp_path / "cut.flac", sine(440, 6.0, SR, channels=2), SR, subtype="PCM_16")
    _cut(path, int(path.stat().st_size * 0.6))

    buf = load(path)

    assert 1.0 < buf.duration < 6.0
    assert any(w.startswith(("damaged", "truncated")) for w in buf.warnings), buf.warnings


def test_wav_cut_inside_its_header_is_corrupt(tmp_path):
    path = write(tmp_path / "head.wav", sine(440, 1.0), SR, subtype="PCM_16")
    _cut(path, 30)
    _expect(CorruptAudio, path, "damaged WAV file")


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aiff"])
def test_random_bytes_are_corrupt(tmp_path, ext):
    rng = np.random.default_rng(42)
    path = tmp_path / f"noise{ext}"
    path.write_bytes(b"\x00\x01" + rng.integers(0, 256, 20000, dtype=np.uint8).tobytes())
    error = _expect(CorruptAudio, path)
    assert "unrecognised data" in error.reason or "damaged" in error.reason


@pytest.mark.parametrize("ext", [".wav", ".flac", ".mp3", ".ogg", ".aiff"])
@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 0.97])
def test_truncation_never_leaks_raw_exceptions(tmp_path, ext, fraction):
    how = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".mp3": ("MP3", None),
           ".ogg": ("OGG", "VORBIS"), ".aiff": ("AIFF", "PCM_16")}[ext]
    if how[0] not in sf.available_formats():
        pytest.skip(f"this libsndfile cannot write {how[0]}")
    path = write(tmp_path / f"x{ext}", sine(440, 3.0, SR, channels=2), SR, format=how[0],
                 subtype=how[1])
    _cut(path, max(1, int(path.stat().st_size * fraction)))
    for reader in READERS.values():
        try:
            reader(path)
        except AudioLoadError as error:
            assert str(error).startswith(f"{path}: ")


def _hide_ffmpeg(monkeypatch):
    monkeypatch.setattr(ffmpeg_backend.shutil, "which", lambda name: None)


def test_m4a_without_ffmpeg_says_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "song.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isom" + bytes(500))
    _hide_ffmpeg(monkeypatch)
    _expect(UnsupportedFormat, path, "needs ffmpeg", "apt install ffmpeg")
    _expect(UnsupportedFormat, path, "needs ffmpeg", reader=probe)


@needs_ffmpeg
def test_codec_libsndfile_cannot_read_without_ffmpeg(tmp_path, monkeypatch):
    source = write(tmp_path / "s.wav", sine(440, 1.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "ac3.wav", "-c:a", "ac3", "-f", "wav")
    _hide_ffmpeg(monkeypatch)
    _expect(UnsupportedFormat, path, "libsndfile cannot read", "ffmpeg")


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_zero_frames(tmp_path, reader):
    path = write(tmp_path / "zero.wav", np.zeros((2, 0), np.float32), SR)
    _expect(NoAudioData, path, "contains no audio samples (0 frames)", reader=reader)


@needs_ffmpeg
def test_video_without_sound(tmp_path):
    path = tmp_path / "clip.mp4"
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=32x32:d=1",
           "-c:v", "mpeg4", str(path)]
    if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
        pytest.skip("this ffmpeg cannot make a test video")
    _expect(NoAudioData, path, "no audio stream")


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_too_many_channels(tmp_path, reader):
    path = write(tmp_path / "twelve.wav", np.zeros((12, 100), np.float32), SR)
    _expect(TooManyChannels, path, "has 12 channels; Breakroom supports up to 8", reader=reader)


@pytest.mark.parametrize("rate", [500, 1_000_000])
def test_absurd_sample_rate(tmp_path, rate):
    path = write(tmp_path / f"r{rate}.wav", sine(10, 0.1, rate), rate)
    _expect(BadSampleRate, path, f"{rate} Hz")


def test_offset_beyond_the_end(tmp_path):
    path = write(tmp_path / "short.wav", sine(440, 1.0), SR)
    _expect(NoAudioData, path, "offset 2 s", "beyond the end",
            reader=lambda p: load(p, offset=2.0))


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path / "locked.wav", sine(440, 0.5), SR)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root reads anything: simulate it
        def locked(*args, **kwargs):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(sniff, "open", locked, raising=False)
    else:
        path.chmod(0)
    try:
        _expect(AudioLoadError, path, "permission denied")
    finally:
        path.chmod(0o644)


def _old_libsndfile(monkeypatch):
    """Pretend libsndfile predates MP3 support (< 1.1)."""
    monkeypatch.setattr(decode, "mp3_supported", lambda: False)


def test_mp3_with_old_libsndfile_and_no_ffmpeg(tmp_path, monkeypatch):
    path = tmp_path / "old.mp3"
    path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(400))
    _old_libsndfile(monkeypatch)
    _hide_ffmpeg(monkeypatch)
    _expect(UnsupportedFormat, path, "MP3 audio needs libsndfile 1.1 or newer", "ffmpeg")


@needs_ffmpeg
def test_mp3_with_old_libsndfile_falls_back_to_ffmpeg(tmp_path, monkeypatch):
    source = write(tmp_path / "s.wav", sine(440, 2.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "s.mp3", "-c:a", "libmp3lame")
    _old_libsndfile(monkeypatch)
    info = probe(path)
    buf = load(path, offset=0.5, duration=1.0)
    assert (info.backend, info.format, info.codec) == ("ffmpeg", "MP3", "mp3")
    assert abs(buf.duration - 1.0) < 0.01 and buf.channels == 2


@needs_ffmpeg
def test_truncated_m4a_loads_with_a_warning(tmp_path):
    source = write(tmp_path / "s.wav", sine(440, 6.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "cut.m4a", "-c:a", "aac", "-movflags", "+faststart")
    _cut(path, int(path.stat().st_size * 0.6))

    buf = load(path)

    assert 2.0 < buf.duration < 5.0
    assert any(w.startswith("truncated: header promises 6.00 s") for w in buf.warnings)


@needs_ffmpeg
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.9])
def test_truncated_m4a_never_leaks_raw_exceptions(tmp_path, fraction):
    source = write(tmp_path / "s.wav", sine(440, 2.0, SR, channels=2), SR)
    path = ffmpeg_encode(source, tmp_path / "cut.m4a", "-c:a", "aac")
    _cut(path, int(path.stat().st_size * fraction))
    for reader in READERS.values():
        try:
            reader(path)
        except AudioLoadError as error:
            assert str(error).startswith(f"{path}: ")
