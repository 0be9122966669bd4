"""``analyze`` fills tempo, beats, downbeats, meter, drum hits and groove (issue: rhythm engine)."""

import json

import numpy as np
import pytest
import soundfile as sf

from core.cli import main
from core.devset import ClipSpec, render_clip


@pytest.fixture(scope="module")
def dnb(tmp_path_factory):
    """A 174 BPM drum & bass full mix, its drum stem and the ground truth."""
    folder = tmp_path_factory.mktemp("dnb")
    clip = render_clip(ClipSpec(style="dnb", bpm=174.0, bars=8, kit="synth:4", seed=3,
                                mix="full", drum_to_rest_db=-3.0))
    mix, stem = folder / "tune.wav", folder / "tune.drums.wav"
    sf.write(str(mix), clip.samples.T, clip.sample_rate, subtype="PCM_24")
    sf.write(str(stem), clip.drums.T, clip.sample_rate, subtype="PCM_24")
    return mix, stem, clip.truth


def _analyse(capsys, *argv):
    assert main(["analyze", "-q", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_drum_and_bass_reads_174_with_its_grid_and_drums(dnb, capsys):
    mix, _, truth = dnb
    data = _analyse(capsys, str(mix))
    assert data["tempo_bpm"] == pytest.approx(174, abs=1.0)
    assert data["time_signature"] == "4/4"
    beats = np.array(data["beats"])
    assert len(beats) >= 0.9 * len(truth.beats)
    assert np.median(np.abs(beats[:, None] - np.array(truth.beats)[None]).min(axis=1)) < 0.02
    kicks = [h for h in data["drum_hits"] if h["instrument"] == "kick"]
    assert len(kicks) >= 0.8 * sum(h.instrument == "kick" for h in truth.hits)
    assert data["groove"] is not None
    assert set(data["backends"]) >= {"rhythm", "drums", "groove"}


def test_drum_stem_is_used_when_given_and_reported(dnb, capsys, monkeypatch):
    mix, stem, truth = dnb
    data = _analyse(capsys, str(mix), "--drum-stem", str(stem))
    assert "drum stem" in data["backends"]["drums"]["name"]
    # One view by default; three when the configuration asks, and the backend says so.
    assert "views" not in data["backends"]["drums"]["version"]
    monkeypatch.setenv("BREAKROOM_ANALYSIS__DRUM_VIEWS", "3")
    three = _analyse(capsys, str(mix), "--drum-stem", str(stem))
    assert "3 views" in three["backends"]["drums"]["version"]
    assert data["tempo_bpm"] == pytest.approx(174, abs=1.0)
    snares = [h["time"] for h in data["drum_hits"] if h["instrument"] in ("snare", "clap")]
    truth_snares = [h.time for h in truth.hits if h.instrument in ("snare", "clap")]
    found = sum(any(abs(t - r) < 0.05 for t in snares) for r in truth_snares)
    assert found >= 0.8 * len(truth_snares)


def test_style_hint_and_range_override_the_prior(dnb, capsys):
    mix, _, _ = dnb
    assert _analyse(capsys, str(mix), "--tempo-range", "60-100")["tempo_bpm"] == pytest.approx(
        87, abs=1.0)


def test_classic_backend_is_selectable_and_named(dnb, capsys):
    mix, _, _ = dnb
    data = _analyse(capsys, str(mix), "--drums", "classic")
    assert "classic" in data["backends"]["drums"]["name"]


def test_drum_stem_needs_exactly_one_track(dnb, capsys):
    mix, stem, _ = dnb
    assert main(["analyze", str(mix), str(mix.parent), "--drum-stem", str(stem)]) == 2


def test_silence_gets_no_tempo_and_says_why(tmp_path, capsys):
    path = tmp_path / "silence.wav"
    sf.write(str(path), np.zeros((44100 * 5, 2), np.float32), 44100)
    data = _analyse(capsys, str(path))
    assert data["tempo_bpm"] is None and data["beats"] == [] and data["drum_hits"] == []
    assert any("no tempo" in w for w in data["warnings"])


def test_tempo_flip_rederives_the_grid(dnb):
    """The app's ½× / 2× flip: the grid is re-derived at the new level, hits stay; flipping
    back restores the original grid."""
    from core.analysis.pipeline import analyze_at_tempo, analyze_file

    mix, _, _ = dnb
    first = analyze_file(mix)
    half = analyze_at_tempo(mix, first.tempo_bpm * 0.5)
    assert half.tempo_bpm == pytest.approx(87, rel=0.02)
    assert len(half.beats) == pytest.approx(len(first.beats) / 2, rel=0.1)
    assert len(half.drum_hits) == len(first.drum_hits)
    back = analyze_at_tempo(mix, half.tempo_bpm * 2.0)
    assert back.tempo_bpm == pytest.approx(first.tempo_bpm, rel=0.01)
    assert len(back.beats) == len(first.beats)
