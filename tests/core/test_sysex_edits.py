"""Core support for the panel's edits: storing a preset to tag it, removing and restoring
library entries, export choices per format and encoding a selection like ``sysex export``."""

from __future__ import annotations

import random

import pytest

from core.errors import SysExError
from core.sysex import decode_bytes, encode_preset
from core.sysex.checksums import sum7
from core.sysex.encode import encode_selection, export_choices
from core.sysex.library import Library
from tests.support.sysex_dumps import random_preset

RNG = random.Random(77)


def _virus(name: str):
    """A Virus single without categories (they would become tags)."""
    return random_preset("virus_c_single", RNG, name=name).with_values(
        {"category_1": 0, "category_2": 0})


def test_store_returns_the_same_id_for_the_same_sound(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    preset = _virus("Store Me")
    first = library.store(preset, source="a.syx")
    renamed = preset.with_name("Other Name")  # same sound, other name: one entry
    assert library.store(renamed, source="b.syx") == first
    assert library.count() == 1
    assert set(library.find([preset.fingerprint, "absent"])) == {preset.fingerprint}


def test_tags_survive_a_new_library_on_the_same_file(tmp_path):
    path = tmp_path / "lib.sqlite3"
    library = Library(path)
    pid = library.store(random_preset("dw8000_program", RNG))
    library.add_tag(pid, " Dark ")
    library.set_favourite(pid, True)
    library.close()
    again = Library(path)
    item = again.get(pid)
    assert item.tags == ("dark",) and item.favourite
    assert again.all_tags() == ["dark"]


def test_remove_and_restore_keep_tags_favourite_and_occurrences(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    keep = _virus("Keep")
    gone = _virus("Gone")
    library.store(keep)
    pid = library.store(gone, source="gone.syx")
    library.add_tag(pid, "lead")
    library.set_favourite(pid)
    removed = library.remove([pid])
    assert library.count() == 1 and library.find([gone.fingerprint]) == {}
    assert removed[0].tags == ("lead",) and removed[0].occurrences[0][0] == "gone.syx"
    library.restore(removed)
    back = library.get(pid)
    assert (back.name, back.tags, back.favourite, back.source) == (
        "Gone", ("lead",), True, "gone.syx")
    assert library.remove([]) == ()


def test_restore_merges_into_a_sound_stored_again_meanwhile(tmp_path):
    library = Library(tmp_path / "lib.sqlite3")
    preset = _virus("Twice")
    pid = library.store(preset)
    library.add_tag(pid, "pad")
    removed = library.remove([pid])
    new_id = library.store(preset)
    library.restore(removed)
    assert library.count() == 1
    assert library.find([preset.fingerprint])[preset.fingerprint].tags == ("pad",)
    assert library.get(new_id).tags == ("pad",)


def test_export_choices_per_format():
    assert export_choices("virus_c_single").slots == 128
    assert export_choices("virus_c_single").banks == 8
    dx7 = export_choices("dx7_vced")
    assert (dx7.slots, dx7.bank_size, dx7.banks) == (0, 32, 0)
    assert export_choices("dw8000_program").slots == 64
    assert export_choices("custom:thing").slots == 0


def test_encode_selection_edit_buffer_slot_and_bank():
    preset = random_preset("virus_c_single", RNG, name="Edited").with_values({"cutoff": 33})
    (edit,) = encode_selection([preset])
    assert edit[7:9] == b"\x00\x40"
    (slot,) = encode_selection([preset], slot=5, bank=3)
    assert slot[7:9] == b"\x03\x05"
    assert slot[-2] == sum7(slot[5:-2])
    decoded = decode_bytes(slot).presets[0]
    assert decoded.values()["cutoff"] == 33 and not decoded.warnings
    bank = encode_selection([preset, preset.with_name("Two")], as_bank=True, bank=2)
    assert [m[7:9] for m in bank] == [b"\x02\x00", b"\x02\x01"]
    with pytest.raises(SysExError, match="as a bank"):
        encode_selection([preset, preset])
    with pytest.raises(SysExError, match="edit buffer"):
        encode_selection([random_preset("dx7_vced", RNG)], slot=2)
    assert encode_selection([preset]) == encode_preset(preset)


def test_parameter_parse_reads_what_format_shows():
    table = random_preset("virus_c_single", RNG).table
    semitone = table.parameter("osc1_semitone")
    for value in range(semitone.minimum, semitone.maximum + 1):
        assert semitone.parse(semitone.format(value)) == value
    assert semitone.parse("-12") == 52 and semitone.parse("+5 st") == 69
    with pytest.raises(SysExError, match="between"):
        semitone.parse("+60")
    mode = next(p for p in table.parameters if p.display.kind == "choices")
    assert mode.parse(mode.format(mode.maximum).upper()) == mode.maximum
    cutoff = table.parameter("cutoff")
    assert cutoff.parse("100") == 100
    with pytest.raises(SysExError):
        cutoff.parse("loud")
    transpose = random_preset("dx7_vced", RNG).table.parameter("transpose")
    assert transpose.parse("C3") == 24 and transpose.parse(transpose.format(30)) == 30
