"""Our own drum synthesis: 808/909-flavoured one-shots for all 13 vocabulary instruments.

Each variant (an integer ≥ 0) draws its pitches, decays and filter settings from a generator
seeded by the variant, so ``synth_sounds(3)`` is the same on every machine. Every instrument
is rendered in three velocity layers (MIDI velocity 40, 80, 120): harder hits are brighter
(more click, noise and high-frequency content), as on a real drum machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.devset._dsp import butter, filt, finish_one_shot, noise, phase_of, square, times

LAYER_VELOCITIES: tuple[int, ...] = (40, 80, 120)
"""MIDI velocities of the three synthesized layers."""

_HAT_RATIOS = np.array([1.0, 1.4471, 1.6170, 1.9265, 2.5028, 2.6637])
_RIDE_RATIOS = np.array([1.0, 1.3333, 1.5903, 2.1347, 2.6514, 3.0124, 3.5671, 4.1199])


@dataclass(frozen=True)
class SynthParams:
    """The sound of one synth-kit variant. Frequencies in Hz, times in seconds."""

    kick_freq: float
    kick_sweep_from: float
    kick_sweep_time: float
    kick_decay: float
    kick_drive: float
    snare_tone: float
    snare_decay: float
    snare_band: float
    snare_noise: float
    clap_bursts: int
    clap_spacing: float
    clap_decay: float
    clap_band: float
    rim_freq: float
    hat_base: float
    hat_highpass: float
    hat_closed: float
    hat_open: float
    ride_base: float
    ride_decay: float
    crash_decay: float
    tom_freqs: tuple[float, float, float]
    tom_decay: float
    perc_kind: str
    perc_freq: float

    @classmethod
    def for_variant(cls, variant: int) -> SynthParams:
        """Deterministic parameters of ``variant`` (any integer ≥ 0)."""
        r = np.random.default_rng([int(variant), 0x5EED])
        u = r.uniform
        tom = u(80.0, 105.0)
        return cls(
            kick_freq=u(42, 60), kick_sweep_from=u(140, 320), kick_sweep_time=u(0.015, 0.05),
            kick_decay=u(0.05, 0.2), kick_drive=u(1.0, 3.0),
            snare_tone=u(160, 240), snare_decay=u(0.035, 0.09), snare_band=u(2500, 6000),
            snare_noise=u(0.5, 0.85),
            clap_bursts=int(r.integers(3, 5)), clap_spacing=u(0.007, 0.013),
            clap_decay=u(0.04, 0.1), clap_band=u(900, 2200),
            rim_freq=u(1400, 2200),
            hat_base=u(290, 460), hat_highpass=u(3500, 7000), hat_closed=u(0.03, 0.07),
            hat_open=u(0.15, 0.4),
            ride_base=u(420, 620), ride_decay=u(0.4, 0.9), crash_decay=u(0.6, 1.2),
            tom_freqs=(tom, tom * u(1.35, 1.55), tom * u(1.9, 2.3)), tom_decay=u(0.1, 0.22),
            perc_kind=("cowbell", "claves", "shaker")[int(variant) % 3],
            perc_freq=u(520, 620),
        )


def _env(t: np.ndarray, decay: float) -> np.ndarray:
    return np.exp(-t / decay)


def _kick(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(min(1.2, p.kick_decay * 5), sr)
    f = p.kick_freq + (p.kick_sweep_from - p.kick_freq) * _env(t, p.kick_sweep_time)
    body = np.sin(2 * np.pi * phase_of(f, len(t), sr)) * _env(t, p.kick_decay)
    click = filt(butter("highpass", 1500, sr), noise(len(t), r)) * _env(t, 0.002)
    x = body + (0.2 + 0.6 * b) * click
    drive = p.kick_drive * (0.6 + 0.6 * b)
    return np.tanh(drive * x) / np.tanh(drive)


def _snare(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(p.snare_decay * 5, sr)
    tone = (np.sin(2 * np.pi * p.snare_tone * t) + 0.5 * np.sin(2 * np.pi * 1.6 * p.snare_tone * t))
    band = (p.snare_band * (0.5 + 0.5 * b) * 0.35, min(16000.0, p.snare_band * (1.2 + b)))
    rattle = filt(butter("bandpass", band, sr), noise(len(t), r)) * _env(t, p.snare_decay)
    return (1 - p.snare_noise) * tone * _env(t, 0.06) + p.snare_noise * 2.0 * rattle


def _clap(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(p.clap_spacing * p.clap_bursts + p.clap_decay * 5, sr)
    env = np.zeros_like(t)
    for k in range(p.clap_bursts):
        start = k * p.clap_spacing
        on = t >= start
        decay = p.clap_decay if k == p.clap_bursts - 1 else 0.004
        env[on] += _env(t[on] - start, decay) * (1.0 if k == 0 else 0.8)
    band = (p.clap_band * 0.7, p.clap_band * (2.0 + 1.5 * b))
    return filt(butter("bandpass", band, sr), noise(len(t), r)) * env


def _rim(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(0.12, sr)
    tone = np.sin(2 * np.pi * p.rim_freq * t) + 0.6 * np.sin(2 * np.pi * p.rim_freq * 0.31 * t)
    click = noise(len(t), r) * _env(t, 0.001) * (0.3 + 0.7 * b)
    return filt(butter("highpass", 350, sr), tone * _env(t, 0.018) + click)


def _metal(base: float, ratios: np.ndarray, t: np.ndarray, sr: int) -> np.ndarray:
    return sum(square(phase_of(base * k, len(t), sr)) for k in ratios) / len(ratios)


def _hat(p: SynthParams, sr: int, b: float, r: np.random.Generator, decay: float,
         band_scale: float = 1.0) -> np.ndarray:
    t = times(min(1.0, decay * 6), sr)
    src = 0.7 * _metal(p.hat_base, _HAT_RATIOS, t, sr) + 0.5 * noise(len(t), r)
    hp = p.hat_highpass * band_scale * (0.8 + 0.3 * b)
    return filt(butter("highpass", hp, sr, 4), src) * _env(t, decay)


def _hat_closed(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    return _hat(p, sr, b, r, p.hat_closed)


def _hat_pedal(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    return _hat(p, sr, b, r, p.hat_closed * 0.6, band_scale=0.6)


def _hat_open(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    return _hat(p, sr, b, r, p.hat_open * (0.8 + 0.4 * b))


def _ride(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(min(2.5, p.ride_decay * 3), sr)
    metal = filt(butter("highpass", 3000, sr, 4), _metal(p.ride_base, _RIDE_RATIOS, t, sr))
    bell = np.sin(2 * np.pi * p.ride_base * 5.1 * t) * _env(t, 0.15) * 0.25
    tick = filt(butter("highpass", 5000, sr), noise(len(t), r)) * _env(t, 0.01) * (0.2 + 0.8 * b)
    ping = 0.12 * _env(t, p.ride_decay) + 0.88 * _env(t, 0.025)  # clear attack, quiet wash
    return metal * ping + bell + tick


def _crash(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    t = times(min(2.5, p.crash_decay * 3), sr)
    src = 0.6 * noise(len(t), r) + 0.6 * _metal(p.hat_base * 0.8, _RIDE_RATIOS, t, sr)
    body = filt(butter("highpass", 2500 + 2000 * b, sr, 4), src)
    return body * (_env(t, p.crash_decay) + 1.5 * _env(t, 0.04))


def _tom(p: SynthParams, sr: int, b: float, r: np.random.Generator, which: int) -> np.ndarray:
    f0 = p.tom_freqs[which]
    t = times(p.tom_decay * 4, sr)
    f = f0 * (1.0 + (0.4 + 0.4 * b) * _env(t, 0.03))
    body = np.sin(2 * np.pi * phase_of(f, len(t), sr)) * _env(t, p.tom_decay)
    skin = filt(butter("bandpass", (f0 * 4, f0 * 20), sr), noise(len(t), r)) * _env(t, 0.015)
    return body + (0.15 + 0.35 * b) * skin


def _percussion(p: SynthParams, sr: int, b: float, r: np.random.Generator) -> np.ndarray:
    if p.perc_kind == "cowbell":
        t = times(0.5, sr)
        tone = square(phase_of(p.perc_freq, len(t), sr)) + square(
            phase_of(p.perc_freq * 1.48, len(t), sr))
        env = 0.6 * _env(t, 0.02) + 0.4 * _env(t, 0.12)
        return filt(butter("bandpass", (p.perc_freq * 0.9, 4000 + 2000 * b), sr), tone * env)
    if p.perc_kind == "claves":
        t = times(0.15, sr)
        return np.sin(2 * np.pi * p.perc_freq * 4.3 * t) * _env(t, 0.025)
    t = times(0.2, sr)
    env = (1.0 - _env(t, 0.002)) * _env(t, 0.035)
    return filt(butter("bandpass", (5000, 11000), sr), noise(len(t), r)) * env


_VOICES: dict[str, Callable[[SynthParams, int, float, np.random.Generator], np.ndarray]] = {
    "kick": _kick, "snare": _snare, "clap": _clap, "rim": _rim,
    "hihat_closed": _hat_closed, "hihat_pedal": _hat_pedal, "hihat_open": _hat_open,
    "ride": _ride, "crash": _crash,
    "tom_low": lambda p, sr, b, r: _tom(p, sr, b, r, 0),
    "tom_mid": lambda p, sr, b, r: _tom(p, sr, b, r, 1),
    "tom_high": lambda p, sr, b, r: _tom(p, sr, b, r, 2),
    "percussion": _percussion,
}


def synth_sounds(variant: int, sample_rate: int = 44100) -> dict[str, tuple[np.ndarray, ...]]:
    """One-shots of every instrument for synth ``variant``: three layers each.

    Returns
    -------
    dict
        Instrument → ``(layer_40, layer_80, layer_120)``, mono float32 peak-normalised arrays
        at ``sample_rate`` Hz, each starting at its onset (no leading silence).
    """
    params = SynthParams.for_variant(variant)
    out: dict[str, tuple[np.ndarray, ...]] = {}
    for index, (name, voice) in enumerate(_VOICES.items()):
        layers = []
        for velocity in LAYER_VELOCITIES:
            rng = np.random.default_rng([int(variant), index, velocity])
            raw = voice(params, sample_rate, velocity / 127.0, rng)
            layers.append(finish_one_shot(raw, sample_rate))
        out[name] = tuple(layers)
    return out
