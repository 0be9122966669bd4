"""SysEx input without the corpus: damaged framing, .mid files, containers, size limits, custom
definitions in sysex-toolkit's format, search and the library."""

from __future__ import annotations

import json
import random
from pathlib import Path

import mido
import pytest

from core.errors import Cancelled, SysExError
from core.jobs import CancelToken
from core.sysex import decode_bytes, decode_file, encode_bank, encode_preset
from core.sysex.definitions import definition_from_mapping, load_definition, toolkit_checksum
from core.sysex.framing import extract_smf_sysex, scan_messages
from core.sysex.library import Library
from core.sysex.search import parse_query
from tests.support.sysex_dumps import random_preset

RNG = random.Random(2024)


def _virus(name: str = "Test") -> bytes:
    return encode_preset(random_preset("virus_c_single", RNG, name=name))[0]


def test_empty_input():
    result = decode_bytes(b"")
    assert result.presets == [] and result.messages == ()
    assert "empty file" in result.notes


def test_junk_between_messages_is_skipped_and_counted():
    a, b = _virus("A"), _virus("B")
    result = decode_bytes(b"\x01\x02junk" + a + b"\x99\x00" + b + b"tail")
    assert [p.name for p in result.presets] == ["A", "B"]
    assert any("skipped 12 bytes" in n for n in result.notes)


def test_message_cut_by_a_new_f0():
    a, b = _virus("Cut"), _virus("Whole")
    result = decode_bytes(a[:100] + b)
    assert [p.name for p in result.presets] == ["Whole"]
    assert result.messages[0].status == "truncated"
    assert any("cut by a new F0" in n for n in result.notes)
    assert any("skipped" in n and "100 bytes" in n for n in result.notes)


def test_missing_final_f7_is_recovered():
    a = _virus("Open")
    result = decode_bytes(a[:-1])
    assert [p.name for p in result.presets] == ["Open"]
    assert "recovered" in result.presets[0].warnings[-1]


def test_truncated_last_message_is_reported():
    result = decode_bytes(_virus() + _virus()[:50])
    assert len(result.presets) == 1
    assert result.messages[1].status == "unterminated"
    assert any("no closing F7" in n for n in result.notes)


def test_status_byte_inside_a_message_ends_it():
    a = bytearray(_virus())
    a[100] = 0x85
    result = decode_bytes(bytes(a))
    assert result.presets == []
    assert result.messages[0].status == "interrupted"
    assert any("cut by byte 0x85" in n for n in result.notes)


def test_realtime_bytes_inside_a_message_are_dropped():
    a = _virus("Clock")
    result = decode_bytes(a[:50] + b"\xf8\xfe" + a[50:])
    assert [p.name for p in result.presets] == ["Clock"]
    assert any("real-time" in n for n in result.notes)


def test_two_banks_concatenated_and_mixed_manufacturers():
    bank1 = encode_bank([random_preset("dx7_vced", RNG) for _ in range(32)])
    bank2 = encode_bank([random_preset("dx7_vced", RNG) for _ in range(32)])
    other = encode_preset(random_preset("dw8000_program", RNG))
    result = decode_bytes(b"".join(bank1 + other + bank2 + [b"\xf0\x47\x01\x02\x03\xf7"]))
    assert len(result.presets) == 65
    assert len(result.banks) == 3
    unknown = [m for m in result.messages if not m.used]
    assert len(unknown) == 1 and unknown[0].manufacturer == "Akai"
    assert unknown[0].length == 6 and unknown[0].device_id == 0x01


def test_random_bytes_never_raise():
    data = bytes(random.Random(1).randrange(256) for _ in range(20000))
    result = decode_bytes(data)
    assert result.presets == []
    assert result.notes


def test_scan_stops_after_the_message_limit():
    scan = scan_messages(b"\xf0\x01\xf7" * 10, max_messages=4)
    assert len(scan.messages) == 4
    assert "stopped after 4 messages" in scan.notes[-1]


def test_unknown_message_checksum_guess():
    body = bytes([0x41, 0x10, 0x42, 0x12, 0x40, 0x00, 0x7F, 0x00])
    message = b"\xf0" + body + bytes([(-sum(body[4:])) & 0x7F]) + b"\xf7"
    result = decode_bytes(message)
    assert "fits two's complement" in result.messages[0].checksum


def _write_mid(path: Path, sysex: list[bytes]) -> Path:
    mid = mido.MidiFile()
    track = mido.MidiTrack()
    track.append(mido.Message("note_on", note=60, velocity=100, time=0))
    for m in sysex:
        track.append(mido.Message("sysex", data=m[1:-1], time=10))
    track.append(mido.Message("note_off", note=60, velocity=0, time=10))
    mid.tracks.append(track)
    mid.save(path)
    return path


def test_midi_file_with_sysex(tmp_path):
    path = _write_mid(tmp_path / "dump.mid", [_virus("In Midi"), _virus("Second")])
    result = decode_file(path)
    assert result.container == "midi"
    assert [p.name for p in result.presets] == ["In Midi", "Second"]


def test_midi_file_without_sysex(tmp_path):
    result = decode_file(_write_mid(tmp_path / "notes.mid", []))
    assert result.presets == []
    assert any("no SysEx events" in n for n in result.notes)


def test_damaged_midi_file_reads_what_is_there(tmp_path):
    path = _write_mid(tmp_path / "dump.mid", [_virus("Kept")])
    data = path.read_bytes()
    _, notes = extract_smf_sysex(data[:-40] + b"\x00\xf0\x7f")
    assert notes
    result = decode_bytes(data[:-5])
    assert [p.name for p in result.presets] == ["Kept"]


def test_too_large_file_is_refused_without_reading(tmp_path):
    big = tmp_path / "huge.syx"
    with big.open("wb") as f:
        f.truncate(200 << 20)  # sparse: 200 MB on paper, nothing on disk
    with pytest.raises(SysExError, match="too large"):
        decode_file(big)


def test_unreadable_paths(tmp_path):
    with pytest.raises(SysExError, match="cannot read"):
        decode_file(tmp_path / "missing.syx")
    with pytest.raises(SysExError, match="folder"):
        decode_file(tmp_path)


def test_audio_and_other_formats_are_named_not_scanned(tmp_path):
    import numpy as np
    import soundfile as sf

    wav = tmp_path / "bounce.syx"  # a WAV renamed: its samples hold F0 bytes aplenty
    sf.write(wav, np.random.default_rng(0).uniform(-1, 1, 44100), 44100, format="WAV")
    with pytest.raises(SysExError, match=r"bounce\.syx: not a SysEx dump — it is a WAV audio"):
        decode_file(wav)
    png = tmp_path / "patch.syx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(SysExError, match="PNG image"):
        decode_file(png)


def test_riff_wrapped_midi_file_is_read(tmp_path):
    smf = _write_mid(tmp_path / "dump.mid", [_virus("Wrapped")]).read_bytes()
    rmid = tmp_path / "dump.rmi"
    rmid.write_bytes(b"RIFF" + (len(smf) + 12).to_bytes(4, "little") + b"RMIDdata"
                     + len(smf).to_bytes(4, "little") + smf)
    result = decode_file(rmid)
    assert result.container == "midi" and [p.name for p in result.presets] == ["Wrapped"]


# -- sysex-toolkit definitions -------------------------------------------------------------

TOOLKIT = {
    "name": "Toy Synth", "version": "1.0",
    "header": {"manufacturer_id": [0, 33, 99], "device_id": 1},
    "preset_name_offset": 6, "preset_name_length": 8, "checksum_offset": 18,
    "parameters": {
        "filter_cutoff": {"byte_offset": 14, "bit_mask": 127, "bit_shift": 0,
                          "value_range": [0, 127], "category": "filter", "cc_number": 74},
        "wave": {"byte_offset": 15, "bit_mask": 0x0C, "bit_shift": 2, "value_range": [0, 3],
                 "category": "oscillator"},
        "env_time": {"byte_offset": 16, "data_type": "uint16", "value_range": [0, 1000],
                     "category": "envelope"},
    },
}


def _toy_message(cutoff: int, wave: int) -> bytes:
    m = bytearray([0xF0, 0x00, 0x21, 0x63, 0x01, 0x00]) + bytearray(b"ToyPatch")
    m += bytes([cutoff, wave << 2, 0x03, 0x68, 0x00, 0xF7])  # env_time = 3*256 + 104
    m[18] = toolkit_checksum(bytes(m), 18)
    return bytes(m)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_sysex_toolkit_definition_files_are_read(tmp_path, suffix):
    import yaml

    path = tmp_path / f"toy{suffix}"
    path.write_text(json.dumps(TOOLKIT) if suffix == ".json" else yaml.safe_dump(TOOLKIT))
    definition = load_definition(path)
    result = decode_bytes(_toy_message(99, 2), definitions=[definition])
    (preset,) = result.presets
    assert preset.name == "ToyPatch"
    assert preset.values() == {"filter_cutoff": 99, "wave": 2, "env_time": 872}
    assert preset.table.parameter("filter_cutoff").cc == 74
    assert preset.table.parameter("wave").section == "oscillators"
    assert result.messages[0].checksum == "ok"
    edited = preset.with_values({"filter_cutoff": 10})
    (message,) = encode_preset(edited)
    again = decode_bytes(message, definitions=[definition]).presets[0]
    assert again.values()["filter_cutoff"] == 10
    assert decode_bytes(message, definitions=[definition]).messages[0].checksum == "ok"


def test_definition_bad_checksum_and_errors():
    definition = definition_from_mapping(TOOLKIT)
    bad = bytearray(_toy_message(1, 1))
    bad[18] ^= 1
    (preset,) = decode_bytes(bytes(bad), definitions=[definition]).presets
    assert "checksum bad" in preset.warnings[0]
    with pytest.raises(SysExError, match="malformed"):
        definition_from_mapping({"name": "x"})
    with pytest.raises(SysExError, match="data_type"):
        definition_from_mapping({**TOOLKIT, "parameters": {"a": {"byte_offset": 1,
                                                                 "data_type": "float"}}})


def test_the_toolkit_access_virus_example_reads_real_style_dumps(tmp_path):
    """sysex-toolkit's bundled access_virus.json (its offsets are not the real format's)
    still loads and reads the values at the offsets it names."""
    example = {"name": "Access Virus C", "version": "1.0",
               "header": {"manufacturer_id": [0, 32, 51], "device_id": 1, "model_id": 0},
               "preset_name_offset": 200, "preset_name_length": 16, "total_length": 256,
               "parameters": {"filter_cutoff": {"byte_offset": 40, "bit_mask": 255,
                                                "bit_shift": 0, "value_range": [0, 127],
                                                "category": "filter", "cc_number": 74,
                                                "data_type": "uint8"}}}
    definition = definition_from_mapping(example)
    message = _virus("Example")
    (preset,) = decode_bytes(message, definitions=[definition]).presets
    assert preset.values()["filter_cutoff"] == message[40]


# -- search --------------------------------------------------------------------------------


def test_query_parsing():
    q = parse_query('cutoff>100 category:bass "warm pad" synth:virus is:fav resonance <= 20')
    assert q.tags == ("bass",) and q.synths == ("virus",) and q.favourites
    assert q.words == ("warm pad",)
    assert [(f.key, f.op, f.value) for f in q.params] == [("cutoff", ">", 100),
                                                           ("resonance", "<=", 20)]
    assert parse_query("").empty
    assert parse_query('unbalanced "quote').words == ("unbalanced", '"quote')


def test_query_matches_presets():
    preset = random_preset("virus_c_single", RNG, name="Fat Bass").with_values(
        {"cutoff": 110, "category_1": 2})
    tags = [c.lower() for c in preset.categories]
    assert parse_query("cutoff>100 category:bass fat").matches(preset, tags)
    assert not parse_query("cutoff<100").matches(preset, tags)
    assert not parse_query("algorithm=1").matches(preset, tags)  # a DX7 parameter
    assert parse_query("filter_cutoff>=110").matches(preset, tags)  # alias
    assert not parse_query("is:fav").matches(preset, tags)


# -- library -------------------------------------------------------------------------------


def test_library_deduplicates_by_sound(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    voice = random_preset("dx7_vced", RNG, name="ORIGINAL")
    single = encode_preset(voice)
    bank = encode_bank([voice.with_name("RENAMED")] + [random_preset("dx7_vced", RNG)
                                                       for _ in range(31)])
    (tmp_path / "single.syx").write_bytes(b"".join(single))
    (tmp_path / "bank.syx").write_bytes(b"".join(bank))
    report = library.import_paths([tmp_path])
    assert report.files == 2 and report.added == 32 and report.duplicates == 1
    assert library.count() == 32
    again = library.import_paths([tmp_path / "bank.syx"])
    assert again.added == 0 and again.duplicates == 32


def test_library_tags_favourites_and_search(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    bass = random_preset("virus_c_single", RNG, name="Sub Bass").with_values(
        {"category_1": 2, "category_2": 6, "cutoff": 120})
    pad = random_preset("virus_c_single", RNG, name="Soft Pad").with_values(
        {"category_1": 3, "category_2": 0, "cutoff": 30})
    library.add_presets([bass, pad], source="virus.syx")
    (found,) = library.search("category:bass")
    assert found.name == "Sub Bass" and set(found.tags) == {"bass", "acid"}
    assert [p.name for p in library.search("cutoff>100")] == ["Sub Bass"]
    library.set_favourite(found.id)
    library.add_tag(found.id, " Dark ")
    assert [p.name for p in library.search("is:fav tag:dark")] == ["Sub Bass"]
    library.remove_tag(found.id, "dark")
    assert library.search("tag:dark") == []
    assert library.get(found.id).to_preset().values() == bass.values()
    with pytest.raises(SysExError):
        library.get(99999)
    with pytest.raises(SysExError, match="empty"):
        library.add_tag(found.id, "  ")
    library.close()
    assert Library(tmp_path / "lib.sqlite3").count() == 2  # persisted


def test_library_import_reports_failures_progress_and_cancel(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    (tmp_path / "good.syx").write_bytes(_virus("Good"))
    (tmp_path / "empty.syx").write_bytes(b"")
    seen: list[float] = []
    report = library.import_paths([tmp_path, tmp_path / "absent.syx"],
                                  progress=lambda f, s: seen.append(f))
    assert report.added == 1 and len(report.failed) == 1
    assert "absent.syx" in report.failed[0][0]
    assert seen[0] == 0.0 and seen[-1] == 1.0
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        library.import_paths([tmp_path], cancel=token)


def test_library_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    from core.sysex.library import default_library_path

    assert str(default_library_path()).startswith(str(tmp_path))
