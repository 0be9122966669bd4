"""``latent``: examples, dataset report, train (tables, resume, refusals), encode, sample,
interpolate, and bad input explained with the file's name and the right exit status."""

from __future__ import annotations

import json

import mido
import pytest
import yaml

from core.cli import main
from tests.core.test_latent_helpers import TINY, write_midi


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_latent")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    clips = root / "clips"
    assert main(["latent", "generate-examples", str(clips), "--per-style", "1", "--bars", "4",
                 "-q"]) == 0
    run = root / "run"
    assert main(["latent", "train", str(clips), "--config", str(config), "--out", str(run),
                 "-q"]) == 0
    return root, config, clips, run


def test_generate_and_report(work, capsys):
    _, config, clips, _ = work
    assert sorted(p.name.split("_")[0] for p in clips.iterdir()) == ["acid", "idm", "wobble"]
    assert main(["latent", "report", str(clips), "--config", str(config), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["used"] == 3 and data["skipped"] == 0 and data["segments"] == 6
    assert all(f["quality"] == 100.0 and f["cc_per_beat"] > 5 for f in data["files"])
    assert main(["latent", "report", str(clips), "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "quality" in out.out and "3 file(s) used (6 clips)" in out.err


def test_train_writes_checkpoint_and_tables_and_refuses_to_clobber(work, capsys):
    _root, config, clips, run = work
    names = sorted(p.name for p in run.iterdir())
    assert names == ["checkpoint.safetensors", "history.json", "report.json", "results.json",
                     "results.md", "results.tex"]
    table = json.loads((run / "results.json").read_text())["quantitative"]["32"]
    assert table["epochs"] == 3 and table["ccme"] > 0 and 0 <= table["note_f1"] <= 1
    assert r"\begin{tabular}" in (run / "results.tex").read_text()
    capsys.readouterr()
    assert main(["latent", "train", str(clips), "--config", str(config), "--out", str(run)]) == 1
    assert "--resume" in capsys.readouterr().err
    assert main(["latent", "train", str(clips), "--config", str(config), "--out", str(run),
                 "--resume", "--latent-dim", "64"]) == 1
    err = capsys.readouterr().err
    assert "checkpoint.safetensors" in err and "different config" in err
    assert "model.latent_dim 32 vs 64" in err
    assert main(["latent", "train", str(clips), "--config", str(config), "--out", str(run),
                 "--resume", "--epochs", "4", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["resumed_from"] == 3 and data["epochs_run"] == 1


def test_encode_sample_interpolate(work, capsys, tmp_path):
    _, _, clips, run = work
    out = tmp_path / "z.json"
    assert main(["latent", "encode", str(clips), "--model", str(run), "--out", str(out),
                 "-q"]) == 0
    data = json.loads(out.read_text())
    assert data["latent_dim"] == 32 and len(data["clips"]) == 6
    assert all(len(c["mu"]) == 32 for c in data["clips"])
    assert {c["tag"] for c in data["clips"]} == {"wobble", "idm", "acid"}
    assert main(["latent", "sample", "--model", str(run), "--out", str(tmp_path / "s"),
                 "--count", "2", "-q"]) == 0
    assert len(list((tmp_path / "s").glob("*.mid"))) == 2
    files = sorted(clips.glob("*.mid"))
    assert main(["latent", "interpolate", f"{files[0]}#2", str(files[1]), "--model", str(run),
                 "--steps", "4", "--out", str(tmp_path / "i")]) == 0
    err = capsys.readouterr().err
    assert "neighbour CC distance" in err
    written = sorted((tmp_path / "i").glob("*.mid"))
    assert [p.name for p in written] == [f"interp_{k:02d}.mid" for k in range(1, 5)]
    midi = mido.MidiFile(written[1])
    assert any(m.type == "control_change" for t in midi.tracks for m in t)


def test_bad_inputs_are_named(work, capsys, tmp_path):
    _, config, _, run = work
    dry = write_midi(tmp_path / "dry.mid", cc=False)
    write_midi(tmp_path / "t2.mid", midi_type=2)
    (tmp_path / "broken.mid").write_bytes(b"MThd\x00\x00")
    assert main(["latent", "report", str(tmp_path), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "no usable MIDI clip" in err
    assert "dry.mid: no CC" in err and "type-2" in err and "corrupt" in err
    assert main(["latent", "train", str(tmp_path), "--config", str(config), "--out",
                 str(tmp_path / "run")]) == 1
    assert "no usable MIDI clip" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    assert main(["latent", "encode", str(dry), "--model", str(bad)]) == 1
    assert "bad.safetensors: not a Breakroom latent checkpoint" in capsys.readouterr().err
    assert main(["latent", "encode", str(dry), "--model", str(run)]) == 1
    assert "dry.mid: no CC automation" in capsys.readouterr().err
    assert main(["latent", "interpolate", str(tmp_path / "broken.mid"), str(dry), "--model",
                 str(run), "--out", str(tmp_path / "o")]) == 1
    assert "broken.mid: corrupt MIDI" in capsys.readouterr().err


def test_usage_errors(tmp_path, capsys):
    assert main(["latent"]) == 2
    assert "choose a sub-command" in capsys.readouterr().err
    assert main(["latent", "train", str(tmp_path), "--config", str(tmp_path / "no.yaml")]) == 2
    assert "latent config not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {latent_dim: 100, patch_steps: 8}\n")
    assert main(["latent", "report", str(tmp_path), "--config", str(bad)]) == 2
    assert "latent_dim" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["latent", "interpolate", "a.mid"])
    assert info.value.code == 2
