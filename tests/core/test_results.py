import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidParameter, OutputExists, ResultFormatError
from core.results import (
    Backend,
    DrumHit,
    FileInfo,
    Groove,
    Key,
    Loop,
    Loudness,
    Microtiming,
    Segment,
    Tempo,
    TempoCandidate,
    TempoSection,
    TimeSignature,
    TrackAnalysis,
    from_dict,
    to_dict,
)
from core.results_io import (
    beats_csv,
    drum_hits_csv,
    dumps_json,
    dumps_yaml,
    export_analysis,
    load_result,
    loads_json,
    loads_yaml,
    read_beats_csv,
    read_drum_hits_csv,
    read_segments_csv,
    segments_csv,
)
from core.vocabulary import DRUM_INSTRUMENTS, GM_DRUM_NOTES

FILE = FileInfo("/music/amen break.wav", 1234, "ab" * 20, "WAV", 2, 44100, 8.0)


def full_analysis() -> TrackAnalysis:
    bpm = 174.0
    beat = 60 / bpm
    beats = tuple(round(0.1 + i * beat, 6) for i in range(20))
    return TrackAnalysis(
        file=FILE, duration=8.0, sample_rate=44100,
        tempo=Tempo(bpm, 0.8, (TempoCandidate(174.0, 0.8), TempoCandidate(87.0, 0.15))),
        beats=beats, downbeats=beats[::4], time_signature=TimeSignature(4, 4),
        grid_confidence=0.92, tempo_sections=(TempoSection(0.0, 8.0, 174.0, 0.9),),
        onsets=(0.1, 0.27),
        drum_hits=(DrumHit(0.1, "kick", 120, 0.95), DrumHit(0.1, "hihat_closed", 64, 0.7),
                   DrumHit(0.445, "snare", 110, 0.9)),
        groove=Groove(1.0, 1.12, (Microtiming("snare", 4.5, 2.0, 12),)),
        key=Key("F", "minor", 0.6),
        loop=Loop(0.1, 0.1 + 16 * beat, 4, 0.87),
        segments=(Segment(0.0, 4.0, "intro", 0.5), Segment(4.0, 8.0, "drop", None)),
        loudness=Loudness(-8.2, 5.5, -0.3, -0.5, -10.1, -6.0, -7.0),
        backends=(Backend("tempo", "breakroom", "1"), Backend("separation", "htdemucs", "4.1",
                                                              "cuda")),
        warnings=("clipping: 12 samples",),
    )


def test_json_top_level_carries_the_documented_keys():
    data = json.loads(dumps_json(full_analysis()))
    assert data["schema_version"] == 1
    assert data["tempo_bpm"] == 174.0
    assert data["beats"][0] == 0.1 and len(data["downbeats"]) == 5
    assert data["drum_hits"][0] == {"time": 0.1, "instrument": "kick", "velocity": 120,
                                    "confidence": 0.95}
    assert data["loop"]["bars"] == 4 and data["loop"]["start"] == 0.1
    assert data["time_signature"] == "4/4"
    assert data["backends"]["separation"] == {"name": "htdemucs", "version": "4.1",
                                              "device": "cuda"}


def test_empty_analysis_has_nulls_not_missing_keys():
    data = json.loads(dumps_json(TrackAnalysis(FILE, 8.0, 44100)))
    assert data["tempo_bpm"] is None and data["loop"] is None and data["drum_hits"] == []


@pytest.mark.parametrize("dump,load", [(dumps_json, loads_json), (dumps_yaml, loads_yaml)])
def test_round_trip_is_exact(dump, load):
    original = full_analysis()
    assert load(dump(original)) == original


def test_runner_up_is_the_best_clearly_different_tempo():
    tempo = Tempo(174.0, 0.6, (TempoCandidate(174.0, 0.6), TempoCandidate(173.5, 0.3),
                               TempoCandidate(87.0, 0.25)))
    assert tempo.runner_up == TempoCandidate(87.0, 0.25)
    assert Tempo(120.0, 1.0).runner_up is None


hits = st.builds(DrumHit, st.floats(0, 3600, allow_nan=False),
                 st.sampled_from(DRUM_INSTRUMENTS), st.integers(1, 127), st.floats(0, 1))


@settings(max_examples=40, deadline=None)
@given(st.lists(hits, max_size=30))
def test_drum_hits_round_trip_through_csv_and_json(drum_hits):
    analysis = TrackAnalysis(FILE, 8.0, 44100, drum_hits=tuple(drum_hits))
    assert read_drum_hits_csv(drum_hits_csv(analysis)) == analysis.drum_hits
    assert loads_json(dumps_json(analysis)) == analysis


def test_beats_and_segments_csv_round_trip():
    a = full_analysis()
    beats, downbeats = read_beats_csv(beats_csv(a))
    assert beats == a.beats and downbeats == a.downbeats
    assert read_segments_csv(segments_csv(a)) == a.segments
    lines = beats_csv(a).splitlines()
    assert lines[0] == "time,bar,beat,downbeat"
    assert lines[1].endswith(",1,1,1") and lines[2].endswith(",1,2,0")


@pytest.mark.parametrize("make", [
    lambda: DrumHit(0.1, "cowbell", 100, 0.5),
    lambda: DrumHit(0.1, "kick", 0, 0.5),
    lambda: DrumHit(0.1, "kick", 128, 0.5),
    lambda: DrumHit(-1.0, "kick", 100, 0.5),
    lambda: DrumHit(float("nan"), "kick", 100, 0.5),
    lambda: Tempo(-5.0, 0.5),
    lambda: Loop(2.0, 1.0, 4),
    lambda: Key("H", "minor", 0.5),
    lambda: TimeSignature.parse("four/four"),
])
def test_invalid_values_are_rejected(make):
    with pytest.raises(InvalidParameter):
        make()


def test_gm_map_covers_the_vocabulary():
    assert set(GM_DRUM_NOTES) == set(DRUM_INSTRUMENTS)


def test_unknown_schema_and_garbage_are_reported():
    data = to_dict(full_analysis())
    data["schema_version"] = 99
    with pytest.raises(ResultFormatError, match="schema_version 99"):
        from_dict(data)
    with pytest.raises(ResultFormatError, match=r"song\.json: not valid JSON"):
        loads_json("{oops", source="song.json")
    bad = to_dict(full_analysis())
    bad["drum_hits"][0]["instrument"] = "cowbell"
    with pytest.raises(ResultFormatError, match="cowbell"):
        from_dict(bad)


def test_export_writes_each_format_and_never_overwrites(tmp_path):
    a = full_analysis()
    (json_path,) = export_analysis(a, tmp_path, fmt="json")
    assert json_path.name == "amen break.analysis.json"
    assert load_result(json_path) == a
    (yaml_path,) = export_analysis(a, tmp_path, fmt="yaml")
    assert load_result(yaml_path) == a
    assert yaml.safe_load(yaml_path.read_text())["tempo_bpm"] == 174.0
    csvs = export_analysis(a, tmp_path, fmt="csv")
    assert sorted(p.name for p in csvs) == ["amen break.beats.csv", "amen break.drums.csv",
                                            "amen break.segments.csv"]
    before = json_path.read_text()
    with pytest.raises(OutputExists):
        export_analysis(a.updated(duration=9.0), tmp_path, fmt="json")
    assert json_path.read_text() == before
    export_analysis(a.updated(duration=9.0), tmp_path, fmt="json", overwrite=True)
    assert load_result(json_path).duration == 9.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
