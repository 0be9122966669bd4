"""``loop2midi``: the chosen loop printed, the MIDI (and audio) written, bad input explained."""

import json

import mido
import numpy as np
import pytest
import soundfile as sf

from core.cli import main
from core.devset import ClipSpec, render_clip


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    folder = tmp_path_factory.mktemp("l2m")
    clip = render_clip(ClipSpec(style="house", bpm=124.0, bars=8, kit="synth:1", seed=2,
                                mix="full", drum_to_rest_db=0.0))
    path = folder / "house.wav"
    sf.write(str(path), clip.samples.T, clip.sample_rate, subtype="PCM_24")
    return path, clip.truth


def test_exports_the_best_loop_and_reports_it(track, tmp_path, capsys):
    path, truth = track
    out = tmp_path / "loop.mid"
    assert main(["loop2midi", str(path), "--bars", "2", "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["loop"]["bars"] == 2
    assert data["bpm"] == pytest.approx(124.0, rel=0.01)
    assert data["notes"]["kick"] >= 7  # four on the floor: 8 kicks in 2 bars
    assert data["written"] == [str(out)]
    assert "loop: bars" in captured.err and "score" in captured.err
    assert data["candidates"][0]["score"] >= data["candidates"][1]["score"]
    start = data["loop"]["start"]
    assert np.min(np.abs(np.array(truth.downbeats) - start)) < 0.03
    midi = mido.MidiFile(out)
    assert midi.length == pytest.approx(data["loop"]["end"] - start, abs=0.01)


def test_audio_loop_is_cut_at_the_loop_bounds(track, tmp_path, capsys):
    path, _ = track
    out, audio = tmp_path / "a.mid", tmp_path / "a.wav"
    assert main(["loop2midi", str(path), "--bars", "1", "--rank", "2", "--out", str(out),
                 "--audio", str(audio), "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    source, rate = sf.read(path, always_2d=True)
    cut, cut_rate = sf.read(audio, always_2d=True)
    a, b = round(data["loop"]["start"] * rate), round(data["loop"]["end"] * rate)
    assert cut_rate == rate and len(cut) == b - a
    assert np.allclose(cut, source[a:b], atol=2.0 ** -22)


def test_existing_output_is_kept_and_named(track, tmp_path, capsys):
    path, _ = track
    out = tmp_path / "taken.mid"
    out.write_text("mine")
    assert main(["loop2midi", str(path), "--out", str(out)]) == 1
    assert "taken.mid" in capsys.readouterr().err
    assert out.read_text() == "mine"


def test_beatless_track_exits_1_naming_the_file(tmp_path, capsys):
    pad = tmp_path / "ambient.wav"
    t = np.arange(44100 * 6) / 44100
    sf.write(pad, 0.2 * np.sin(2 * np.pi * 330 * t), 44100)
    assert main(["loop2midi", str(pad), "--out", str(tmp_path / "x.mid")]) == 1
    err = capsys.readouterr().err
    assert "ambient.wav" in err and "no beat grid" in err and "Traceback" not in err
    assert not (tmp_path / "x.mid").exists()


@pytest.mark.parametrize("argv", [["--strength", "150"], ["--source", "drums"],
                                  ["--quantize", "1/5"], ["--map", "nonsense"]])
def test_bad_arguments_exit_2(track, tmp_path, capsys, argv):
    path, _ = track
    with pytest.raises(SystemExit) if argv[0] == "--quantize" else _no_exit():
        code = main(["loop2midi", str(path), "--out", str(tmp_path / "y.mid"), *argv])
        assert code == 2
    assert not (tmp_path / "y.mid").exists()


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_missing_folder_is_a_clear_error(track, tmp_path, capsys):
    path, _ = track
    assert main(["loop2midi", str(path), "--out", str(tmp_path / "nope" / "z.mid")]) == 1
    err = capsys.readouterr().err
    assert "z.mid" in err and "Traceback" not in err


def test_stem_loops_are_cut_with_the_mix(track, tmp_path, capsys):
    path, _ = track
    stem = tmp_path / "house.drums.wav"
    data, rate = sf.read(path, always_2d=True)
    sf.write(stem, data * 0.5, rate, subtype="PCM_24")
    out, audio = tmp_path / "s.mid", tmp_path / "s.wav"
    assert main(["loop2midi", str(path), "--bars", "1", "--out", str(out), "--audio",
                 str(audio), "--stem", f"drums={stem}", "--json", "-q"]) == 0
    written = json.loads(capsys.readouterr().out)["written"]
    assert written == [str(out), str(audio), str(tmp_path / "s.drums.wav")]
    mix_cut, _ = sf.read(audio, always_2d=True)
    stem_cut, _ = sf.read(tmp_path / "s.drums.wav", always_2d=True)
    assert stem_cut.shape == mix_cut.shape


def test_stem_without_audio_is_a_usage_error(track, tmp_path, capsys):
    path, _ = track
    assert main(["loop2midi", str(path), "--stem", "drums=x.wav"]) == 2
    assert "--audio" in capsys.readouterr().err
