"""Development-set drum kits: synthesis, SoundFont rendering and cache, LMMS kits, the split."""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import time

import mido
import numpy as np
import pytest

from core.devset import ClipSpec, development_set, render_clip
from core.devset import lmms as lmms_module
from core.devset import soundfont as sf_module
from core.devset.kits import (
    Kit,
    is_unseen,
    kit_names,
    lmms_kits,
    load_kit,
    soundfont_kits,
    synth_kit,
    unseen_kits,
)
from core.errors import InvalidParameter
from core.vocabulary import DRUM_INSTRUMENTS

TIMGM = sf_module.SOUNDFONTS["timgm"]
needs_timgm = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not TIMGM.is_file(),
    reason="needs fluidsynth and TimGM6mb.sf2 (Debian: fluidsynth timgm6mb-soundfont)")
needs_lmms = pytest.mark.skipif(not any(lmms_module.LMMS_DRUMS.glob("*.ogg")),
                                reason="needs the LMMS drum samples (Debian: lmms-common)")


def _digests(kits: list[Kit]) -> set[str]:
    return {hashlib.sha1(x.tobytes()).hexdigest()
            for kit in kits for shots in kit.sounds.values() for x in shots}


def _check_one_shots(kit: Kit) -> None:
    assert set(kit.instruments) == set(DRUM_INSTRUMENTS)
    for instrument, shots in kit.sounds.items():
        for x in shots:
            assert x.dtype == np.float32 and x.ndim == 1 and len(x) > 100, instrument
            assert np.max(np.abs(x)) == pytest.approx(1.0)
            assert abs(x[0]) >= 0.0099, f"{kit.name} {instrument} starts silent"  # −40 dB


def test_synth_kit_has_every_instrument_in_three_velocity_layers():
    kit = synth_kit(0)
    _check_one_shots(kit)
    assert kit.name == "synth:0" and kit.sample_rate == 44100
    for instrument in DRUM_INSTRUMENTS:
        assert kit.variants(instrument) == (0,)
        soft, hard = kit.pick(instrument, 0, 30), kit.pick(instrument, 0, 127)
        assert soft is kit.sounds[instrument][0] and hard is kit.sounds[instrument][2]


def test_synth_variants_are_deterministic_and_distinct():
    kits = [synth_kit(v) for v in range(6)]
    assert all(np.array_equal(a, b) for a, b in
               zip(synth_kit(3).sounds["kick"], kits[3].sounds["kick"], strict=True))
    for instrument in ("kick", "snare", "hihat_closed", "ride", "tom_mid"):
        shots = [k.sounds[instrument][1] for k in kits]
        for i in range(6):
            for j in range(i + 1, 6):
                n = min(len(shots[i]), len(shots[j]))
                assert not np.allclose(shots[i][:n], shots[j][:n], atol=1e-3), (instrument, i, j)
    with pytest.raises(InvalidParameter):
        synth_kit(-1)


def test_split_is_disjoint_and_dev_sets_respect_it():
    train, unseen = set(kit_names("train")), set(kit_names("unseen"))
    assert not train & unseen and train | unseen == set(kit_names("all"))
    assert {"synth:4", "synth:5"} <= unseen and {"synth:0", "synth:3"} <= train
    assert all(is_unseen(n) for n in unseen) and not any(is_unseen(n) for n in train)
    assert is_unseen("timgm:808") and not is_unseen("fluidr3:808") and is_unseen("lmms:c")
    for split, expect in (("train", False), ("dev", False), ("unseen", True)):
        assert {is_unseen(s.kit) for s in development_set(split)} == {expect}
    assert development_set("dev") != development_set("train")


def test_unseen_kits_work_without_soundfonts_or_samples(monkeypatch, tmp_path):
    monkeypatch.setattr(sf_module, "SOUNDFONTS", {"timgm": tmp_path / "missing.sf2"})
    monkeypatch.setattr(lmms_module, "LMMS_DRUMS", tmp_path / "no-lmms")
    assert [k.name for k in unseen_kits(tmp_path)] == ["synth:4", "synth:5"]
    assert kit_names("unseen", tmp_path) == ("synth:4", "synth:5")
    specs = development_set("unseen", clips_per_style=1)
    assert {s.kit for s in specs} == {"synth:4", "synth:5"}


def test_unknown_kit_names_are_refused():
    with pytest.raises(InvalidParameter, match="not installed"):
        load_kit("casio:sk1")


@needs_lmms
def test_lmms_kits_are_complete_and_the_held_out_one_shares_no_sample():
    kits = {k.name: k for k in lmms_kits()}
    assert set(kits) == {"lmms:a", "lmms:b", "lmms:c"}
    for kit in kits.values():
        _check_one_shots(kit)
        assert kit.source.startswith("lmms")
    assert not _digests([kits["lmms:c"]]) & _digests([kits["lmms:a"], kits["lmms:b"]])


def test_no_unseen_one_shot_is_used_by_a_training_kit():
    train = [synth_kit(v) for v in range(4)]
    unseen = [synth_kit(4), synth_kit(5)]
    if any(lmms_module.LMMS_DRUMS.glob("*.ogg")):
        for kit in lmms_kits():
            (unseen if is_unseen(kit.name) else train).append(kit)
    assert not _digests(train) & _digests(unseen)


def test_soundfont_presets_and_midi_schedule():
    programs = sf_module.drum_programs(TIMGM) if TIMGM.is_file() else frozenset()
    if TIMGM.is_file():
        assert set(sf_module.KIT_PROGRAMS) <= programs
    assert sf_module.drum_programs(__file__) == frozenset()  # not a SoundFont
    midi = mido.MidiFile(file=io.BytesIO(sf_module.build_midi(25)))
    messages = [m for m in midi if not m.is_meta]
    assert messages[0].type == "program_change" and messages[0].program == 25
    notes = [m for m in messages if m.type == "note_on"]
    assert {m.channel for m in messages} == {9}
    assert len(notes) == len(sf_module.schedule()) == 25 * 3
    assert {m.velocity for m in notes} == set(sf_module.VELOCITIES)


def test_missing_fluidsynth_gives_fewer_kits_without_raising(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(sf_module.shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING):
        kits = soundfont_kits(tmp_path, fonts=["timgm", "nosuchfont"], programs=[0])
    assert kits == []
    assert "unavailable" in caplog.text or "missing" in caplog.text


@needs_timgm
def test_soundfont_kits_render_once_then_load_from_the_cache(tmp_path):
    started = time.perf_counter()
    kits = soundfont_kits(tmp_path, fonts=["timgm"], programs=[0, 25])
    first = time.perf_counter() - started
    assert [k.name for k in kits] == ["timgm:standard", "timgm:808"]
    assert kits[0].source == "soundfont:TimGM6mb.sf2:128/0"
    for kit in kits:
        _check_one_shots(kit)
        assert {v for _, v in kit.layers["snare"]} == set(sf_module.VELOCITIES)
    assert len(kits[0].variants("percussion")) == 5
    kick_a, kick_b = (k.pick("kick", 1, 100) for k in kits)
    n = min(len(kick_a), len(kick_b))
    assert not np.allclose(kick_a[:n], kick_b[:n], atol=0.05)
    assert len(list(tmp_path.glob("timgm-p*.npz"))) == 2
    started = time.perf_counter()
    again = soundfont_kits(tmp_path, fonts=["timgm"], programs=[0, 25])
    assert time.perf_counter() - started < max(0.5, first / 2)
    np.testing.assert_array_equal(again[1].sounds["clap"][0], kits[1].sounds["clap"][0])

    clip = render_clip(ClipSpec("dnb", 174, 2, "timgm:standard", instruments=("kick", "snare"),
                                fills=False, lead_in=0.2), {k.name: k for k in kits})
    slope = np.abs(np.diff(clip.drums.sum(axis=0), prepend=0.0))
    for hit in clip.truth.hits:
        n = round(hit.time * 44100)
        assert slope[n:n + 44].max() > 3 * slope[n - 88:n].max(), hit
