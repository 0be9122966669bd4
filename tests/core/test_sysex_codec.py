"""SysEx codec without the corpus: every table's parameters round-trip through real messages,
checksums are correct, banks and slots are addressed right, tables are consistent."""

from __future__ import annotations

import random

import pytest

from core.errors import SysExError
from core.sysex import (
    EDIT_BUFFER,
    Target,
    all_tables,
    decode_bytes,
    encode_bank,
    encode_preset,
    get_table,
)
from core.sysex.checksums import sum7, twos7
from core.sysex.formats.yamaha import pack_voice, unpack_voice
from core.sysex.model import Preset
from core.sysex.spec import Parameter, check_table
from core.sysex.tables import table_from_mapping
from tests.support.sysex_dumps import ENCODABLE, random_preset, random_values


def _decode_one(messages: list[bytes]) -> Preset:
    result = decode_bytes(b"".join(messages))
    assert len(result.presets) == 1, result.notes
    return result.presets[0]


def test_every_shipped_table_loads_and_is_consistent():
    tables = {t.id: t for t in all_tables()}
    assert set(ENCODABLE) <= set(tables)
    for table in tables.values():
        check_table(table)
        assert table.synth and table.manufacturer
        for p in table.parameters:
            assert p.section, p.name


@pytest.mark.parametrize("table_id", ENCODABLE)
def test_every_parameter_round_trips_through_a_message(table_id):
    """decode(encode(x)) == x for every parameter at its minimum, maximum and a random value."""
    rng = random.Random(table_id)
    table = get_table(table_id)
    base = random_preset(table_id, rng)
    for p in table.parameters:
        for value in {p.minimum, p.maximum, rng.randint(p.minimum, p.maximum)}:
            edited = base.with_values({p.name: value})
            decoded = _decode_one(encode_preset(edited))
            assert decoded.table.id == table_id
            assert decoded.values()[p.name] == value, p.name
            assert decoded.data == edited.data
            assert not decoded.warnings, decoded.warnings


@pytest.mark.parametrize("table_id", ENCODABLE)
def test_all_parameters_at_once_round_trip_to_a_slot(table_id):
    rng = random.Random(7)
    table = get_table(table_id)
    for _ in range(5):
        preset = random_preset(table_id, rng)
        values = random_values(table, rng)
        edited = preset.with_values(values).with_name("Round Trip")
        target = EDIT_BUFFER if table_id in ("dx7_vced", "virus_multi") else Target(program=5)
        decoded = _decode_one(encode_preset(edited, target))
        assert decoded.values() == values
        if table.name is not None:
            assert decoded.name == "Round Trip"
        if not target.is_edit_buffer:
            assert decoded.program == 5


def test_dx7_packed_voice_round_trips_every_parameter():
    vmem, vced = get_table("dx7_vmem_voice"), get_table("dx7_vced")
    assert [p.name for p in vmem.parameters] == [p.name for p in vced.parameters]
    rng = random.Random(3)
    for _ in range(20):
        voice = random_preset("dx7_vced", rng)
        packed = pack_voice(voice.data)
        assert len(packed) == 128
        assert vmem.read(packed) == voice.values()
        assert unpack_voice(packed) == voice.data


def test_dx7_bank_of_32_round_trips_with_slots():
    rng = random.Random(11)
    voices = [random_preset("dx7_vced", rng) for _ in range(32)]
    messages = encode_bank(voices)
    assert len(messages) == 1 and len(messages[0]) == 4104
    assert messages[0][-2] == twos7(messages[0][6:4102])
    result = decode_bytes(messages[0])
    assert [p.values() for p in result.presets] == [v.values() for v in voices]
    assert [p.name for p in result.presets] == [v.name for v in voices]
    assert result.messages[0].checksum == "ok"
    assert [p.program for p in result.presets] == list(range(32))


def test_dx7_short_bank_is_padded_with_init_voice():
    rng = random.Random(1)
    result = decode_bytes(b"".join(encode_bank([random_preset("dx7_vced", rng)])))
    assert len(result.presets) == 32
    assert result.presets[1].name == "INIT VOICE"


def test_dx7_single_voice_cannot_go_to_a_slot():
    voice = random_preset("dx7_vced", random.Random(2))
    with pytest.raises(SysExError, match="bank"):
        encode_preset(voice, Target(program=3))


def test_virus_single_checksum_and_layout():
    preset = random_preset("virus_c_single", random.Random(5), name="Acid Bass")
    (message,) = encode_preset(preset, Target(program=12, bank=2))
    assert len(message) == 267
    assert message[:9] == bytes([0xF0, 0x00, 0x20, 0x33, 0x01, 0x10, 0x10, 2, 12])
    assert message[265] == sum7(message[5:265])
    assert message[249:259] == b"Acid Bass "
    decoded = _decode_one([message])
    assert decoded.slot == "B012"
    assert decoded.name == "Acid Bass"


def test_virus_ti_single_has_two_checksums():
    preset = random_preset("virus_ti_single", random.Random(6))
    (message,) = encode_preset(preset)
    assert len(message) == 524
    assert message[265] == sum7(message[5:265])
    assert message[522] == sum7(message[5:522])
    assert message[7:9] == b"\x00\x40"  # single edit buffer


def test_virus_categories_are_read():
    table = get_table("virus_c_single")
    preset = random_preset("virus_c_single", random.Random(8)).with_values(
        {"category_1": 2, "category_2": 6})
    assert preset.categories == ("Bass", "Acid")
    assert table.categories(preset.with_values({"category_1": 0, "category_2": 0}).data) == ()


def test_virus_bank_of_128_decodes_as_one_bank():
    rng = random.Random(9)
    singles = [random_preset("virus_c_single", rng) for _ in range(128)]
    result = decode_bytes(b"".join(encode_bank(singles, bank=1)))
    assert len(result.banks) == 1 and len(result.banks[0].presets) == 128
    assert result.presets[0].slot == "A000" and result.presets[-1].slot == "A127"
    assert all(m.checksum == "ok" for m in result.messages)


def test_bad_virus_checksum_is_a_warning_not_a_rejection():
    preset = random_preset("virus_c_single", random.Random(10))
    message = bytearray(encode_preset(preset)[0])
    message[265] = (message[265] + 1) & 0x7F
    result = decode_bytes(bytes(message))
    assert len(result.presets) == 1
    assert "checksum bad" in result.presets[0].warnings[0]
    assert result.messages[0].checksum.startswith("bad")


def test_roland_checksum_matches_the_manual_example():
    # F0 41 10 00 06 12 01 00 10 03 1D 4F F7 (JP-8080 owner's manual)
    assert twos7(bytes([0x01, 0x00, 0x10, 0x03, 0x1D])) == 0x4F


def test_jp8080_patch_is_sent_as_two_packets_at_the_right_addresses():
    preset = random_preset("jp8080_patch", random.Random(12), name="Trance Lead")
    first, second = encode_preset(preset, Target(program=65))  # B12
    assert first[6:10] == bytes([0x02, 0x01, 0x02, 0x00]) and len(first) == 12 + 242
    assert second[6:10] == bytes([0x02, 0x01, 0x03, 0x72]) and len(second) == 12 + 6
    for m in (first, second):
        assert m[-2] == twos7(m[6:-2])
    decoded = _decode_one([second, first])  # order does not matter: reassembled by address
    assert decoded.slot == "B12" and decoded.name == "Trance Lead"
    assert decoded.data == preset.data


def test_jp8080_two_byte_control_values():
    table = get_table("jp8080_patch")
    p = table.parameter("control_amount_01")
    assert p.width == 2 and p.maximum == 254
    data = table.write(bytes(248), {"control_amount_01": 200})
    assert data[74:76] == bytes([1, 200 - 128])
    assert p.format(127) == "0" and p.format(254) == "+127" and p.format(0) == "-127"


def test_jp8080_performance_embeds_two_patches():
    rng = random.Random(13)
    upper = random_preset("jp8080_patch", rng, name="Upper")
    lower = random_preset("jp8080_patch", rng, name="Lower")
    perf_table = get_table("jp8080_performance")
    data = bytearray(random_preset("jp8080_performance", rng, name="My Perf").data)
    data[94:342] = upper.data
    data[342:590] = lower.data
    perf = Preset(table=perf_table, data=bytes(data))
    messages = encode_preset(perf, Target(program=9))
    assert len(messages) == 8
    decoded = _decode_one(messages)
    assert decoded.name == "My Perf" and decoded.slot == "22"
    values = decoded.values()
    assert values["upper_cutoff"] == upper.values()["cutoff"]
    assert values["lower_resonance"] == lower.values()["resonance"]


def test_jp8080_patch_to_edit_buffer_decodes_as_a_patch():
    preset = random_preset("jp8080_patch", random.Random(14), name="Buffer")
    decoded = _decode_one(encode_preset(preset))
    assert decoded.table.id == "jp8080_patch" and decoded.slot == "temporary upper"
    assert decoded.data == preset.data


def test_jp8080_missing_second_packet_is_reported():
    preset = random_preset("jp8080_patch", random.Random(15))
    first, _ = encode_preset(preset, Target(program=0))
    decoded = _decode_one([first])
    assert any("incomplete" in w for w in decoded.warnings)


def test_dw8000_bank_gets_slots_from_write_requests():
    rng = random.Random(16)
    programs = [random_preset("dw8000_program", rng) for _ in range(64)]
    result = decode_bytes(b"".join(encode_bank(programs)))
    assert [p.slot for p in result.presets][:3] == ["11", "12", "13"]
    assert result.presets[-1].slot == "88"
    assert [p.values() for p in result.presets] == [p.values() for p in programs]


def test_juno106_switch_bits_round_trip():
    table = get_table("juno106_patch")
    data = table.write(bytes(18), {"range_8": 1, "saw": 1, "hpf": 2, "chorus": 1})
    assert data[16] == 0b0110010 and data[17] == 0b10000
    decoded = _decode_one(encode_preset(Preset(table=table, data=data), Target(program=70)))
    assert decoded.values()["hpf"] == 2 and decoded.slot == "B17"


def test_juno106_bank_is_not_mistaken_for_jp8080():
    rng = random.Random(20)
    patches = [random_preset("juno106_patch", rng) for _ in range(128)]
    result = decode_bytes(b"".join(encode_bank(patches)))
    assert len(result.presets) == 128  # patch 6 on channel 1 starts F0 41 30 00 06 …
    assert {p.table.id for p in result.presets} == {"juno106_patch"}


def test_bank_refuses_mixed_synths_and_overflow():
    rng = random.Random(17)
    with pytest.raises(SysExError, match="mixes"):
        encode_bank([random_preset("dw8000_program", rng), random_preset("juno106_patch", rng)])
    with pytest.raises(SysExError, match="holds 64"):
        encode_bank([random_preset("dw8000_program", rng)] * 65)
    with pytest.raises(SysExError):
        encode_bank([])


def test_slot_outside_the_synth_is_refused():
    rng = random.Random(18)
    with pytest.raises(SysExError, match="outside"):
        encode_preset(random_preset("dw8000_program", rng), Target(program=64))
    with pytest.raises(SysExError, match="outside"):
        encode_preset(random_preset("virus_c_single", rng), Target(program=1, bank=9))


def test_write_refuses_a_value_that_does_not_fit():
    table = get_table("dx7_vced")
    with pytest.raises(SysExError, match="does not fit"):
        table.write(bytes(155), {"op1_output_level": 200})
    with pytest.raises(SysExError, match="no parameter"):
        table.write(bytes(155), {"cutoff": 1})


def test_fingerprint_ignores_name_slot_and_categories():
    rng = random.Random(19)
    a = random_preset("virus_c_single", rng, name="One")
    b = a.with_name("Two").with_values({"category_1": 3})
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != a.with_values({"cutoff": (a.values()["cutoff"] + 1) % 128}).fingerprint


def test_table_checks_catch_overlaps_and_bad_ranges():
    base = {"id": "t", "synth": "T", "length": 4}
    with pytest.raises(SysExError, match="overlaps"):
        table_from_mapping({**base, "parameters": [
            {"name": "a", "offset": 0, "mask": 0x0F, "range": [0, 15]},
            {"name": "b", "offset": 0, "mask": 0x18, "shift": 3, "range": [0, 3]}]})
    with pytest.raises(SysExError, match="outside"):
        table_from_mapping({**base, "parameters": [["a", 4, "filter"]]})
    with pytest.raises(SysExError, match="does not fit"):
        table_from_mapping({**base, "parameters": [
            {"name": "a", "offset": 0, "mask": 3, "range": [0, 7]}]})
    with pytest.raises(SysExError, match="malformed"):
        table_from_mapping({"synth": "no id"})


def test_parameter_display_units():
    p = Parameter("x", 0, minimum=16, maximum=112)
    assert p.format(70) == "70"
    table = get_table("virus_c_single")
    assert table.parameter("osc1_semitone").format(64) == "0 st"
    assert table.parameter("osc1_semitone").format(76) == "+12 st"
    assert table.parameter("filter1_mode").format(1) == "HP"
    assert get_table("dx7_vced").parameter("transpose").format(24) == "C3"
    assert get_table("dx7_vced").parameter("algorithm").format(0) == "1"
