"""Loop finder and loop → MIDI on rendered clips whose hits, bars and fills are known."""

from __future__ import annotations

from pathlib import Path

import mido
import mir_eval
import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from core.analysis.loops import NoBeatGrid, find_loops
from core.analysis.pipeline import analyze_file
from core.devset.generate import ClipSpec, render_clip
from core.errors import InvalidParameter, OutputExists
from core.midi.export import read_drum_midi
from core.midi.loop_pipeline import EmptyLoop, LoopMidiOptions, loop_to_midi
from core.midi.quantize import QuantizeOptions
from core.vocabulary import GM_DRUM_NOTES
from tests.support.midi_render import can_render, onset_times, render_midi, unique_times

BPM = 174.0
BAR = 4 * 60.0 / BPM


@pytest.fixture(scope="module")
def drum_clip(tmp_path_factory):
    """8 drum bars at 174 BPM (fills end every 4-bar phrase) and its analysis."""
    spec = ClipSpec(style="dnb", bpm=BPM, bars=8, kit="fluidr3:standard", seed=11,
                    mix="drums", lead_in=0.25)
    clip = render_clip(spec)
    path = tmp_path_factory.mktemp("loop") / "dnb.wav"
    sf.write(path, clip.samples.T, clip.sample_rate, subtype="PCM_24")
    return clip, path, analyze_file(path)


def _truth_bar(clip, time_s: float) -> int:
    downbeats = np.asarray(clip.truth.downbeats)
    return int(np.argmin(np.abs(downbeats - time_s)))


def _fill_bars(clip) -> set[int]:
    """Drum bars that hold a fill: the last bar of each 4-bar phrase (see devset.patterns)."""
    return {b for b in range(len(clip.truth.downbeats)) if b % 4 == 3}


def _truth_in(clip, start: float, end: float) -> list:
    return [h for h in clip.truth.hits if start - 0.02 <= h.time < end - 0.02]


def test_best_two_bar_loops_avoid_the_fills(drum_clip):
    clip, path, analysis = drum_clip
    ranked = find_loops(path, analysis, bars=2, top=20)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    best = ranked[0]
    first = _truth_bar(clip, best.start)
    assert abs(best.start - clip.truth.downbeats[first]) < 0.03
    assert not {first, first + 1} & _fill_bars(clip)
    assert best.end - best.start == pytest.approx(2 * BAR, abs=0.02)
    assert set(best.scores) == {"drums", "low_end", "repetition", "join", "stability"}
    assert best.reasons  # says why
    # the windows holding a fill rank below every window without one
    fill_free = [c for c in ranked if not {_truth_bar(clip, c.start), _truth_bar(clip, c.start)
                                          + 1} & _fill_bars(clip)]
    with_fill = [c for c in ranked if c not in fill_free]
    assert min(c.score for c in fill_free) > max(c.score for c in with_fill)


def test_loop_longer_than_the_track_is_refused(drum_clip):
    _, path, analysis = drum_clip
    with pytest.raises(InvalidParameter, match="longer than the track"):
        find_loops(path, analysis, bars=16)


def test_a_track_without_a_grid_says_so(tmp_path):
    rng = np.random.default_rng(0)
    pad = 0.1 * np.sin(2 * np.pi * 220 * np.arange(44100 * 8) / 44100)
    path = tmp_path / "pad.wav"
    sf.write(path, pad + 0.001 * rng.standard_normal(pad.shape), 44100)
    analysis = analyze_file(path)
    with pytest.raises(NoBeatGrid, match=r"pad\.wav"):
        find_loops(path, analysis)
    with pytest.raises(NoBeatGrid, match="no beat grid"):
        loop_to_midi(path, LoopMidiOptions(midi_out=str(tmp_path / "x.mid")), analysis=analysis)
    assert not (tmp_path / "x.mid").exists()


def _midi_f(notes_beats: np.ndarray, truth_times: np.ndarray, bpm: float) -> float:
    est = unique_times(notes_beats * 60.0 / bpm)
    ref = unique_times(truth_times)
    return float(mir_eval.onset.f_measure(ref, est, window=0.05)[0])


def test_ground_truth_hits_export_without_loss(drum_clip, tmp_path):
    """With the true hits, the exported MIDI has every hit: instrument, slot and velocity."""
    clip, path, analysis = drum_clip
    truth = analysis.updated(drum_hits=clip.truth.hits, beats=clip.truth.beats,
                             downbeats=clip.truth.downbeats)
    out = tmp_path / "truth.mid"
    result = loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(out)), analysis=truth)
    loop = result.chosen
    midi = read_drum_midi(out)
    assert midi.length_ticks == 2 * 4 * 480
    assert midi.bpm == pytest.approx(BPM, abs=0.05)
    inside = _truth_in(clip, loop.start, loop.end)
    expected = sorted((round((h.time - loop.start) / (60 / BPM) * 4), GM_DRUM_NOTES[h.instrument],
                       h.velocity) for h in inside)
    got = sorted((round(n.beat * 4), n.note, n.velocity) for n in midi.notes)
    assert got == expected


def test_rhythm_engine_loop_exports_a_daw_ready_clip(drum_clip, tmp_path):
    clip, path, analysis = drum_clip
    out = tmp_path / "loop.mid"
    result = loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(out)), analysis=analysis)
    loop = result.chosen
    # mido: type 1, 480 PPQ, tempo + meter, drums on channel 10, starts at bar 1 beat 1
    mf = mido.MidiFile(out)
    assert mf.type == 1 and mf.ticks_per_beat == 480
    meta = [m for track in mf.tracks for m in track if m.is_meta]
    assert any(m.type == "time_signature" and (m.numerator, m.denominator) == (4, 4)
               for m in meta)
    assert {m.channel for track in mf.tracks for m in track if m.type == "note_on"} == {9}
    # pretty_midi, an independent reader: tempo, length, drum track
    pm = pretty_midi.PrettyMIDI(str(out))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(result.bpm, rel=1e-3)
    assert result.bpm == pytest.approx(BPM, rel=0.01)
    assert pm.instruments[0].is_drum
    assert pm.get_end_time() <= loop.end - loop.start + 1e-3
    # the notes are where the clip's hits are (onset F, ±50 ms)
    beats = np.array([n.start for n in pm.instruments[0].notes]) * BPM / 60.0
    truth = np.array([h.time - loop.start for h in _truth_in(clip, loop.start, loop.end)])
    assert _midi_f(beats, truth, BPM) >= 0.95


@pytest.mark.skipif(not can_render(), reason="needs fluidsynth and a GM soundfont")
def test_rendered_midi_lands_on_the_source_drums(drum_clip, tmp_path):
    clip, path, analysis = drum_clip
    out = tmp_path / "loop.mid"
    result = loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(out)), analysis=analysis)
    mono, rate = render_midi(out, tmp_path / "loop.wav")
    found = onset_times(mono, rate)
    loop = result.chosen
    found = found[found < loop.end - loop.start - 0.02]
    truth = unique_times([h.time - loop.start for h in _truth_in(clip, loop.start, loop.end)])
    f = mir_eval.onset.f_measure(truth, unique_times(found), window=0.05)[0]
    assert f >= 0.95


def test_outputs_are_never_overwritten(drum_clip, tmp_path):
    _, path, analysis = drum_clip
    out = tmp_path / "keep.mid"
    out.write_bytes(b"precious")
    with pytest.raises(OutputExists):
        loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(out)), analysis=analysis)
    assert out.read_bytes() == b"precious"
    loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(out), overwrite=True),
                 analysis=analysis)
    assert out.read_bytes().startswith(b"MThd")


def test_empty_hit_list_is_explained(drum_clip, tmp_path):
    _, path, analysis = drum_clip
    with pytest.raises(EmptyLoop, match="no drum hits"):
        loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(tmp_path / "e.mid")),
                     analysis=analysis.updated(drum_hits=()))
    assert not (tmp_path / "e.mid").exists()


def test_keep_swing_and_strength_reach_the_file(drum_clip, tmp_path):
    _, path, analysis = drum_clip
    loose = loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(tmp_path / "a.mid"),
                                               quantize=QuantizeOptions(strength=0.0)),
                         analysis=analysis)
    tight = loop_to_midi(path, LoopMidiOptions(bars=2, midi_out=str(tmp_path / "b.mid")),
                         analysis=analysis)
    on_grid = [n.beat * 4 for n in tight.notes]
    assert np.allclose(on_grid, np.round(on_grid), atol=1e-6)
    assert sorted(n.instrument for n in loose.notes) == sorted(n.instrument for n in tight.notes)
    off_grid = [n.beat * 4 for n in loose.notes]
    assert not np.allclose(off_grid, np.round(off_grid), atol=1e-3)  # as played


def test_bad_options_are_refused():
    with pytest.raises(InvalidParameter, match="bars"):
        LoopMidiOptions(bars=3)
    with pytest.raises(InvalidParameter, match="drum stem"):
        LoopMidiOptions(source="drums")
    with pytest.raises(InvalidParameter):
        LoopMidiOptions(drum_map="no-such-map")


def test_written_paths_are_reported(drum_clip, tmp_path):
    _, path, analysis = drum_clip
    result = loop_to_midi(path, LoopMidiOptions(bars=1, midi_out=str(tmp_path / "one.mid")),
                          analysis=analysis)
    assert result.written == (Path(tmp_path / "one.mid"),)
    assert read_drum_midi(result.written[0]).length_ticks == 4 * 480
