"""Sample-accurate loop audio: exact samples, exact length, atomic no-clobber writes."""

from __future__ import annotations

import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.audio.loop_cut import AudioWriteError, cut_loop, cut_loops, loop_frames
from core.errors import CoreError, FileMissing, InvalidParameter, OutputExists


def _ramp(frames: int, channels: int, bits: int, seed: int = 0) -> np.ndarray:
    """``[frames, channels]`` int32 test signal at ``bits`` resolution: channel 0 a ramp that
    wraps, the others noise with an impulse every 1000 frames (every value distinct-ish)."""
    step = 1 << (32 - bits)
    top = 1 << (bits - 1)
    rng = np.random.default_rng(seed)
    out = np.empty((frames, channels), np.int64)
    out[:, 0] = (np.arange(frames) * 977) % (2 * top) - top
    for c in range(1, channels):
        out[:, c] = rng.integers(-top, top, frames)
        out[::1000, c] = top - 1
    return (out * step).astype(np.int32)


def _write(path: Path, data: np.ndarray, rate: int, subtype: str) -> Path:
    sf.write(path, data, rate, subtype=subtype)
    return path


def _frames(path: Path, dtype: str = "int32") -> np.ndarray:
    data, _ = sf.read(path, dtype=dtype, always_2d=True)
    return data


@pytest.mark.parametrize(("suffix", "subtype", "rate", "channels"), [
    ("wav", "PCM_24", 48000, 2),
    ("wav", "PCM_16", 44100, 1),
    ("flac", "PCM_24", 48000, 2),
    ("flac", "PCM_16", 44100, 2),
    ("aiff", "PCM_16", 22050, 3),
])
def test_loop_holds_exactly_the_source_samples(tmp_path, suffix, subtype, rate, channels):
    bits = 24 if subtype == "PCM_24" else 16
    source = _write(tmp_path / f"song.{suffix}", _ramp(3 * rate + 17, channels, bits), rate,
                    subtype)
    start, end = 0.123456, 2.7654321
    out = cut_loop(source, start, end, tmp_path / "loop.wav")
    a, b = round(start * rate), round(end * rate)
    assert (a, b) == loop_frames(start, end, rate)
    info = sf.info(str(out))
    assert info.samplerate == rate and info.channels == channels
    assert info.subtype == "PCM_24" and info.format == "WAV"
    loop = _frames(out)
    assert loop.shape == (b - a, channels)
    np.testing.assert_array_equal(loop, _frames(source)[a:b])


def test_loop_bounds_round_to_the_nearest_frame(tmp_path):
    rate = 48000
    source = _write(tmp_path / "s.wav", _ramp(rate, 1, 24), rate, "PCM_24")
    # 0.1000104 s is frame 4800.5 (rounds to even: 4800); 0.2000104 s is 9600.5 -> 9600
    for start, end in ((0.1000104, 0.2000104), (0.10001, 0.2), (0.0, 1.0), (0.5, 0.50003)):
        out = cut_loop(source, start, end, tmp_path / "l.wav", overwrite=True)
        a, b = round(start * rate), round(end * rate)
        np.testing.assert_array_equal(_frames(out), _frames(source)[a:b])


def test_float_source(tmp_path):
    rate = 44100
    rng = np.random.default_rng(4)
    x = (rng.uniform(-1.0, 1.0, (rate, 2)) * 0.9).astype(np.float32)
    x[100, 0] = 1.5  # an over, kept in FLOAT only
    source = _write(tmp_path / "float.wav", x, rate, "FLOAT")
    a, b = loop_frames(0.001, 0.5, rate)
    out = cut_loop(source, 0.001, 0.5, tmp_path / "f.wav", subtype="FLOAT")
    assert sf.info(str(out)).subtype == "FLOAT"
    np.testing.assert_array_equal(_frames(out, "float32"), x[a:b])
    pcm = cut_loop(source, 0.001, 0.5, tmp_path / "p.wav")  # PCM_24: nearest 24-bit step
    expected = np.clip(np.rint(x[a:b].astype(np.float64) * 2 ** 23), -2 ** 23, 2 ** 23 - 1)
    np.testing.assert_array_equal(_frames(pcm, "float64") * 2 ** 23, expected)


def test_lossy_source_has_the_exact_length(tmp_path):
    rate = 44100
    t = np.arange(2 * rate) / rate
    source = _write(tmp_path / "s.ogg", (0.5 * np.sin(2 * np.pi * 440 * t))[:, None], rate,
                    "VORBIS")
    out = cut_loop(source, 0.25, 1.75, tmp_path / "l.wav")
    assert sf.info(str(out)).frames == round(1.75 * rate) - round(0.25 * rate)


def test_fade(tmp_path):
    rate = 48000
    source = _write(tmp_path / "s.wav", np.full((rate, 1), 0.5), rate, "PCM_24")
    out = cut_loop(source, 0.0, 0.5, tmp_path / "l.wav", fade_ms=10.0)
    y = _frames(out, "float64")[:, 0]
    assert len(y) == 24000 and y[0] == 0.0 and y[-1] == 0.0
    assert y[480] == 0.5 and y[12000] == 0.5 and y[240] == 0.25  # 10 ms = 480 frames
    assert np.all(np.diff(y[:481]) > 0) and np.all(np.diff(y[-481:]) < 0)


def test_no_overwrite_unless_asked(tmp_path):
    rate = 48000
    source = _write(tmp_path / "s.wav", _ramp(rate, 2, 24), rate, "PCM_24")
    dest = tmp_path / "loop.wav"
    dest.write_bytes(b"keep me")
    with pytest.raises(OutputExists) as err:
        cut_loop(source, 0.1, 0.2, dest)
    assert str(dest) in str(err.value) and dest.read_bytes() == b"keep me"
    cut_loop(source, 0.1, 0.2, dest, overwrite=True)
    assert len(_frames(dest)) == 4800
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.wav", "s.wav"]


def test_loop_beyond_the_end(tmp_path):
    source = _write(tmp_path / "short.wav", _ramp(round(12.3 * 8000), 1, 16), 8000, "PCM_16")
    with pytest.raises(InvalidParameter) as err:
        cut_loop(source, 10.0, 20.0, tmp_path / "l.wav")
    assert str(err.value) == f"{source}: loop 10.0–20.0 s ends after the track (12.3 s)"
    with pytest.raises(InvalidParameter, match="ends after the track"):
        cut_loop(source, 13.0, 14.0, tmp_path / "l.wav")
    out = cut_loop(source, 10.0, 12.3, tmp_path / "l.wav")  # up to the very end is fine
    assert len(_frames(out)) == round(12.3 * 8000) - 80000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.wav", "short.wav"]


@pytest.mark.parametrize(("start", "end", "message"), [
    (2.0, 2.0, "start must be before the end"),
    (3.0, 2.0, "start must be before the end"),
    (-0.5, 1.0, "starts before the track"),
    (0.0, float("nan"), "end_s must be a finite number"),
    (1.0, 1.00001, "shorter than one sample"),
])
def test_bad_loops(tmp_path, start, end, message):
    source = _write(tmp_path / "s.wav", _ramp(8000 * 4, 1, 16), 8000, "PCM_16")
    with pytest.raises(InvalidParameter, match=message):
        cut_loop(source, start, end, tmp_path / "l.wav")


def test_bad_options_and_missing_source(tmp_path):
    source = _write(tmp_path / "s.wav", _ramp(8000, 1, 16), 8000, "PCM_16")
    with pytest.raises(InvalidParameter, match="subtype"):
        cut_loop(source, 0.0, 0.5, tmp_path / "l.wav", subtype="PCM_8")
    with pytest.raises(InvalidParameter, match="fade_ms"):
        cut_loop(source, 0.0, 0.5, tmp_path / "l.wav", fade_ms=-1.0)
    with pytest.raises(FileMissing, match=re.escape("nope.wav")):
        cut_loop(tmp_path / "nope.wav", 0.0, 0.5, tmp_path / "l.wav")


def test_unwritable_destination_names_the_path(tmp_path):
    source = _write(tmp_path / "s.wav", _ramp(8000, 1, 16), 8000, "PCM_16")
    missing = tmp_path / "no" / "such" / "l.wav"
    with pytest.raises(AudioWriteError) as err:
        cut_loop(source, 0.0, 0.5, missing)
    assert isinstance(err.value, CoreError) and str(missing) in str(err.value)
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(AudioWriteError, match="folder"):
        cut_loop(source, 0.0, 0.5, tmp_path / "dir.wav", overwrite=True)
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(AudioWriteError, match="permission denied") as err:
                cut_loop(source, 0.0, 0.5, locked / "l.wav")
            assert str(locked / "l.wav") in str(err.value)
            assert list(locked.iterdir()) == []
        finally:
            locked.chmod(0o700)


def test_two_hour_file_is_not_loaded_whole(tmp_path):
    rate, frames = 1000, 2 * 3600 * 1000  # 2 hours at 1 kHz, 14.4 MB of PCM_16
    path = tmp_path / "long.wav"
    block = 600_000
    with sf.SoundFile(path, "w", rate, 1, "PCM_16") as f:
        for start in range(0, frames, block):
            f.write((np.arange(start, start + block, dtype=np.int64) % 65536 - 32768)
                    .astype(np.int16))
    start_s, end_s = 7190.0, 7192.5
    tracemalloc.start()
    try:
        out = cut_loop(path, start_s, end_s, tmp_path / "l.wav")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000  # the whole file as float32 would be 28.8 MB
    a, b = loop_frames(start_s, end_s, rate)
    expected = (np.arange(a, b, dtype=np.int64) % 65536 - 32768) << 16
    np.testing.assert_array_equal(_frames(out)[:, 0], expected)


@pytest.fixture
def song(tmp_path) -> dict[str, Path]:
    rate = 48000
    folder = tmp_path / "src"
    folder.mkdir()
    return {name: _write(folder / f"song.{name}.{ext}", _ramp(2 * rate, 2, 24, seed=k), rate,
                         "PCM_24")
            for k, (name, ext) in enumerate((("mix", "wav"), ("drums", "flac"),
                                             ("bass", "wav")))}


def test_cut_loops_cuts_every_stem(song, tmp_path):
    out = tmp_path / "loops"
    paths = cut_loops(song, 0.5, 1.5, out, track="song")
    assert list(paths) == ["mix", "drums", "bass"]
    assert [p.name for p in paths.values()] == ["song.mix.loop.wav", "song.drums.loop.wav",
                                                "song.bass.loop.wav"]
    for name, path in paths.items():
        np.testing.assert_array_equal(_frames(path), _frames(song[name])[24000:72000])
    default = cut_loops(song, 0.5, 1.5, tmp_path / "other", "{name}-{track}.wav")
    assert default["drums"].name == "drums-song.mix.wav"  # track from the mix's file name


def test_cut_loops_is_all_or_nothing(song, tmp_path):
    out = tmp_path / "loops"
    out.mkdir()
    (out / "song.drums.loop.wav").write_bytes(b"old")
    with pytest.raises(OutputExists, match=re.escape("song.drums.loop.wav")):
        cut_loops(song, 0.5, 1.5, out, track="song")
    assert [p.name for p in out.iterdir()] == ["song.drums.loop.wav"]
    assert (out / "song.drums.loop.wav").read_bytes() == b"old"
    short = dict(song, bass=_write(tmp_path / "short.wav", _ramp(48000, 2, 24), 48000,
                                   "PCM_24"))
    with pytest.raises(InvalidParameter, match=re.escape("short.wav: loop 0.5–1.5 s ends after")):
        cut_loops(short, 0.5, 1.5, out, track="song", overwrite=True)
    assert [p.name for p in out.iterdir()] == ["song.drums.loop.wav"]
    with pytest.raises(InvalidParameter, match="same file"):
        cut_loops(song, 0.5, 1.5, out, "{track}.wav")
    with pytest.raises(InvalidParameter, match="not a valid pattern"):
        cut_loops(song, 0.5, 1.5, out, "{stem}.wav")
    with pytest.raises(InvalidParameter, match="not a plain file name"):
        cut_loops(song, 0.5, 1.5, out, "{name}/{track}.wav")
    paths = cut_loops(song, 0.5, 1.5, out, track="song", overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())
    assert len(_frames(paths["drums"])) == 48000


def test_cut_loops_removes_what_it_wrote_when_a_write_fails(song, tmp_path, monkeypatch):
    import core.fileutil as fileutil

    real = fileutil.atomic_write_bytes

    def failing(path, data, *, overwrite=False):
        if Path(path).name.startswith("song.bass"):
            raise OSError(28, "No space left on device")
        return real(path, data, overwrite=overwrite)

    monkeypatch.setattr(fileutil, "atomic_write_bytes", failing)
    out = tmp_path / "loops"
    with pytest.raises(AudioWriteError, match="No space left"):
        cut_loops(song, 0.5, 1.5, out, track="song")
    assert list(out.iterdir()) == []


def test_permission_denied_names_the_path(tmp_path, monkeypatch):
    import core.fileutil as fileutil

    def denied(path, data, *, overwrite=False):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(fileutil, "atomic_write_bytes", denied)
    source = _write(tmp_path / "s.wav", _ramp(8000, 1, 16), 8000, "PCM_16")
    with pytest.raises(AudioWriteError, match="permission denied") as err:
        cut_loop(source, 0.0, 0.5, tmp_path / "l.wav")
    assert str(err.value).startswith(f"{tmp_path / 'l.wav'}: ")
