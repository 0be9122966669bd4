import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.results_io import load_result
from tests.support.signals import click_track, write_wav

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tracks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracks")
    (folder / "sub").mkdir()
    write_wav(folder / "a_128.wav", click_track(128, 12, offset=0.05))
    write_wav(folder / "sub" / "b_140.flac", click_track(140, 12), 44100, "PCM_24")
    (folder / "notes.txt").write_text("not audio, and not picked from a folder")
    return folder


def test_analyze_one_file_prints_json_with_tempo_and_loudness(tracks, capsys):
    assert main(["analyze", str(tracks / "a_128.wav")]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["tempo_bpm"] == pytest.approx(128, abs=0.5)
    assert data["duration"] == pytest.approx(12.0, abs=1e-3)
    assert data["loudness"]["integrated_lufs"] < 0
    assert data["backends"]["rhythm"]["name"].startswith("breakroom")
    assert "1 analysed, 0 failed" in err


def test_analyze_folder_recursively_writes_results(tracks, tmp_path, capsys):
    out_dir = tmp_path / "results"
    assert main(["analyze", str(tracks), "--out", str(out_dir), "--jobs", "2"]) == 0
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["a_128.analysis.json", "b_140.analysis.json"]
    assert load_result(out_dir / "b_140.analysis.json").tempo_bpm == pytest.approx(140, abs=0.5)
    err = capsys.readouterr().err
    assert "2 analysed, 0 failed" in err and "notes.txt" not in err
    # A second run refuses to overwrite: both files fail, exit 1, the files are untouched.
    before = (out_dir / "a_128.analysis.json").read_bytes()
    assert main(["analyze", str(tracks), "--out", str(out_dir)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (out_dir / "a_128.analysis.json").read_bytes() == before
    assert main(["analyze", str(tracks), "--out", str(out_dir), "--force", "-q"]) == 0


def test_csv_and_yaml_outputs(tracks, tmp_path, capsys):
    assert main(["analyze", str(tracks / "a_128.wav"), "--out", str(tmp_path),
                 "--format", "csv"]) == 0
    assert (tmp_path / "a_128.drums.csv").read_text().startswith("time,instrument")
    assert main(["analyze", str(tracks / "a_128.wav"), "--format", "yaml"]) == 0
    assert "tempo_bpm:" in capsys.readouterr().out


def test_one_bad_file_does_not_stop_the_batch(tracks, tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_text("hello, I am a text file")
    code = main(["analyze", str(bad), str(tracks / "a_128.wav")])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(json.loads(out)) == 1  # the good file's result is still printed
    assert f"{bad}: " in err and "text" in err and "Traceback" not in err
    assert "1 analysed, 1 failed" in err


@pytest.mark.parametrize("argv", [
    ["analyze"],                                      # no path
    ["analyze", "x.wav", "--format", "xml"],          # bad choice
    ["analyze", "x.wav", "--format", "csv"],          # csv needs --out
    ["analyze", "x.wav", "--jobs", "0"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err


def test_bad_config_value_names_the_key(tmp_path, capsys):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("analysis:\n  tempo_min_bpm: fast\n")
    assert main(["analyze", "x.wav", "--config", str(cfg)]) == 2
    assert "analysis.tempo_min_bpm" in capsys.readouterr().err


def test_info_table_and_json(tracks, capsys):
    assert main(["info", str(tracks)]) == 0
    table = capsys.readouterr().out
    assert "FLAC" in table and "WAV" in table and "44100" in table
    assert main(["info", "--json", str(tracks / "sub" / "b_140.flac")]) == 0
    (info,) = json.loads(capsys.readouterr().out)
    assert info["channels"] == 2 and info["bit_depth"] == 24
    assert info["duration"] == pytest.approx(12.0, abs=1e-3)


def test_real_entry_points_version_help_and_analyze(tracks):
    def run(*args):
        return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, text=True,
                              capture_output=True, timeout=300)

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("breakroom ")
    for command in ("analyze", "info"):
        assert run(command, "--help").returncode == 0
    result = run("analyze", "-q", str(tracks / "a_128.wav"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tempo_bpm"] == pytest.approx(128, abs=0.5)
    assert result.stderr == ""
