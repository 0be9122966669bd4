"""Generated development set: exact ground truth, determinism, mixing levels, export."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import soundfile as sf

from core.devset import (
    ClipSpec,
    Kit,
    development_set,
    export_clip,
    ground_truth,
    iter_clips,
    load_truth,
    render_clip,
    synth_kit,
)
from core.devset.patterns import STYLES
from core.errors import InvalidParameter, OutputExists
from core.vocabulary import DRUM_INSTRUMENTS

SR = 44100
IMPULSE = Kit("test:impulse", "test", SR,
              {name: (np.array([1.0], np.float32),) for name in DRUM_INSTRUMENTS})
"""Every instrument a one-sample click: the stem is non-zero exactly where hits start."""


@pytest.fixture(scope="module")
def kits() -> dict[str, Kit]:
    return {"synth:1": synth_kit(1), "test:impulse": IMPULSE}


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def test_same_spec_renders_identical_samples(kits):
    spec = ClipSpec("dnb", 174, 4, "synth:1", seed=7, mix="full", humanize_ms=4,
                    velocity_jitter=5, augment=True, pitch_semitones=1)
    a, b = render_clip(spec, kits), render_clip(spec, kits)
    assert np.array_equal(a.samples, b.samples) and np.array_equal(a.drums, b.drums)
    assert a.truth == b.truth and a.name == b.name
    other = render_clip(dataclasses.replace(spec, seed=8), kits)
    assert not np.array_equal(other.samples, a.samples)


@pytest.mark.parametrize("name", list(STYLES))
def test_every_hit_starts_exactly_at_its_labelled_sample(kits, name):
    st = STYLES[name]
    swing = 1.4 if st.swing_unit else 1.0
    spec = ClipSpec(name, st.anchor_bpms[0], 8, "test:impulse", seed=3, humanize_ms=6,
                    velocity_jitter=6, swing=swing, tempo_change=(4, st.anchor_bpms[0] + 6),
                    lead_in=0.123)
    clip = render_clip(spec, kits)
    onsets = np.flatnonzero(np.abs(clip.drums).sum(axis=0) > 0)
    labelled = np.unique([round(h.time * SR) for h in clip.truth.hits])
    assert np.array_equal(onsets, labelled)
    assert all(abs(h.time * SR - round(h.time * SR)) < 1e-6 for h in clip.truth.hits)


@pytest.mark.parametrize(("name", "instrument", "pitch"),
                         [("breakbeat", "kick", 0.0), ("breakbeat", "snare", -2.0),
                          ("hiphop", "hihat_closed", 3.0), ("house", "clap", 0.0)])
def test_real_one_shots_start_within_a_millisecond_of_the_label(kits, name, instrument, pitch):
    spec = ClipSpec(name, 125, 4, "synth:1", seed=5, humanize_ms=5, fills=False,
                    instruments=(instrument,), pitch_semitones=pitch, lead_in=0.2)
    clip = render_clip(spec, kits)
    slope = np.abs(np.diff(clip.drums.sum(axis=0), prepend=0.0))  # attacks are steep
    ms = SR // 1000
    hits = [h for h in clip.truth.hits if h.instrument == instrument]
    assert hits
    for hit in hits:
        n = round(hit.time * SR)
        before, after = slope[n - 2 * ms:n].max(), slope[n:n + ms].max()
        assert after > 3.0 * before, hit


def test_beats_follow_the_tempo_and_its_change():
    spec = ClipSpec("dnb", 174, 8, "synth:1", tempo_change=(4, 170), lead_in=0.25)
    truth = ground_truth(spec)
    beats = np.array(truth.beats)
    assert len(beats) == 32 and beats[0] == pytest.approx(0.25)
    gaps = np.diff(beats)
    np.testing.assert_allclose(gaps[:16], 60 / 174, atol=1e-9)
    np.testing.assert_allclose(gaps[16:], 60 / 170, atol=1e-9)
    assert truth.tempo_bpm == 174
    assert truth.tempo_changes == ((pytest.approx(beats[16]), 170.0),)


@pytest.mark.parametrize(("name", "per_bar", "meter"),
                         [("techno", 4, "4/4"), ("waltz", 3, "3/4"), ("six_eight", 2, "6/8")])
def test_downbeats_every_bar_per_the_time_signature(name, per_bar, meter):
    truth = ground_truth(ClipSpec(name, 100, 6, "synth:1"))
    assert str(truth.time_signature) == meter
    assert len(truth.beats) == 6 * per_bar
    assert truth.downbeats == truth.beats[::per_bar]


def test_dubstep_is_labelled_at_140_with_the_snare_on_beat_three():
    truth = ground_truth(ClipSpec("dubstep", 140, 4, "synth:1", fills=False))
    assert truth.tempo_bpm == 140
    np.testing.assert_allclose(np.diff(truth.beats), 60 / 140, atol=1e-9)
    snares = [h.time for h in truth.hits if h.instrument == "snare"]
    bars = np.array(truth.downbeats)
    beat = 60 / 140
    on_three = [t for t in snares if np.min(np.abs(bars + 2 * beat - t)) < 1e-4]
    assert len(on_three) == 4


def _fractions(truth, span: float) -> set[float]:
    beats = np.array(truth.beats)
    period = beats[1] - beats[0]
    return {round(((h.time - beats[0]) / period / span) % 1.0, 4) for h in truth.hits}


def test_swung_sixteenths_sit_where_the_ratio_puts_them():
    ratio = 1.6
    truth = ground_truth(ClipSpec("hiphop", 90, 4, "synth:1", swing=ratio, fills=False))
    assert truth.swing_16th == ratio and truth.swing_8th is None
    expected = {0.0, round(ratio / (1 + ratio), 4)}
    assert _fractions(truth, 0.5) <= expected | {1.0}
    assert round(ratio / (1 + ratio), 4) in _fractions(truth, 0.5)


def test_swung_eighths_in_a_waltz():
    ratio = 2.0
    truth = ground_truth(ClipSpec("waltz", 120, 4, "synth:1", swing=ratio, fills=False))
    assert truth.swing_8th == ratio
    hits_on_and = _fractions(truth, 1.0) - {0.0, 1.0}
    assert round(2 / 3, 4) in hits_on_and
    assert 0.5 not in hits_on_and


def test_straight_styles_refuse_swing_and_wrong_meters():
    with pytest.raises(InvalidParameter):
        ClipSpec("trap", 140, 4, "synth:1", swing=1.5)
    with pytest.raises(InvalidParameter):
        ClipSpec("waltz", 120, 4, "synth:1", time_signature="4/4")
    with pytest.raises(InvalidParameter):
        ClipSpec("polka", 120, 4, "synth:1")


def test_kick_only_pattern_produces_only_kick_hits(kits):
    spec = ClipSpec("techno", 128, 4, "test:impulse", instruments=("kick",), fills=False)
    clip = render_clip(spec, kits)
    assert {h.instrument for h in clip.truth.hits} == {"kick"}
    assert len(clip.truth.hits) == 16  # four on the floor
    assert np.count_nonzero(np.abs(clip.samples).sum(axis=0)) == 16


@pytest.mark.parametrize(("level", "augment"), [(6.0, False), (-6.0, True), (0.0, False)])
def test_full_mix_sets_drums_against_the_rest(kits, level, augment):
    spec = ClipSpec("house", 124, 4, "synth:1", mix="full", drum_to_rest_db=level,
                    augment=augment, seed=2)
    clip = render_clip(spec, kits)
    rest = clip.samples.astype(np.float64) - clip.drums
    first = round(clip.truth.beats[0] * SR)
    measured = 20 * np.log10(_rms(clip.drums[:, first:]) / _rms(rest[:, first:]))
    assert measured == pytest.approx(level, abs=1.0)
    assert np.max(np.abs(clip.samples)) == pytest.approx(10 ** (-1 / 20), rel=1e-3)
    assert clip.truth.drum_to_rest_db == level and clip.truth.mix == "full"


def test_intro_has_pads_but_no_labelled_beats(kits):
    spec = ClipSpec("techno", 128, 4, "synth:1", mix="full", intro_bars=2, lead_in=0.1)
    clip = render_clip(spec, kits)
    start = clip.truth.beats[0]
    assert start == pytest.approx(0.1 + 2 * 4 * 60 / 128)
    assert min(h.time for h in clip.truth.hits) >= start
    intro = clip.samples[:, round(0.5 * SR):round(start * SR)]
    assert _rms(intro) > 1e-3 and not np.any(clip.drums[:, :round(start * SR)])


def test_development_set_is_deterministic_and_covers_the_targets():
    specs = development_set("dev", clips_per_style=4)
    assert specs == development_set("dev", clips_per_style=4)
    assert specs != development_set("dev", clips_per_style=4, seed=1)
    assert {s.style for s in specs} == set(STYLES)
    assert {s.mix for s in specs} == {"drums", "full"}
    assert {s.drum_to_rest_db for s in specs if s.mix == "full"} >= {6.0, -6.0}
    assert any(s.humanize_ms > 0 for s in specs) and any(s.swing != 1 for s in specs)
    assert any(s.tempo_change for s in specs) and any(s.augment for s in specs)
    by_style = {name: {s.bpm for s in specs if s.style == name} for name in STYLES}
    assert by_style["dnb"] >= {170.0, 174.0, 176.0} and all(170 <= b <= 176
                                                           for b in by_style["dnb"])
    assert 140.0 in by_style["dubstep"] and by_style["trap"] >= {140.0, 150.0}
    instruments = {h.instrument for s in specs for h in ground_truth(s).hits}
    assert instruments == set(DRUM_INSTRUMENTS)


def test_iter_clips_renders_lazily(kits):
    specs = [ClipSpec("trap", 145, 2, "synth:1", seed=k) for k in range(3)]
    seen = []
    clips = iter_clips(specs, kits, progress=lambda f, s: seen.append(f))
    assert seen == []
    first = next(clips)
    assert first.truth.style == "trap" and seen == [pytest.approx(1 / 3)]
    assert len(list(clips)) == 2


def test_export_writes_wav_and_json_that_read_back_equal(kits, tmp_path):
    clip = render_clip(ClipSpec("jungle", 165, 2, "synth:1", mix="full", swing=1.2,
                                tempo_change=(1, 160), humanize_ms=3), kits)
    wav, meta = export_clip(clip, tmp_path / "out", stem=True)
    data, rate = sf.read(wav, dtype="float32", always_2d=True)
    assert rate == SR and sf.info(str(wav)).subtype == "PCM_24"
    np.testing.assert_allclose(data.T, clip.samples, atol=2 ** -22)
    assert load_truth(meta) == clip.truth
    stem, _ = sf.read(tmp_path / "out" / f"{clip.name}.drums.wav", dtype="float32")
    np.testing.assert_allclose(stem.T, clip.drums, atol=2 ** -22)
    with pytest.raises(OutputExists):
        export_clip(clip, tmp_path / "out")
    export_clip(clip, tmp_path / "out", overwrite=True)


def test_command_line_exports_a_split(monkeypatch, tmp_path, capsys):
    from core.devset import __main__ as cli
    from core.devset import dataset

    monkeypatch.setattr(dataset, "kit_names", lambda split: ("synth:4", "synth:5"))
    status = cli.main(["export", "--split", "unseen", "--out", str(tmp_path),
                       "--clips-per-style", "1", "--seconds", "2", "--stems"])
    assert status == 0
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert len(written) == len(STYLES) and "10 clips" in capsys.readouterr().out
    truths = [load_truth(p) for p in tmp_path.glob("*.json")]
    assert {t.kit for t in truths} == {"synth:4", "synth:5"}
    assert len(list(tmp_path.glob("*.drums.wav"))) == sum(t.mix == "full" for t in truths)
    assert cli.main(["export", "--split", "unseen", "--out", str(tmp_path),
                     "--clips-per-style", "1", "--seconds", "2"]) == 1  # no silent overwrite
