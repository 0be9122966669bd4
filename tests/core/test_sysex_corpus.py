"""Exact decoding of the real dumps in ../shared/sysex-corpus (skipped when it is absent)."""

from __future__ import annotations

import time

import pytest

from core.sysex import Target, decode_bytes, decode_file, encode_bank, encode_preset
from tests.support.sysex_dumps import corpus_dir

ROM1A = ["BRASS   1", "BRASS   2", "BRASS   3", "STRINGS 1", "STRINGS 2", "STRINGS 3",
         "ORCHESTRA", "PIANO   1", "PIANO   2", "PIANO   3", "E.PIANO 1", "GUITAR  1",
         "GUITAR  2", "SYN-LEAD 1", "BASS    1", "BASS    2", "E.ORGAN 1", "PIPES   1",
         "HARPSICH 1", "CLAV    1", "VIBE    1", "MARIMBA", "KOTO", "FLUTE   1", "ORCH-CHIME",
         "TUB BELLS", "STEEL DRUM", "TIMPANI", "REFS WHISL", "VOICE   1", "TRAIN", "TAKE OFF"]


@pytest.fixture(scope="module")
def corpus():
    return corpus_dir()


def test_dx7_rom1a_names_and_checksum(corpus):
    for name in ("yamaha_dx7/dexed_rom1A.syx", "yamaha_dx7/knobkraft_Yamaha_TX7_rom1a.syx"):
        result = decode_file(corpus / name)
        assert [p.name for p in result.presets] == ROM1A
        assert result.messages[0].checksum == "ok"
        assert not any(p.warnings for p in result.presets)


def test_dx7_two_copies_of_rom1a_agree(corpus):
    a = decode_file(corpus / "yamaha_dx7/dexed_rom1A.syx").presets
    b = decode_file(corpus / "yamaha_dx7/knobkraft_Yamaha_TX7_rom1a.syx").presets
    assert [p.values() for p in a] == [p.values() for p in b]


@pytest.mark.parametrize(("vced", "vmem"), [
    ("derived_vced_rom1A_voice01_BRASS1.syx", "dexed_rom1A.syx"),
    ("derived_vced_rom2B_voice01_SYNLEAD2.syx", "knobkraft_yamahaDX7-ROM2B.syx")])
def test_dx7_vced_matches_the_bank_voice(corpus, vced, vmem):
    single = decode_file(corpus / "yamaha_dx7" / vced)
    (voice,) = single.presets
    assert single.messages[0].checksum == "ok"
    first = decode_file(corpus / "yamaha_dx7" / vmem).presets[0]
    assert voice.name == first.name
    assert voice.values() == first.values()
    assert voice.data == first.data
    assert voice.fingerprint == first.fingerprint
    assert voice.values()["algorithm"] == first.values()["algorithm"]


def test_dx7_brass1_known_values(corpus):
    (voice,) = decode_file(corpus / "yamaha_dx7/derived_vced_rom1A_voice01_BRASS1.syx").presets
    v = voice.values()
    assert voice.name == "BRASS   1"
    assert v["algorithm"] == 21  # shown as algorithm 22
    assert voice.table.parameter("algorithm").format(v["algorithm"]) == "22"
    assert v["feedback"] == 7 and v["transpose"] == 24


def test_dx7_bank_export_is_byte_identical(corpus):
    for name in ("dexed_rom1A.syx", "knobkraft_yamahaDX7-ROM2B.syx",
                 "derived_hexter_dx7_rom1B_vmem.syx"):
        raw = (corpus / "yamaha_dx7" / name).read_bytes()
        presets = decode_bytes(raw).presets
        assert b"".join(encode_bank(presets)) == raw, name


def test_dx7_edge_cases(corpus):
    edge = corpus / "edge_cases"
    bad = decode_file(edge / "dx7_vmem_bad_checksum.syx")
    assert len(bad.presets) == 32
    assert bad.messages[0].checksum.startswith("bad")
    assert all("checksum" in p.warnings[0] for p in bad.presets)
    truncated = decode_file(edge / "dx7_vmem_truncated_2000_bytes.syx")
    assert [p.name for p in truncated.presets] == ROM1A[:15]
    assert any("recovered 15 complete voices" in n for n in truncated.notes)
    two = decode_file(edge / "dx7_two_vmem_banks_concatenated.syx")
    assert len(two.banks) == 2 and len(two.presets) == 64
    junk = decode_file(edge / "dx7_vmem_with_junk_before_between_after.syx")
    assert len(junk.presets) == 64 and any("skipped 26 bytes" in n for n in junk.notes)
    assert [p.values() for p in junk.presets] == [p.values() for p in two.presets]


def test_virus_ti_single_and_abc_layout(corpus):
    ti = decode_file(corpus / "access_virus/gearmulator_virusTI_single_3Slimey.syx")
    (preset,) = ti.presets
    assert preset.name == "3Slimey" and preset.table.id == "virus_ti_single"
    assert ti.messages[0].checksum == "ok" and not preset.warnings
    abc = decode_file(corpus / "access_virus/derived_virusABC_format_single_3Slimey.syx")
    (c_preset,) = abc.presets
    assert c_preset.table.id == "virus_c_single" and c_preset.name == "3Slimey"
    assert abc.messages[0].checksum == "ok"
    assert c_preset.values() == preset.values()
    assert c_preset.data == preset.data[:256]


def test_virus_reencode_reproduces_the_dump(corpus):
    raw = (corpus / "access_virus/gearmulator_virusTI_single_3Slimey.syx").read_bytes()
    (preset,) = decode_bytes(raw).presets
    (again,) = encode_preset(preset)
    assert again[:7] == raw[:7] and again[7:9] == b"\x00\x40"  # single edit buffer
    # same data; the checksums differ only because the program byte does
    assert again[9:265] == raw[9:265] and again[266:522] == raw[266:522]
    assert decode_bytes(again).messages[0].checksum == "ok"


def test_virus_ti_arrangement(corpus):
    for name in ("gearmulator_virusTI_arrangement_3Slimey_extracted.syx",
                 "gearmulator_virusTI_TIControl_state_3Slimey.bin"):
        result = decode_file(corpus / "access_virus" / name)
        names = [p.name for p in result.presets]
        assert names[0] == "MultiCtrl!" and names[1] == "3Slimey" and names[16] == "Rave!!!"
        assert len(result.presets) == 17
        multi = result.presets[0]
        assert multi.table.id == "virus_multi"
        assert "checksum bad" in multi.warnings[0]  # the real TI sends 00 there
        assert all(not p.warnings for p in result.presets[1:])
        assert sum(m.kind.startswith("Access Virus parameter change") for m in result.messages) == 2


def test_virus_missing_f7(corpus):
    result = decode_file(corpus / "edge_cases/virus_ti_single_missing_final_F7.syx")
    (preset,) = result.presets
    assert preset.name == "3Slimey" and "recovered" in preset.warnings[-1]


def test_jp8080_bulk(corpus):
    result = decode_file(corpus / "roland_jp8080/mlazarev_wc_olo_garb_jp8080_bulk.syx")
    assert len(result.messages) == 802
    assert all(m.checksum == "ok" for m in result.messages)
    patches = [p for p in result.presets if p.table.id == "jp8080_patch"]
    perfs = [p for p in result.presets if p.table.id == "jp8080_performance"]
    assert len(patches) == 128 and len(perfs) == 64
    assert patches[0].slot == "A11" and patches[0].name == "Heresy"
    assert patches[2].name == "Trance Bass 5" and patches[127].slot == "B88"
    assert perfs[0].slot == "11" and perfs[0].name == "First Perform"
    assert not any(p.warnings for p in patches + perfs)
    first = perfs[0]
    assert first.table.read_name(first.data[94:]) == "First"
    assert first.values()["upper_cutoff"] == first.data[94 + 0x29]
    control = patches[0].values()["control_amount_01"]
    assert 0 <= control <= 254


def test_jp8080_edge_packets(corpus):
    bulk = decode_file(corpus / "roland_jp8080/mlazarev_wc_olo_garb_jp8080_bulk.syx").presets[0]
    two = decode_file(corpus / "edge_cases/jp8080_patch_A11_extracted_two_packets.syx")
    (patch,) = two.presets
    assert patch.data == bulk.data and not patch.warnings
    one = decode_file(corpus / "edge_cases/jp8080_patch_A11_first_packet_only.syx")
    (partial,) = one.presets
    assert partial.name == "Heresy" and "incomplete" in partial.warnings[0]


def test_jp8080_reencode_reproduces_the_packets(corpus):
    raw = (corpus / "edge_cases/jp8080_patch_A11_extracted_two_packets.syx").read_bytes()
    (patch,) = decode_bytes(raw).presets
    assert b"".join(encode_preset(patch, Target(program=0))) == raw


def test_dw8000_bank(corpus):
    raw = (corpus / "korg_dw8000/knobkraft_KorgDW8000_bank_a.syx").read_bytes()
    result = decode_bytes(raw)
    assert len(result.presets) == 64
    assert [p.slot for p in result.presets[:2]] == ["11", "12"] and result.presets[-1].slot == "88"
    assert not any(p.warnings for p in result.presets)
    assert b"".join(encode_bank(result.presets)) == raw


def test_bass_station_ii(corpus):
    raw = (corpus / "novation_bass_station_ii/knobkraft_NovationBassStationII_FactoryPack.syx"
           ).read_bytes()
    result = decode_bytes(raw)
    assert [p.name for p in result.presets[:3]] == ["Anabass 1", "Pulse Sync", "Owl Bass"]
    assert len(result.presets) == 128
    assert b"".join(encode_bank(result.presets)) == raw


def test_dx7ii_all_data_dump(corpus):
    result = decode_file(corpus / "yamaha_dx7ii/knobkraft_yamahaDX7II-STUDIOREINE_BANK.syx")
    assert len(result.presets) == 64
    assert result.presets[0].name == "Talkbox001"
    checked = [m for m in result.messages if m.checksum != "none"]
    assert len(checked) == 8 and all(m.checksum.startswith("ok") for m in checked)


def test_midi_files(corpus):
    m1 = decode_file(corpus / "midi_files/knobkraft_Korg_M1_M1EX.mid")
    assert m1.container == "midi" and len(m1.messages) == 2
    assert {m.manufacturer for m in m1.messages} == {"Korg"}
    fs1r = decode_file(corpus / "midi_files/knobkraft_Yamaha_FS1R_CYBER.mid")
    assert len(fs1r.messages) == 256
    assert all(m.checksum == "ok" for m in fs1r.messages)


def test_other_edge_cases(corpus):
    edge = corpus / "edge_cases"
    assert decode_file(edge / "empty.syx").presets == []
    random_bytes = decode_file(edge / "random_bytes_4096.bin")
    assert random_bytes.presets == [] and random_bytes.notes
    cut = decode_file(edge / "truncated_message_followed_by_complete_message.syx")
    assert [p.name for p in cut.presets] == ["BRASS   1"]
    assert any("cut by a new F0" in n for n in cut.notes)
    mixed = decode_file(edge / "mixed_manufacturers.syx")
    assert {p.synth for p in mixed.presets} >= {"Access Virus TI", "Roland JP-8000/JP-8080",
                                                "Yamaha DX7", "Korg DW-8000",
                                                "Novation Bass Station II"}


def test_every_factory_checksum_verifies(corpus):
    skip = {"dx7_vmem_bad_checksum.syx", "random_bytes_4096.bin",
            "dx7_vmem_truncated_2000_bytes.syx",
            "truncated_message_followed_by_complete_message.syx"}
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.suffix == ".md" or path.name in skip:
            continue
        for m in decode_file(path).messages:
            if m.kind == "Access Virus multi dump":
                continue  # the real TI capture's multi carries 00 (documented quirk)
            assert not m.checksum.startswith("bad"), (path.name, m)


def test_corpus_presets_round_trip(corpus):
    for path in sorted(corpus.rglob("*.syx")):
        for preset in decode_file(path).presets:
            if preset.warnings or preset.table.id == "virus_multi":
                continue
            target = Target() if preset.table.id == "dx7_vced" else Target(program=0)
            again = decode_bytes(b"".join(encode_preset(preset, target))).presets[0]
            assert again.data == preset.data, (path.name, preset.slot)


def test_bank_decode_is_fast(corpus):
    raw = (corpus / "roland_jp8080/mlazarev_wc_olo_garb_jp8080_bulk.syx").read_bytes()
    decode_bytes(raw)
    best = min(_timed(lambda: decode_bytes(raw)) for _ in range(3))
    assert best < 0.25  # the benchmark reports the real figure (about 20 ms)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
