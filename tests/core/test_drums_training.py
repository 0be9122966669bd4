"""Pieces of the drum-model training and evaluation: targets, crops, kit derivation, metrics,
calibration helpers and the training config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.analysis.drum_model.calibrate import VELOCITY_BANDS, fit_velocity_map
from core.analysis.drum_model.dataset import CropSampler, Example, frame_targets
from core.analysis.drum_model.features import N_BANDS, SILENCE_VALUE
from core.analysis.drum_model.kit_augment import KitAugmentation, augment_kit, band_limit, mix_kits
from core.analysis.drum_model.metrics import GROUPS_3, GROUPS_5, Counts, GroupScores, merged_times
from core.analysis.drum_model.train import config_hash, load_config
from core.analysis.drum_model.weights import ModelMetadata
from core.devset import synth_kit
from core.errors import InvalidParameter
from core.results import DrumHit
from core.vocabulary import DRUM_INSTRUMENTS

ROOT = Path(__file__).resolve().parents[2]


def example(frames: int = 300) -> Example:
    return Example("x", "drums", np.zeros((frames, N_BANDS), np.float32),
                   np.array([0.1, 0.5, 0.5, 2.995]), np.array([0, 0, 4, 1]),
                   np.array([100, 90, 80, 70]))


def test_frame_targets_mark_hits_and_neighbours() -> None:
    targets = frame_targets(example(), widening=0.5)
    assert targets.shape == (300, len(DRUM_INSTRUMENTS))
    assert targets[10, 0] == 1.0 and targets[9, 0] == 0.5 and targets[11, 0] == 0.5
    assert targets[50, 0] == 1.0 and targets[50, 4] == 1.0  # simultaneous kick + hat
    assert targets[299, 1] == 0.5 and targets[298, 1] == 0.0  # frame 300 is past the end
    assert targets.sum() == pytest.approx(3 * 1.0 + 7 * 0.5)  # the last hit's frame is out


def test_crop_sampler_shapes_padding_and_gain() -> None:
    sampler = CropSampler([example(50)], crop=40, context=10, gain_db=(0.0, 0.0), seed=1)
    x, y = sampler.batch(8)
    assert x.shape == (8, 60, N_BANDS) and y.shape == (8, 40, len(DRUM_INSTRUMENTS))
    assert x.min() >= SILENCE_VALUE
    assert sampler.positive_rate()[0] == pytest.approx(1 / 50)  # frame 50 is out of range


def test_eq_augmentation_stays_within_its_range() -> None:
    ex = Example("x", "drums", np.zeros((100, N_BANDS), np.float32), np.zeros(0),
                 np.zeros(0, np.int64), np.zeros(0, np.int64))
    sampler = CropSampler([ex], crop=50, context=10, gain_db=(0.0, 0.0), eq_db=6.0, seed=2)
    x, _ = sampler.batch(16)
    inside = x[x > SILENCE_VALUE + 1.0]  # leave out the silence padding beyond the clip
    assert np.abs(inside).max() * 20.0 <= 6.0 + 1e-4 and np.abs(inside).max() > 0


def test_derived_kits_come_from_train_kits_only() -> None:
    train = [synth_kit(0), synth_kit(1)]
    mixed = mix_kits("synth:0", train, seed=3)
    assert set(mixed.instruments) == set(DRUM_INSTRUMENTS)
    augmented = augment_kit(mixed, seed=3)
    assert augmented.name == "synth:0" and set(augmented.instruments) == set(mixed.instruments)
    assert any(len(a) != len(b) or not np.allclose(a, b)
               for i in augmented.instruments
               for a, b in zip(augmented.sounds[i], mixed.sounds[i], strict=True))
    assert augment_kit(mixed, seed=3).sounds["kick"][0].tobytes() == \
        augmented.sounds["kick"][0].tobytes()  # deterministic
    with pytest.raises(InvalidParameter, match="unseen"):
        augment_kit(synth_kit(4), seed=0)
    with pytest.raises(InvalidParameter, match="unseen"):
        mix_kits("synth:0", [synth_kit(0), synth_kit(5)], seed=0)


def _band_db(x: np.ndarray, lo: float, hi: float, rate: int = 44100) -> float:
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    return float(10.0 * np.log10(power[(freqs >= lo) & (freqs < hi)].sum() + 1e-20))


def test_band_limit_cuts_above_its_cutoff_and_keeps_the_rest() -> None:
    noise = np.random.default_rng(0).standard_normal(44100)
    out = band_limit(noise, 44100, 6000.0)
    assert abs(_band_db(out, 200, 3000) - _band_db(noise, 200, 3000)) < 0.5
    assert _band_db(out, 9000, 20000) - _band_db(noise, 9000, 20000) < -30.0
    assert np.abs(out[:1]).max() <= np.abs(noise[:1]).max()  # causal: nothing before the input


def test_band_limited_kits_lose_their_top_octaves() -> None:
    kit = synth_kit(0)
    narrow = KitAugmentation(pitch_probability=0.0, eq_probability=0.0, decay_probability=0.0,
                             band_limit_probability=1.0, band_limit_hz=(7000.0, 7000.0))
    plain = augment_kit(kit, seed=1, strength=KitAugmentation(
        pitch_probability=0.0, eq_probability=0.0, decay_probability=0.0))
    limited = augment_kit(kit, seed=1, strength=narrow)
    hat_plain = plain.sounds["hihat_closed"][0]
    hat_limited = limited.sounds["hihat_closed"][0]
    # One-shots are renormalised afterwards, so compare each top band with its own mids.
    def top_vs_mid(x: np.ndarray) -> float:
        return _band_db(x, 11000, 20000) - _band_db(x, 3000, 5000)

    assert top_vs_mid(hat_limited) < top_vs_mid(hat_plain) - 25.0


def test_metrics_merge_groups_and_count() -> None:
    assert list(merged_times([0.5, 0.51, 0.2, 0.545])) == [0.2, 0.5, 0.545]
    ref = [DrumHit(1.0, "snare", 100, 1.0), DrumHit(1.0, "clap", 100, 1.0),
           DrumHit(2.0, "kick", 100, 1.0)]
    est = [DrumHit(1.02, "clap", 90, 0.9), DrumHit(2.04, "kick", 90, 0.9),
           DrumHit(3.0, "hihat_closed", 90, 0.9)]
    scores = GroupScores(GROUPS_3)
    scores.add(ref, est)
    summary = scores.summary()
    assert summary["classes"]["snare"]["f"] == 1.0  # snare + clap is one event; clap found it
    assert summary["classes"]["kick"]["f"] == 1.0
    assert summary["classes"]["hihat"]["p"] == 0.0
    assert summary["mean_f"] == 1.0  # hi-hat has no reference events: left out of the mean
    assert summary["micro_f"] == pytest.approx(2 * 2 / (2 * 2 + 1))
    assert set(GROUPS_5) == {"kick", "snare", "hihat", "tom", "cymbal"}
    counts = Counts()
    counts.add(np.array([1.0]), np.array([1.06]))
    assert (counts.tp, counts.fp, counts.fn) == (0, 1, 1)


def test_velocity_fit_recovers_a_known_law() -> None:
    """Hits whose band level follows 34 dB per decade of velocity, plus per-clip offsets."""
    rng = np.random.default_rng(0)
    meta = ModelMetadata(velocity_bands=VELOCITY_BANDS, velocity_map=((1 / 34, 2.1),) * 13,
                         thresholds=(0.5,) * 13)
    examples, activations = [], []
    for clip in range(6):
        n = 400
        times = 0.2 + 0.25 * np.arange(12)
        velocity = rng.choice([40, 70, 100, 127], size=12)
        features = np.full((n, N_BANDS), SILENCE_VALUE, np.float32)
        act = np.zeros((n, 13), np.float32)
        offset = rng.uniform(-10, 10)
        for t, v in zip(times, velocity, strict=True):
            f = round(t * 100)
            level = -20.0 + offset + 34.0 * np.log10(v / 127.0)
            features[f:f + 3, :5] = (level - 5.0 + 40.0) / 20.0  # bands 0–4: 30–240 Hz
            act[f - 1:f + 2, 0] = (0.5, 0.9, 0.5)
        examples.append(Example(f"c{clip}", "drums", features, times,
                                np.zeros(12, np.int64), velocity))
        activations.append(act)
    slope, _ = fit_velocity_map(meta, examples, activations)[0]
    assert 1 / slope == pytest.approx(34.0, rel=0.1)


def test_training_config_is_complete_and_hash_is_stable() -> None:
    config = load_config(ROOT / "configs" / "drums_train.yaml")
    assert config_hash(config) == config_hash(dict(reversed(list(config.items()))))
    assert config["model"]["channels"] and config["train"]["epochs"] >= 1
