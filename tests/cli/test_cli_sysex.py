"""``breakroom sysex`` list/show/export/diff/import/search on synthetic dumps (and the corpus
when present)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.sysex import Target, decode_file, encode_bank, encode_preset
from tests.support.sysex_dumps import corpus_dir, random_preset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bank(tmp_path):
    rng = random.Random(4)
    voices = [random_preset("dx7_vced", rng, name=f"VOICE {i:02d}") for i in range(32)]
    path = tmp_path / "bank.syx"
    path.write_bytes(b"".join(encode_bank(voices)))
    return path


@pytest.fixture
def virus(tmp_path):
    rng = random.Random(5)
    presets = [random_preset("virus_c_single", rng, name=n).with_values(
        {"category_1": c, "category_2": 0, "cutoff": cut}) for n, c, cut in
        (("Sub Bass", 2, 120), ("Soft Pad", 3, 20))]
    path = tmp_path / "virus.syx"
    path.write_bytes(b"".join(encode_bank(presets, bank=1)))
    return path


def test_list(bank, capsys):
    assert main(["sysex", "list", str(bank)]) == 0
    out = capsys.readouterr().out
    assert "32 presets in 1 bank," in out and "VOICE 00" in out and "Yamaha DX7" in out


def test_list_json_and_messages(virus, capsys):
    assert main(["sysex", "list", str(virus), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["presets"]] == ["Sub Bass", "Soft Pad"]
    assert data["presets"][0]["categories"] == ["Bass"]
    assert main(["sysex", "list", str(virus), "--messages"]) == 0
    assert "Access Virus single dump" in capsys.readouterr().out


def test_show_text_and_json(virus, capsys):
    assert main(["sysex", "show", str(virus), "--preset", "1"]) == 0
    out = capsys.readouterr().out
    assert "Sub Bass" in out and "[filter]" in out and "cutoff" in out and "[oscillators]" in out
    assert main(["sysex", "show", str(virus), "--preset", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    params = {p["name"]: p for p in data["parameters"]}
    assert params["cutoff"]["value"] == 20 and data["slot"] == "A001"


def test_show_bad_preset_number_is_a_usage_error(virus, capsys):
    assert main(["sysex", "show", str(virus), "--preset", "9"]) == 2
    assert "presets 1–2" in capsys.readouterr().err


def test_export_single_to_edit_buffer_and_slot(virus, tmp_path, capsys):
    out = tmp_path / "one.syx"
    assert main(["sysex", "export", str(virus), "--preset", "2", "--out", str(out)]) == 0
    (preset,) = decode_file(out).presets
    assert preset.name == "Soft Pad" and preset.slot == "single buffer"
    assert main(["sysex", "export", str(virus), "--preset", "1", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["sysex", "export", str(virus), "--preset", "1", "--out", str(out), "--force",
                 "--slot", "7"]) == 0
    assert decode_file(out).presets[0].slot == "A007"


def test_export_bank(bank, tmp_path):
    out = tmp_path / "copy.syx"
    assert main(["sysex", "export", str(bank), "--preset", "all", "--bank", "--out",
                 str(out)]) == 0
    assert out.read_bytes() == bank.read_bytes()
    assert main(["sysex", "export", str(bank), "--preset", "1-3,5", "--out",
                 str(tmp_path / "few.syx"), "--bank"]) == 0
    names = [p.name for p in decode_file(tmp_path / "few.syx").presets[:5]]
    assert names == ["VOICE 00", "VOICE 01", "VOICE 02", "VOICE 04", "INIT VOICE"]


def test_export_several_without_bank_is_a_usage_error(bank, tmp_path):
    assert main(["sysex", "export", str(bank), "--preset", "1,2", "--out",
                 str(tmp_path / "x.syx")]) == 2


def test_diff(virus, bank, capsys):
    assert main(["sysex", "diff", f"{virus}:1", f"{virus}:2"]) == 0
    out = capsys.readouterr().out
    assert "cutoff" in out and "120" in out and "20" in out
    assert main(["sysex", "diff", f"{bank}:1", f"{bank}:1"]) == 0
    assert "no parameter differs" in capsys.readouterr().out
    assert main(["sysex", "diff", str(bank), f"{bank}:1"]) == 2


def test_bad_inputs_give_one_line_and_status_1(tmp_path, capsys):
    empty = tmp_path / "empty.syx"
    empty.write_bytes(b"")
    assert main(["sysex", "list", str(empty)]) == 0
    assert "0 presets" in capsys.readouterr().out
    assert main(["sysex", "show", str(empty), "--preset", "1"]) == 1
    assert "no presets decoded" in capsys.readouterr().err
    assert main(["sysex", "list", str(tmp_path / "absent.syx")]) == 1
    err = capsys.readouterr().err
    assert "absent.syx" in err and "Traceback" not in err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))
    assert main(["sysex", "list", str(junk)]) == 0


def test_import_and_search(virus, bank, tmp_path, capsys):
    db = tmp_path / "lib.sqlite3"
    assert main(["sysex", "import", str(tmp_path), "--library", str(db)]) == 0
    assert "34 presets added" in capsys.readouterr().out
    assert main(["sysex", "search", "cutoff>100", "category:bass", "--library", str(db),
                 "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in found] == ["Sub Bass"] and found[0]["tags"] == ["bass"]


def test_definition_option(tmp_path, capsys):
    definition = tmp_path / "toy.json"
    definition.write_text(json.dumps({
        "name": "Toy", "header": {"manufacturer_id": [0x7D]},
        "parameters": {"level": {"byte_offset": 3, "category": "common"}}}))
    dump = tmp_path / "toy.syx"
    dump.write_bytes(bytes([0xF0, 0x7D, 0x01, 0x33, 0x00, 0xF7]))
    assert main(["sysex", "show", str(dump), "--preset", "1", "--definition",
                 str(definition), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["parameters"][0]["value"] == 0x33


def test_main_py_runs_the_sysex_command(virus):
    result = subprocess.run([sys.executable, "main.py", "sysex", "list", str(virus)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Sub Bass" in result.stdout


def test_corpus_jp8080_list_and_show(capsys):
    corpus = corpus_dir()
    bulk = corpus / "roland_jp8080/mlazarev_wc_olo_garb_jp8080_bulk.syx"
    assert main(["sysex", "list", str(bulk)]) == 0
    out = capsys.readouterr().out
    assert "192 presets" in out and "Heresy" in out and "First Perform" in out
    assert main(["sysex", "show", str(bulk), "--preset", "1"]) == 0
    assert "[filter]" in capsys.readouterr().out


def test_slot_export_of_a_jp_patch(tmp_path):
    patch = random_preset("jp8080_patch", random.Random(3), name="Lead")
    src = tmp_path / "p.syx"
    src.write_bytes(b"".join(encode_preset(patch, Target(program=0))))
    out = tmp_path / "o.syx"
    assert main(["sysex", "export", str(src), "--preset", "1", "--slot", "127", "--out",
                 str(out)]) == 0
    assert decode_file(out).presets[0].slot == "B88"
