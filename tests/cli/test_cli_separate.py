"""``separate`` and ``models``: which model ran, missing weights explained, bad input named."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from core.cli import main


@pytest.fixture()
def song(tmp_path):
    t = np.arange(44100 * 3) / 44100
    kick = np.sin(2 * np.pi * 55 * t) * np.exp(-(t % 0.5) * 30)
    pad = 0.1 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / "song.wav"
    sf.write(path, np.stack([kick + pad, kick + 0.8 * pad], axis=1) * 0.5, 44100)
    return path


def test_models_list_shows_what_is_installed(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "htdemucs" in out and "classic" in out and "not needed" in out
    assert "weights folder" in out


def test_import_of_a_stray_file_fails_with_the_reason(tmp_path, capsys):
    stray = tmp_path / "model.th"
    stray.write_bytes(b"\x00" * 100)
    assert main(["models", "import", str(stray)]) == 1
    assert "not a known Demucs checkpoint" in capsys.readouterr().err


def test_missing_weights_give_the_exact_fix(song, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty weights cache
    assert main(["separate", str(song), "--model", "htdemucs", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "models download htdemucs" in err and "models import" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_an_unavailable_device_is_refused_not_ignored(song, tmp_path, capsys):
    assert main(["separate", str(song), "--model", "classic", "--device", "cuda",
                 "--out", str(tmp_path / "o")]) == 1
    assert "cuda" in capsys.readouterr().err


def test_not_audio_is_named(tmp_path, capsys):
    fake = tmp_path / "notes.wav"
    fake.write_text("hello")
    assert main(["separate", str(fake), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "notes.wav" in err and "Traceback" not in err


def test_unknown_stem_is_a_clear_error(song, tmp_path, capsys):
    assert main(["separate", str(song), "--model", "classic", "--stems", "drums,kazoo",
                 "--out", str(tmp_path / "o"), "--json"]) == 1
    assert "kazoo" in capsys.readouterr().err


def test_classic_separation_writes_stems_and_says_which_model(song, tmp_path, capsys):
    out = tmp_path / "stems"
    assert main(["separate", str(song), "--model", "classic", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["model"] == "classic" and "classic" in data["backend"]
    assert set(data["stems"]) == {"drums", "bass", "other"}
    for path in data["stems"].values():
        info = sf.info(path)
        assert info.samplerate == 44100 and info.frames == 44100 * 3
    assert "classic" in captured.err
