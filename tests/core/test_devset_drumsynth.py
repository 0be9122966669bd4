"""DrumSynth presets: classification by name, rendering by our own synthesis, the extra train
kits (drumsynth and FluidR3 variant programs) and the training config that names them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.analysis.drum_model.train import train_kit_pool
from core.devset import drumsynth, extra_kit_names, is_unseen, kit_names, load_kit
from core.devset import soundfont as sf_module
from core.devset.drumsynth import classify, read_preset, render_preset
from core.errors import ConfigError, InvalidParameter
from core.vocabulary import DRUM_INSTRUMENTS

RATE = 44100
needs_presets = pytest.mark.skipif(not any(drumsynth.DRUMSYNTH_DIR.glob("*/*.ds")),
                                   reason="needs the LMMS DrumSynth presets (Debian: lmms-common)")
needs_fluidr3 = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not sf_module.SOUNDFONTS["fluidr3"].is_file(),
    reason="needs fluidsynth and FluidR3_GM.sf2 (Debian: fluidsynth fluid-soundfont-gm)")


def _preset(tmp_path: Path, text: str, name: str = "test.ds") -> drumsynth.Preset:
    path = tmp_path / name
    path.write_text("[General]\nVersion=DrumSynth v2.0\n" + text, encoding="latin-1")
    return read_preset(path)


def _peak_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size), 1 << 16))
    return float(np.fft.rfftfreq(1 << 16, 1 / RATE)[np.argmax(spectrum)])


def _centroid(x: np.ndarray) -> float:
    power = np.abs(np.fft.rfft(x[:8192], 8192)) ** 2
    return float((power * np.fft.rfftfreq(8192, 1 / RATE)).sum() / power.sum())


@pytest.mark.parametrize(("folder", "name", "expected"), [
    ("tr808", "Hat_o.ds", "hihat_open"), ("tr909", "Hat-c2.ds", "hihat_closed"),
    ("tr909", "Kick_2.ds", "kick"), ("electro", "K_Linn.ds", "kick"),
    ("electro", "S_8bit.ds", "snare"), ("linn", "linn_stk.ds", "rim"),
    ("linn", "linn_tom3.ds", "tom"), ("linn", "linn_cga1.ds", "percussion"),
    ("misc_hats", "pedal_hh.ds", "hihat_pedal"), ("tr808", "Handclap.ds", "clap"),
    ("acoustic", "Ride2.ds", "ride"), ("tr606", "TR606_Cymbal.ds", "crash"),
    # two instruments named, a melodic folder, a name that is not a drum: left out
    ("misc", "clappy_snare.ds", None), ("r_n_b", "snare&hat.ds", None),
    ("misc", "sticky_q_kick.ds", "kick"),
    ("misc", "tomita_clip.ds", None), ("instrument", "E_Piano.ds", None),
    ("jorgensohn", "hihatopclo.ds", None), ("jorgensohn", "vibra.ds", None),
])
def test_classify_by_name(folder: str, name: str, expected: str | None) -> None:
    assert classify(folder, name) == expected


def test_tone_section_pitch_tuning_and_length(tmp_path: Path) -> None:
    tone = ("[Tone]\nOn=1\nLevel=128\nF1=100\nF2=100\nDroop=0\nPhase=0\n"
            "Envelope=0,100 11025,100 22050,0\n")
    x = render_preset(_preset(tmp_path, tone))
    assert _peak_hz(x) == pytest.approx(100.0, abs=2.0)
    assert x.size / RATE == pytest.approx(0.5, abs=0.05)
    assert _peak_hz(render_preset(_preset(tmp_path, "Tuning=12\n" + tone))) == pytest.approx(
        200.0, abs=3.0)
    stretched = render_preset(_preset(tmp_path, "Stretch=200\n" + tone))
    assert stretched.size / RATE == pytest.approx(1.0, abs=0.08)


def test_pitch_sweep_falls_from_f1_to_f2(tmp_path: Path) -> None:
    x = render_preset(_preset(tmp_path, "[Tone]\nOn=1\nLevel=128\nF1=400\nF2=50\nDroop=60\n"
                                        "Envelope=0,100 30000,100 44100,0\n"))
    head, tail = x[:1024], x[RATE // 2: RATE // 2 + 8192]
    assert _peak_hz(head) > 150.0 and _peak_hz(tail) == pytest.approx(50.0, abs=4.0)


def test_noise_band_sits_at_its_centre(tmp_path: Path) -> None:
    x = render_preset(_preset(tmp_path, "[NoiseBand]\nOn=1\nLevel=128\nF=6000\ndF=20\n"
                                        "Envelope=0,100 8000,100 12000,0\n"))
    assert 5000.0 < _centroid(x) < 7000.0


def test_highpass_filter_removes_the_low_end(tmp_path: Path) -> None:
    body = ("[Tone]\nOn=1\nLevel=128\nF1=80\nF2=80\nEnvelope=0,100 8000,100 9000,0\n"
            "[NoiseBand]\nOn=1\nLevel=128\nF=8000\ndF=30\nEnvelope=0,100 8000,100 9000,0\n")
    plain = render_preset(_preset(tmp_path, body))
    filtered = render_preset(_preset(tmp_path, "Filter=1\nHighPass=1\nResonance=0\n"
                                                "FilterEnv=0,60 442000,60\n" + body))
    assert _peak_hz(plain) == pytest.approx(80.0, abs=3.0)
    assert _centroid(filtered) > 2.0 * _centroid(plain)


def test_not_a_preset_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ds"
    bad.write_bytes(b"\x00\x01 not ini")
    with pytest.raises(ValueError, match=r"broken\.ds: not a DrumSynth preset"):
        read_preset(bad)
    silent = _preset(tmp_path, "[Tone]\nOn=0\n")
    assert render_preset(silent).size == 1


@needs_presets
def test_drumsynth_kits_are_drums_and_deterministic() -> None:
    kits = [load_kit(f"drumsynth:{n}") for n in range(4)]
    for kit in kits:
        assert set(kit.instruments) == set(DRUM_INSTRUMENTS) and not is_unseen(kit.name)
        assert _centroid(kit.sounds["kick"][0]) < 1500.0 < _centroid(kit.sounds["hihat_closed"][0])
    again = load_kit("drumsynth:2")
    assert all(np.array_equal(a, b) for i in DRUM_INSTRUMENTS
               for a, b in zip(again.sounds[i], kits[2].sounds[i], strict=True))
    kicks = {kit.sounds["kick"][0].tobytes() for kit in kits}
    assert len(kicks) >= 3  # the variants draw different presets
    with pytest.raises(InvalidParameter):
        load_kit("drumsynth:-1")


@needs_presets
def test_extra_kits_are_training_only_and_checked_in_the_config() -> None:
    extra = extra_kit_names()
    assert "drumsynth:0" in extra and not set(extra) & set(kit_names("all"))
    assert train_kit_pool({}) is None
    pool = train_kit_pool({"extra_kits": ["drumsynth:1"]})
    assert pool is not None and pool[-1] == "drumsynth:1" and set(kit_names("train")) < set(pool)
    with pytest.raises(ConfigError, match="timgm:room"):
        train_kit_pool({"extra_kits": ["timgm:room"]})


@needs_fluidr3
def test_fluidr3_variant_program_has_its_own_kick() -> None:
    variant, standard = load_kit("fluidr3:standard3"), load_kit("fluidr3:standard")
    assert variant.source.endswith("128/3") and not is_unseen(variant.name)
    assert not np.array_equal(variant.pick("kick", 0, 120)[:4096],
                              standard.pick("kick", 0, 120)[:4096])
