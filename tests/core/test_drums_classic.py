"""The classic band-energy baseline on synthetic one-shots."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfilt

from core.analysis.drum_classic import ClassicDrumStream, ClassicParams
from core.analysis.drum_model.features import compute_features
from core.analysis.drums import DrumOptions, transcribe_drums

RATE = 44100


def kick(seconds: float = 0.45) -> np.ndarray:
    """Sine sweep 150 → 50 Hz with an exponential decay, faded out over its last 100 ms."""
    t = np.arange(int(seconds * RATE)) / RATE
    freq = 50 + 100 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    fade = np.clip((seconds - t) / 0.1, 0.0, 1.0)
    return np.sin(phase) * np.exp(-t / 0.12) * fade


def hat(seconds: float = 0.08, seed: int = 0) -> np.ndarray:
    """High-passed (7 kHz) noise burst with a fast decay."""
    t = np.arange(int(seconds * RATE)) / RATE
    noise = np.random.default_rng(seed).standard_normal(len(t))
    return sosfilt(butter(4, 7000, "highpass", fs=RATE, output="sos"), noise) * np.exp(-t / 0.015)


def loop(shot: np.ndarray, times: list[float], seconds: float = 4.0) -> np.ndarray:
    out = np.zeros(int(seconds * RATE))
    for t in times:
        k = int(t * RATE)
        out[k:k + len(shot)] += 0.5 * shot[: len(out) - k]
    return out.astype(np.float32)


TIMES = [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25]


def classic_hits(x: np.ndarray):
    stream = ClassicDrumStream()
    stream.feed(compute_features(x, RATE))
    return stream.finish()


def test_synthetic_kick_is_kick() -> None:
    hits = classic_hits(loop(kick(), TIMES))
    assert [h.instrument for h in hits] == ["kick"] * len(TIMES)
    assert np.allclose([h.time for h in hits], TIMES, atol=0.03)


def test_synthetic_hat_is_closed_hihat() -> None:
    hits = classic_hits(loop(hat(), TIMES))
    assert [h.instrument for h in hits] == ["hihat_closed"] * len(TIMES)


def test_silence_gives_no_hits() -> None:
    assert classic_hits(np.zeros(RATE * 3, np.float32)) == []
    result = transcribe_drums(np.zeros((2, RATE)), RATE, options=DrumOptions(backend="classic"))
    assert result.hits == ()


def test_louder_hits_get_higher_velocity() -> None:
    x = np.zeros(int(4 * RATE))
    for k, gain in enumerate([0.05, 0.15, 0.4, 0.9]):
        start = int((0.3 + k) * RATE)
        shot = kick()
        x[start:start + len(shot)] += gain * shot
    hits = classic_hits(x.astype(np.float32))
    velocities = [h.velocity for h in hits]
    assert len(velocities) == 4 and velocities == sorted(velocities)
    assert velocities[0] < velocities[-1]


def test_rule_constants_are_the_documented_ones() -> None:
    p = ClassicParams()
    assert (p.low_cutoff_hz, p.high_cutoff_hz, p.kick_ratio) == (150.0, 2000.0, 0.8)
