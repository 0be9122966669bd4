"""Place drum one-shots on a stereo bus: levels, velocity gain, panning, hi-hat choke.

Velocity → gain: ``gain_db = 34 · log10(velocity / 127)``, i.e. ``gain = (velocity/127)^1.7``
(velocity 127 → 0 dB, 100 → −3.5 dB, 64 → −10.1 dB, 40 → −17.1 dB). Each instrument also has
a mix level (:data:`LEVEL_DB`, varied by ±1.5 dB per clip) that applies to a one-shot whose
RMS over its first 50 ms is −10 dB re its peak; louder or quieter one-shots are corrected by up
to ±12 dB, so kits with dense or thin sounds mix alike. Each instrument has a small pan position
(:data:`PAN`, varied by ±0.1 per clip; constant-power). An open hi-hat is choked (faded out over
10 ms) by the next closed or pedal hi-hat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import soxr

from core.devset._dsp import db_to_gain, finish_one_shot, pan_gains
from core.devset.kits import Kit

LEVEL_DB = MappingProxyType({
    "kick": 0.0, "snare": -2.0, "clap": -3.0, "rim": -8.0, "hihat_closed": -10.0,
    "hihat_pedal": -12.0, "hihat_open": -10.0, "ride": -12.0, "crash": -8.0, "tom_low": -3.0,
    "tom_mid": -3.0, "tom_high": -3.0, "percussion": -11.0,
})
"""Mix level (dB) of each instrument's peak-normalised one-shots at velocity 127."""

PAN = MappingProxyType({
    "kick": 0.0, "snare": 0.0, "clap": 0.05, "rim": -0.15, "hihat_closed": 0.25,
    "hihat_pedal": 0.25, "hihat_open": 0.25, "ride": -0.3, "crash": -0.2, "tom_low": -0.3,
    "tom_mid": 0.0, "tom_high": 0.3, "percussion": 0.35,
})
"""Pan position (−1 left … +1 right) of each instrument."""

_REF_DB = -10.0  # head RMS (dB re peak) a LEVEL_DB level refers to
_HEAD = 0.05  # s of the one-shot the RMS is measured over
_MAX_CORRECTION = 12.0  # dB
_CHOKERS = frozenset({"hihat_closed", "hihat_pedal"})
_CHOKE_FADE = 0.01  # s


@dataclass(frozen=True)
class PlacedHit:
    """A hit to render: start ``sample``, ``instrument``, MIDI ``velocity``."""

    sample: int
    instrument: str
    velocity: int


def velocity_gain(velocity: int) -> float:
    """Amplitude factor of MIDI ``velocity``: ``(velocity / 127) ** 1.7``."""
    return float((max(1, min(127, velocity)) / 127.0) ** 1.7)


def pitch_shift(x: np.ndarray, semitones: float, sample_rate: int) -> np.ndarray:
    """Shift a one-shot by ``semitones`` by resampling (shorter and higher when positive)."""
    if semitones == 0:
        return x
    factor = 2.0 ** (semitones / 12.0)
    shifted = soxr.resample(x, sample_rate * factor, sample_rate)
    return finish_one_shot(shifted, sample_rate)


def _level_correction(shot: np.ndarray, sample_rate: int) -> float:
    """dB to add so that the one-shot's head RMS (first 50 ms) sits at −10 dB re peak."""
    head = shot[: max(1, round(_HEAD * sample_rate))].astype(np.float64)
    level = 10.0 * np.log10(max(float(np.mean(head ** 2)), 1e-12))
    return float(np.clip(_REF_DB - level, -_MAX_CORRECTION, _MAX_CORRECTION))


def _choke_ends(hits: Sequence[PlacedHit]) -> dict[int, int]:
    """Index of each open hi-hat → sample where the next closed/pedal hi-hat chokes it."""
    ends, pending = {}, []
    for k, hit in enumerate(hits):
        if hit.instrument in _CHOKERS:
            for j in pending:
                if hits[j].sample < hit.sample:
                    ends[j] = hit.sample
            pending = [j for j in pending if j not in ends]
        elif hit.instrument == "hihat_open":
            pending.append(k)
    return ends


def render_drums(hits: Sequence[PlacedHit], kit: Kit, n_frames: int, rng: np.random.Generator,
                 *, pitch_semitones: float = 0.0) -> np.ndarray:
    """Mix ``hits`` (sorted by sample) with ``kit`` into a ``[2, n_frames]`` float32 bus.

    One variant per instrument is drawn from ``rng`` for the whole clip; each hit uses that
    variant's velocity layer nearest to its velocity. A hit's one-shot starts exactly at its
    ``sample`` (one-shots have no leading silence).
    """
    used = sorted({h.instrument for h in hits})
    variant = {i: kit.variants(i)[int(rng.integers(len(kit.variants(i))))] for i in used}
    level = {i: LEVEL_DB[i] + rng.uniform(-1.5, 1.5)
             + _level_correction(kit.pick(i, variant[i], 127), kit.sample_rate) for i in used}
    pans = {i: pan_gains(PAN[i] + rng.uniform(-0.1, 0.1)) for i in used}
    shots: dict[tuple[str, int], np.ndarray] = {}
    chokes = _choke_ends(hits)
    fade = round(_CHOKE_FADE * kit.sample_rate)
    out = np.zeros((2, n_frames), np.float32)
    for k, hit in enumerate(hits):
        shot = kit.pick(hit.instrument, variant[hit.instrument], hit.velocity)
        key = (hit.instrument, id(shot))
        if key not in shots:
            shots[key] = pitch_shift(shot, pitch_semitones, kit.sample_rate)
        x = shots[key]
        if k in chokes and chokes[k] - hit.sample + fade < len(x):
            x = x[: chokes[k] - hit.sample + fade].copy()
            x[-fade:] *= np.linspace(1.0, 0.0, fade)
        end = min(n_frames, hit.sample + len(x))
        if end <= hit.sample:
            continue
        g = db_to_gain(level[hit.instrument]) * velocity_gain(hit.velocity)
        left, right = pans[hit.instrument]
        seg = x[: end - hit.sample]
        out[0, hit.sample:end] += (g * left) * seg
        out[1, hit.sample:end] += (g * right) * seg
    return out
