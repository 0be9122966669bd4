"""Reading MIDI+CC clips onto the grid, cutting them at bar lines, the dataset report, the
example generator, MIDI round trips and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest

from core.latent.clip import GridSpec, Note, hold_curve, notes_to_rolls, rolls_to_notes
from core.latent.dataset import clip_from_spec, clips_from_file, load_dataset
from core.latent.errors import LatentDataError
from core.latent.examples import STYLES, example_clip, example_grid
from core.latent.midi_io import clip_midi_bytes, read_performance, write_clip_midi
from tests.core.test_latent_helpers import write_examples, write_midi

GRID16 = GridSpec(steps_per_beat=16, bars=4)


def test_generated_clip_round_trips_through_midi_exactly(tmp_path):
    clip = example_clip("acid", 5, bars=4)
    path = write_clip_midi(tmp_path / "acid.mid", clip, example_grid(4))
    [back], line = clips_from_file(path, GRID16)
    assert np.array_equal(back.onsets, clip.onsets)
    assert np.array_equal(back.active, clip.active)
    assert np.abs(back.cc - clip.cc).max() < 1e-6
    assert back.bpm == pytest.approx(clip.bpm, abs=1e-3)
    assert line.notes == int(clip.onsets.sum()) and line.segments == 1


def test_long_files_are_cut_at_bar_lines(tmp_path):
    clip = example_clip("idm", 1, bars=8)
    path = write_clip_midi(tmp_path / "idm.mid", clip, example_grid(8))
    clips, line = clips_from_file(path, GRID16)
    assert len(clips) == 2 and line.segments == 2
    steps = GRID16.steps
    assert np.array_equal(clips[1].onsets, clip.onsets[steps:])
    assert np.array_equal(clips[1].cc, clip.cc[steps:])
    assert clips[1].meta["first_bar"] == 5
    assert clip_from_spec(f"{path}#2", GRID16).source.endswith("#2")
    with pytest.raises(LatentDataError, match="no segment #3"):
        clip_from_spec(f"{path}#3", GRID16)


def test_coarser_grid_and_other_resolution_give_the_same_clip(tmp_path):
    a = write_midi(tmp_path / "a.mid", ppq=480)
    b = write_midi(tmp_path / "b.mid", ppq=96)
    grid = GridSpec(steps_per_beat=4, bars=4)
    [ca], _ = clips_from_file(a, grid)
    [cb], _ = clips_from_file(b, grid)
    assert np.array_equal(ca.onsets, cb.onsets) and np.array_equal(ca.cc, cb.cc)
    notes = ca.notes()
    assert [n.start for n in notes] == list(range(0, 64, 4))
    assert [n.pitch for n in notes[:4]] == [48, 52, 55, 60]
    assert all(n.end - n.start == 2 for n in notes)  # eighth notes on a 1/16 grid
    k = grid.cc_numbers.index(1)
    assert ca.cc[0, k] == 0 and ca.cc[4, k] == pytest.approx(8 / 127)
    assert ca.cc[7, k] == pytest.approx(8 / 127)  # held between events
    assert ca.cc_present.tolist() == [True] + [False] * 9


def test_report_counts_notes_cc_density_length_and_quality(tmp_path):
    path = write_midi(tmp_path / "line.mid", beats=16)
    dataset = load_dataset(tmp_path, GridSpec(steps_per_beat=4, bars=4))
    [line] = dataset.report.files
    assert line.status == "used" and line.notes == 16 and line.cc_events == 16
    assert line.cc_per_beat == pytest.approx(1.0, abs=0.05)
    assert line.bars == pytest.approx(4.0, abs=0.05) and line.bpm == pytest.approx(128.0)
    assert line.seconds == pytest.approx(16 * 60 / 128, rel=0.02)
    # 1 CC event/beat of 5, 1 automated controller of 3, 4 notes/bar (capped), full length
    assert line.quality == pytest.approx(100 * (0.2 + 1 / 3 + 1 + 1) / 4, abs=1.0)
    assert str(path) in line.path
    rich = load_dataset(write_examples(tmp_path / "ex", per_style=1)[0], GRID16)
    assert rich.report.files[0].quality == pytest.approx(100.0)


def test_generator_is_deterministic_and_styles_differ(tmp_path):
    grid = example_grid(4)
    assert clip_midi_bytes(example_clip("wobble", 3, bars=4), grid) == clip_midi_bytes(
        example_clip("wobble", 3, bars=4), grid)
    assert not np.array_equal(example_clip("wobble", 3, bars=4).cc,
                              example_clip("wobble", 4, bars=4).cc)
    tempos = {s: example_clip(s, 0, bars=4).bpm for s in STYLES}
    assert tempos["wobble"] == 140 and 160 <= tempos["idm"] <= 175
    assert 125 <= tempos["acid"] <= 135
    wobble = example_clip("wobble", 0, bars=4)
    cutoff = wobble.cc[:, 0]
    assert np.ptp(cutoff) > 0.3  # the LFO really wobbles the cutoff
    paths = write_examples(tmp_path, per_style=2)
    assert len(paths) == 6 and paths[0].name.startswith("wobble_140_")
    again = write_examples(tmp_path, per_style=2)  # never overwrites: new names
    assert all(p.exists() for p in paths) and not set(paths) & set(again)


def test_rolls_notes_and_curves():
    notes = [Note(0, 4, 60), Note(4, 6, 60), Note(2, 3, 67)]
    onsets, active = notes_to_rolls(notes, 8)
    assert rolls_to_notes(onsets, active) == sorted(notes, key=lambda n: (n.start, n.pitch))
    curve = hold_curve([(2, 0.5), (5, 1.0)], 8)
    assert curve.tolist() == [0.5, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(("kind", "message"), [
    ("no_cc", "no CC automation"), ("type2", "type-2 MIDI"), ("corrupt", "corrupt MIDI"),
    ("empty", "corrupt MIDI: the file is empty"), ("short", "too short")])
def test_bad_files_are_named_and_explained(tmp_path, kind, message):
    path = tmp_path / f"{kind}.mid"
    if kind == "no_cc":
        write_midi(path, cc=False)
    elif kind == "type2":
        write_midi(path, midi_type=2)
    elif kind == "corrupt":
        path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\xff\xff\xff\xff\x90")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        write_midi(path, beats=4)
    with pytest.raises(LatentDataError, match=message) as info:
        clips_from_file(path, GridSpec(steps_per_beat=4, bars=4))
    assert str(path) in str(info.value)


def test_folder_keeps_good_files_and_reports_skipped_ones(tmp_path):
    write_midi(tmp_path / "good.mid")
    write_midi(tmp_path / "dry.mid", cc=False)
    (tmp_path / "junk.mid").write_bytes(b"not midi at all")
    dataset = load_dataset(tmp_path, GridSpec(steps_per_beat=4, bars=4))
    assert len(dataset.clips) == 1
    skipped = {p.path.rsplit("/", 1)[-1]: p.reason for p in dataset.report.skipped}
    assert set(skipped) == {"dry.mid", "junk.mid"}
    assert "no CC" in skipped["dry.mid"] and "corrupt" in skipped["junk.mid"]


def test_folder_with_nothing_usable_is_an_error_naming_it_and_the_reasons(tmp_path):
    write_midi(tmp_path / "dry.mid", cc=False)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LatentDataError) as info:
        load_dataset(tmp_path, GridSpec(steps_per_beat=4, bars=4))
    text = str(info.value)
    assert str(tmp_path) in text and "dry.mid: no CC" in text
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LatentDataError, match="no MIDI files"):
        load_dataset(empty, GridSpec())
    with pytest.raises(LatentDataError, match="not found"):
        load_dataset(tmp_path / "missing", GridSpec())


def test_read_performance_keeps_tempo_and_meter(tmp_path):
    perf = read_performance(write_midi(tmp_path / "x.mid"), steps_per_beat=4)
    assert perf.bpm == pytest.approx(128.0) and perf.beats_per_bar == 4.0
    assert perf.midi_type == 1 and perf.length_beats == pytest.approx(16.0, abs=0.5)


def test_absurdly_long_file_is_refused_without_building_it(tmp_path):
    import mido

    track = mido.MidiTrack([mido.Message("control_change", control=1, value=3, time=0),
                            mido.Message("note_on", note=60, velocity=90, time=0),
                            mido.Message("note_off", note=60, velocity=0, time=0x0FFFFFFF)])
    midi = mido.MidiFile(ticks_per_beat=24)
    midi.tracks.append(track)
    path = tmp_path / "forever.mid"
    midi.save(path)
    with pytest.raises(LatentDataError, match="looks damaged") as info:
        clips_from_file(path, GRID16)
    assert "forever.mid" in str(info.value)
