"""Every bad input gets one clear line naming the file and the reason, exit 1, no traceback."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _wav(path: Path, samples: np.ndarray, rate: int = 44100) -> Path:
    sf.write(str(path), samples.T, rate, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """name -> (path, a word the reason must contain)."""
    d = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(7)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(4 * 44100) / 44100)).astype(np.float32)
    (d / "empty folder").mkdir()
    (d / "empty.wav").write_bytes(b"")
    (d / "notes.wav").write_text("these are my notes, not audio\n" * 20)
    png = b"\x89PNG\r\n\x1a\n" + bytes(13) + rng.integers(0, 256, 400, np.uint8).tobytes()
    (d / "cover.mp3").write_bytes(png)
    truncated = _wav(d / "truncated.wav", np.stack([tone, tone]))
    with open(truncated, "r+b") as f:
        f.truncate(44 + 4000)  # header promises 4 s, 1000 frames remain
    (d / "garbage.flac").write_bytes(b"\x00\x01" + rng.integers(0, 256, 20000, np.uint8).tobytes())
    _wav(d / "zero.wav", np.zeros((2, 0), np.float32))
    _wav(d / "twelve.wav", np.zeros((12, 1000), np.float32))
    _wav(d / "slow.wav", np.zeros((1, 100), np.float32), rate=500)
    m4a = d / "song.m4a"
    m4a.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isom" + bytes(500))
    return {
        "missing": (d / "missing.wav", "not found"),
        "folder without audio": (d / "empty folder", "no audio files"),
        "zero bytes": (d / "empty.wav", "empty"),
        "text renamed .wav": (d / "notes.wav", "text"),
        "image renamed .mp3": (d / "cover.mp3", "PNG"),
        "truncated": (truncated, "truncated"),
        "corrupt": (d / "garbage.flac", "unrecognised"),
        "zero-length audio": (d / "zero.wav", "no audio samples"),
        "too many channels": (d / "twelve.wav", "12 channels"),
        "absurd sample rate": (d / "slow.wav", "500 Hz"),
        "codec needing ffmpeg (damaged m4a)": (m4a, "m4a"),
    }


@pytest.mark.parametrize("command", ["analyze", "info"])
def test_each_bad_input_alone(bad_inputs, command, capsys):
    for name, (path, word) in bad_inputs.items():
        assert main([command, "-q", str(path)]) == 1, name
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, (name, err)
        assert str(path) in err[0] and word.lower() in err[0].lower(), (name, err[0])


def test_unsupported_codec_says_what_would_support_it(bad_inputs, capsys, monkeypatch):
    from core.audio import ffmpeg_backend

    monkeypatch.setattr(ffmpeg_backend.shutil, "which", lambda name: None)
    path, _ = bad_inputs["codec needing ffmpeg (damaged m4a)"]
    assert main(["analyze", "-q", str(path)]) == 1
    assert "needs ffmpeg" in capsys.readouterr().err


def test_whole_batch_through_the_real_entry_point(bad_inputs):
    """One process, every bad file at once, ffmpeg hidden from PATH: one line each."""
    paths = [str(p) for p, _ in bad_inputs.values()]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run([sys.executable, "main.py", "analyze", "-q", *paths], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == len(paths), result.stderr
    for path, word in bad_inputs.values():
        (line,) = [line for line in lines if line.startswith(f"{path}: ")]
        assert word.lower() in line.lower(), line
    assert result.stdout == ""
