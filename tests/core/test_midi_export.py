"""Tests of core.midi.export: the written MIDI file, read back with mido and pretty_midi, safe
writing, and a render through fluidsynth whose onsets must match the note times."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from core import fileutil
from core.errors import CoreError, InvalidParameter, OutputExists
from core.midi import export
from core.midi.export import (
    DRUM_CHANNEL,
    TICKS_PER_BEAT,
    MidiFileError,
    drum_midi_bytes,
    read_drum_midi,
    summarize,
    write_drum_midi,
)
from core.midi.quantize import QuantizedNote
from core.vocabulary import GM_DRUM_NOTES

BPM = 174.0
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _note(beat: float, instrument: str, velocity: int = 100) -> QuantizedNote:
    return QuantizedNote(beat, instrument, velocity, 0.9, beat)


def _groove(bars: int = 2) -> list[QuantizedNote]:
    """Two-step drum & bass: kicks on 1 and the "and" of 3, snares on 2 and 4, 8th hats."""
    notes = []
    for bar in range(bars):
        b = 4.0 * bar
        notes += [_note(b, "kick", 120), _note(b + 2.5, "kick", 100),
                  _note(b + 1, "snare", 110), _note(b + 3, "snare", 105)]
        notes += [_note(b + i / 2, "hihat_closed", 60 + 5 * i) for i in range(8)]
    return sorted(notes, key=lambda n: n.beat)


def _absolute(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    tick, out = 0, []
    for msg in track:
        tick += msg.time
        out.append((tick, msg))
    return out


def read_clip(data: bytes) -> export.MidiClip:
    """Read MIDI bytes through a temporary file."""
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "clip.mid"
        file.write_bytes(data)
        return read_drum_midi(file)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ------------------------------------------------------------------------- file structure


def test_file_structure_read_back_with_mido(tmp_path: Path) -> None:
    notes = _groove(bars=2)
    path = write_drum_midi(tmp_path / "loop.mid", notes, bpm=BPM, bars=2)
    assert path == tmp_path / "loop.mid"
    midi = mido.MidiFile(path)
    assert TICKS_PER_BEAT == 480
    assert (midi.type, midi.ticks_per_beat, len(midi.tracks)) == (1, 480, 2)
    end = 2 * 4 * 480
    conductor, drums = (_absolute(t) for t in midi.tracks)

    metas = {msg.type: (tick, msg) for tick, msg in conductor}
    assert metas["track_name"][1].name == "Breakroom drums"
    assert metas["set_tempo"] == (0, metas["set_tempo"][1])
    assert metas["set_tempo"][1].tempo == mido.bpm2tempo(BPM) == 344828
    ts = metas["time_signature"][1]
    assert (metas["time_signature"][0], ts.numerator, ts.denominator) == (0, 4, 4)
    assert not [m for _, m in conductor if not m.is_meta]

    for track in (conductor, drums):  # the clip is exactly 2 bars long
        assert track[-1][1].type == "end_of_track" and track[-1][0] == end
    assert drums[0][1].type == "track_name" and drums[0][1].name == "Breakroom drums"

    channel_msgs = [(tick, m) for tick, m in drums if not m.is_meta]
    assert {m.channel for _, m in channel_msgs} == {DRUM_CHANNEL}
    ons = [(tick, m.note, m.velocity) for tick, m in channel_msgs if m.type == "note_on"]
    offs = [m for _, m in channel_msgs if m.type == "note_off"]
    assert len(ons) == len(offs) == len(notes) == 24
    assert all(m.velocity == 0 for m in offs)
    assert ons[0] == (0, 36, 120)  # bar 1 beat 1 = tick 0
    expected = sorted((round(n.beat * 480), GM_DRUM_NOTES[n.instrument], n.velocity)
                      for n in notes)
    assert sorted(ons) == expected


def test_read_back_with_pretty_midi(tmp_path: Path) -> None:
    notes = _groove(bars=2)
    path = write_drum_midi(tmp_path / "loop.mid", notes, bpm=BPM, bars=2)
    pm = pretty_midi.PrettyMIDI(str(path))
    times, tempi = pm.get_tempo_changes()
    assert list(times) == [0.0] and tempi[0] == pytest.approx(BPM, abs=1e-3)
    (ts,) = pm.time_signature_changes
    assert (ts.numerator, ts.denominator, ts.time) == (4, 4, 0.0)
    (drums,) = pm.instruments
    assert drums.is_drum and drums.name == "Breakroom drums"
    got = sorted((round(n.start, 4), n.pitch, n.velocity) for n in drums.notes)
    want = sorted((round(n.beat * 60 / BPM, 4), GM_DRUM_NOTES[n.instrument], n.velocity)
                  for n in notes)
    assert got == want
    assert all(n.end - n.start == pytest.approx(60 / 480 * 60 / BPM, rel=1e-4)
               for n in drums.notes)  # 60 ticks


def test_round_trip_with_read_drum_midi(tmp_path: Path) -> None:
    notes = _groove(bars=1)
    path = write_drum_midi(tmp_path / "loop.mid", notes, bpm=BPM, bars=1)
    clip = read_drum_midi(path)
    assert (clip.type, clip.ticks_per_beat, clip.time_signature) == (1, 480, (4, 4))
    assert clip.bpm == pytest.approx(BPM, abs=1e-3)
    assert clip.length_ticks == 1920 and clip.length_beats == 4.0
    assert clip.track_names == ("Breakroom drums", "Breakroom drums")
    got = [(n.beat, n.note, n.velocity, n.channel) for n in clip.notes]
    want = sorted((n.beat, GM_DRUM_NOTES[n.instrument], n.velocity, 9) for n in notes)
    assert got == want


@pytest.mark.parametrize(("beats_per_bar", "denominator", "bars", "ticks"), [
    (4, 4, 4, 4 * 1920), (3, 4, 2, 2 * 3 * 480), (6, 8, 2, 2 * 6 * 240), (7, 8, 1, 7 * 240),
])
def test_end_of_track_is_exactly_n_bars(tmp_path: Path, beats_per_bar: int,
                                        denominator: int, bars: int, ticks: int) -> None:
    path = write_drum_midi(tmp_path / "m.mid", [_note(0, "kick")], bpm=140, bars=bars,
                           beats_per_bar=beats_per_bar, denominator=denominator)
    clip = read_drum_midi(path)
    assert clip.length_ticks == ticks
    assert clip.time_signature == (beats_per_bar, denominator)
    for track in mido.MidiFile(path).tracks:
        assert sum(msg.time for msg in track) == ticks


def test_empty_loop_is_a_valid_file_of_exact_length(tmp_path: Path) -> None:
    path = write_drum_midi(tmp_path / "empty.mid", [], bpm=BPM, bars=4)
    clip = read_drum_midi(path)
    assert clip.notes == () and clip.length_ticks == 4 * 1920
    pm = pretty_midi.PrettyMIDI(str(path))
    assert sum(len(i.notes) for i in pm.instruments) == 0
    assert pm.get_tempo_changes()[1][0] == pytest.approx(BPM, abs=1e-3)


# --------------------------------------------------------------------------- note lengths


def test_note_lengths_fixed_and_to_next() -> None:
    notes = [_note(0, "kick"), _note(0.125, "kick"), _note(1, "kick"), _note(3.5, "snare")]
    fixed = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, fixed_length_ticks=120))
    # 120 ticks, cut at the next kick (60 ticks later); a note never passes the loop end
    assert [n.duration_ticks for n in fixed.notes] == [60, 120, 120, 120]
    to_next = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, note_length="to_next"))
    assert [n.duration_ticks for n in to_next.notes] == [60, 420, 1440, 240]
    last = read_clip(drum_midi_bytes([_note(3.999, "crash")], bpm=120, bars=1,
                                     fixed_length_ticks=480))
    assert (last.notes[0].tick, last.notes[0].duration_ticks) == (1919, 1)
    assert last.length_ticks == 1920


def test_same_pitch_same_tick_keeps_the_loudest_and_velocities_are_clamped() -> None:
    one_pad = {**GM_DRUM_NOTES, "clap": 38}
    notes = [_note(0, "snare", 90), _note(0, "clap", 120), _note(1, "kick", 300),
             _note(2, "kick", 0)]
    clip = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, drum_map=one_pad))
    assert [(n.tick, n.note, n.velocity) for n in clip.notes] == [
        (0, 38, 120), (480, 36, 127), (960, 36, 1)]


def test_presets_and_map_files_choose_the_notes(tmp_path: Path) -> None:
    notes = [_note(0, "kick"), _note(1, "snare"), _note(2, "percussion")]
    maschine = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, drum_map="maschine"))
    assert [n.note for n in maschine.notes] == [36, 37, 48]
    file = tmp_path / "kit.yaml"
    file.write_text("kick: 24\n")
    custom = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, drum_map=file))
    assert [n.note for n in custom.notes] == [24, 38, 56]
    partial = read_clip(drum_midi_bytes(notes, bpm=120, bars=1, drum_map={"snare": 40}))
    assert [n.note for n in partial.notes] == [36, 40, 56]


def test_track_name_and_summary() -> None:
    clip = read_clip(drum_midi_bytes([], bpm=90, bars=1, track_name="Amen 4 bars"))
    assert clip.track_names == ("Amen 4 bars", "Amen 4 bars")
    assert summarize(_groove(bars=2)) == {"kick": 4, "snare": 4, "hihat_closed": 16}
    assert summarize([]) == {}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"bpm": 0}, "bpm must be within 4–1000"),
    ({"bpm": float("nan")}, "bpm"),
    ({"bars": 0}, "bars must be a whole number"),
    ({"bars": 2.5}, "bars must be a whole number"),
    ({"beats_per_bar": 4, "denominator": 3}, "invalid time signature 4/3"),
    ({"note_length": "legato"}, "note_length must be one of fixed, to_next"),
    ({"fixed_length_ticks": 0}, "fixed_length_ticks"),
])
def test_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"bpm": 120, "bars": 1, **kwargs}
    with pytest.raises(InvalidParameter, match=message):
        drum_midi_bytes([_note(0, "kick")], **args)  # type: ignore[arg-type]


def test_notes_outside_the_loop_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="beat 4 lies outside the loop"):
        drum_midi_bytes([_note(4.0, "snare")], bpm=120, bars=1)


# ---------------------------------------------------------------------------- safe writing


def test_never_overwrites_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "loop.mid"
    target.write_bytes(b"precious")
    with pytest.raises(OutputExists) as info:
        write_drum_midi(target, _groove(), bpm=BPM, bars=2)
    assert str(target) in str(info.value)
    assert target.read_bytes() == b"precious"
    assert _names(tmp_path) == ["loop.mid"]
    write_drum_midi(target, _groove(), bpm=BPM, bars=2, overwrite=True)
    assert len(read_drum_midi(target).notes) == 24
    assert _names(tmp_path) == ["loop.mid"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "loop.mid"
    with pytest.raises(MidiFileError) as info:
        write_drum_midi(target, [], bpm=BPM, bars=1)
    assert str(info.value) == (
        f"{target}: cannot write the MIDI file: the folder {target.parent} does not exist")
    assert isinstance(info.value, CoreError)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="file permissions do not stop root (or apply on Windows)")
def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)  # 0o500
    try:
        with pytest.raises(MidiFileError) as info:
            write_drum_midi(folder / "loop.mid", [], bpm=BPM, bars=1)
    finally:
        folder.chmod(0o700)
    assert str(info.value).startswith(f"{folder / 'loop.mid'}: cannot write the MIDI file: "
                                      "permission denied")
    assert _names(folder) == []


def test_permission_error_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as above, reachable as root: the OS refuses the write."""
    def refuse(*_args: object, **_kwargs: object) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(fileutil, "atomic_write_bytes", refuse)  # under write_output
    target = tmp_path / "loop.mid"
    with pytest.raises(MidiFileError, match=r"loop\.mid: cannot write the MIDI file: "
                                            "permission denied"):
        write_drum_midi(target, [], bpm=BPM, bars=1)
    assert not target.exists()


def test_reading_a_non_midi_file_names_it(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mid"
    bogus.write_text("this is not MIDI")
    with pytest.raises(MidiFileError, match=r"notes\.mid: not a valid MIDI file"):
        read_drum_midi(bogus)
    with pytest.raises(MidiFileError, match="MIDI file not found"):
        read_drum_midi(tmp_path / "missing.mid")


# -------------------------------------------------------------------------------- render


def _onsets(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset times (s): the 10 ms energy of the differentiated signal rising by > 9 dB within
    20 ms, at least 60 ms apart."""
    signal = np.concatenate([np.zeros(int(0.05 * sample_rate)), np.diff(mono)])
    hop, window = sample_rate // 1000, sample_rate // 100
    cumulative = np.concatenate([[0.0], np.cumsum(signal ** 2)])
    starts = np.arange(0, len(signal) - window, hop)
    level = 10 * np.log10((cumulative[starts + window] - cumulative[starts]) / window + 1e-12)
    floor = level.max() - 50
    found: list[float] = []
    for i in range(20, len(level)):
        time = (starts[i] + window / 2) / sample_rate - 0.05
        if (level[i] > floor and level[i] - level[i - 20:i].min() > 9
                and (not found or time - found[-1] > 0.06)):
            found.append(time)
    return np.array(found)


@pytest.mark.skipif(shutil.which("fluidsynth") is None or not SOUNDFONT.is_file(),
                    reason="needs the fluidsynth binary and FluidR3_GM.sf2")
def test_rendered_audio_has_onsets_at_the_note_times(tmp_path: Path) -> None:
    bpm = 120.0
    instruments = ["kick", "snare", "hihat_closed", "clap", "kick", "hihat_open", "snare",
                   "rim"]
    notes = [_note(i * 0.75, instruments[i % 8], 70 if i % 2 else 110) for i in range(10)]
    midi = write_drum_midi(tmp_path / "render.mid", notes, bpm=bpm, bars=2)
    wav = tmp_path / "render.wav"
    subprocess.run(["fluidsynth", "-ni", "-g", "1.0", "-r", "44100", "-F", str(wav),
                    str(SOUNDFONT), str(midi)], check=True, capture_output=True, timeout=60)
    audio, rate = sf.read(wav, always_2d=True)
    assert rate == 44100
    found = _onsets(audio.mean(axis=1), rate)
    expected = np.array([n.beat * 60 / bpm for n in notes])
    nearest = np.abs(found[:, None] - expected[None, :])
    assert np.all(nearest.min(axis=0) < 0.030), (found, expected)  # every note is heard
    assert np.all(nearest.min(axis=1) < 0.030), (found, expected)  # and nothing else
