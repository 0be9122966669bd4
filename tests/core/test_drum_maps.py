"""Tests of core.midi.drum_maps: presets, custom map files and their validation."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from core.errors import ConfigError, CoreError, InvalidParameter
from core.midi.drum_maps import DRUM_MAP_PRESETS, drum_map, validate_drum_map
from core.vocabulary import DRUM_INSTRUMENTS, GM_DRUM_NOTES


@pytest.mark.parametrize("name", list(DRUM_MAP_PRESETS))
def test_every_preset_maps_all_instruments_to_valid_notes(name: str) -> None:
    notes = drum_map(name)
    assert tuple(notes) == DRUM_INSTRUMENTS
    assert all(isinstance(n, int) and 0 <= n <= 127 for n in notes.values())
    assert len(set(notes.values())) == len(notes)  # no two instruments share a pad
    with pytest.raises(TypeError):
        notes["kick"] = 1  # type: ignore[index]


def test_gm_is_the_default_and_matches_the_vocabulary() -> None:
    assert drum_map() is drum_map("gm")
    assert dict(drum_map("gm")) == dict(GM_DRUM_NOTES)
    gm = drum_map("gm")
    assert (gm["kick"], gm["rim"], gm["snare"], gm["clap"]) == (36, 37, 38, 39)
    assert (gm["hihat_closed"], gm["hihat_pedal"], gm["hihat_open"]) == (42, 44, 46)
    assert (gm["crash"], gm["ride"]) == (49, 51)


def test_ableton_drum_rack_is_gm_and_fits_the_default_pad_view_except_percussion() -> None:
    rack = drum_map("ableton-drum-rack")
    assert dict(rack) == dict(GM_DRUM_NOTES)
    assert [name for name, n in rack.items() if not 36 <= n <= 51] == ["percussion"]


def test_maschine_puts_instruments_on_consecutive_pads_from_c1() -> None:
    maschine = drum_map("maschine")
    order = ["kick", "snare", "clap", "rim", "hihat_closed", "hihat_pedal", "hihat_open",
             "ride", "crash", "tom_low", "tom_mid", "tom_high", "percussion"]
    assert [maschine[name] for name in order] == list(range(36, 49))


def test_preset_names_are_case_insensitive() -> None:
    assert drum_map(" Maschine ") is drum_map("maschine")


def test_unknown_preset_lists_the_choices() -> None:
    with pytest.raises(InvalidParameter) as info:
        drum_map("tr808")
    message = str(info.value)
    assert "'tr808'" in message
    for name in DRUM_MAP_PRESETS:
        assert name in message


def test_partial_yaml_map_keeps_gm_for_the_rest(tmp_path: Path) -> None:
    file = tmp_path / "kit.yaml"
    file.write_text("kick: 48\nsnare: 50\n# hats stay GM\n")
    notes = drum_map(file)
    assert notes["kick"] == 48 and notes["snare"] == 50
    assert notes["hihat_closed"] == 42 and tuple(notes) == DRUM_INSTRUMENTS
    assert drum_map(str(file)) == notes


def test_json_map_and_a_file_without_suffix(tmp_path: Path) -> None:
    file = tmp_path / "kit.json"
    file.write_text(json.dumps({"clap": 40, "percussion": 60}))
    notes = drum_map(file)
    assert (notes["clap"], notes["percussion"]) == (40, 60)
    plain = tmp_path / "kitmap"
    plain.write_text("{ride: 53}")
    assert drum_map(plain)["ride"] == 53


@pytest.mark.parametrize(("content", "expected"), [
    ("kik: 36\n", "unknown drum instrument(s) 'kik'"),
    ("kick: 128\n", "note of 'kick' must be a MIDI note number 0–127, got 128"),
    ("kick: -1\n", "got -1"),
    ("kick: '36'\n", "got '36'"),
    ("kick: 36.5\n", "got 36.5"),
    ("kick: true\n", "got True"),
    ("- kick\n- snare\n", "must be a mapping of instrument: note, got list"),
    ("kick: [36\n", "not valid YAML"),
    ("", "drum map file is empty"),
])
def test_bad_map_files_name_the_file_and_the_problem(tmp_path: Path, content: str,
                                                     expected: str) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(content)
    with pytest.raises(ConfigError) as info:
        drum_map(file)
    message = str(info.value)
    assert message.startswith(f"{file}: ")
    assert expected in message
    assert isinstance(info.value, CoreError)


def test_unknown_instrument_message_lists_valid_names(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text("kick: 36\ncowbell: 56\n")
    with pytest.raises(ConfigError, match="valid names are kick, snare, clap"):
        drum_map(file)


def test_invalid_json_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "bad.json"
    broken.write_text("{'kick': 36}")
    with pytest.raises(ConfigError, match=r"bad\.json: drum map is not valid JSON"):
        drum_map(broken)
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: drum map file not found"):
        drum_map(missing)
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"dir\.yaml: is a folder"):
        drum_map(folder)


def test_shared_notes_are_allowed_with_a_warning(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    file = tmp_path / "one-pad.yaml"
    file.write_text("clap: 38\n")
    with caplog.at_level(logging.WARNING, logger="core.midi.drum_maps"):
        notes = drum_map(file)
    assert notes["clap"] == notes["snare"] == 38
    assert "snare, clap share MIDI note 38" in caplog.text
    assert str(file) in caplog.text


def test_mapping_is_validated_like_a_file() -> None:
    assert drum_map({"kick": 35})["kick"] == 35
    with pytest.raises(ConfigError, match=r"^drum map: unknown drum instrument"):
        drum_map({"bongo": 60})
    with pytest.raises(ConfigError, match=r"^custom: note of 'kick'"):
        validate_drum_map({"kick": 300}, source="custom")
