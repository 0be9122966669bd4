"""Timbre augmentation of TRAIN drum kits: new kits derived from the devset's train kits.

The devset has about twenty train kits, so a net trained on them alone learns those few
sounds. :func:`augment_kit` derives a variant of a kit by changing every instrument on its
own (all velocity layers and variants of one instrument alike):

* pitch: resampled by up to ±3 semitones (70 % of instruments; shorter and brighter when up);
* EQ: a random low shelf, high shelf and bell within ±6 dB (70 %; devset biquads);
* decay: an extra exponential decay with a 30–400 ms time constant (40 %), which imitates
  short, gated or sample-starved kits;
* room: a short reverb baked into the one-shot (0 % by default), as in kits sampled in a room;
* band limit: a steep (48 dB/octave) low-pass at 5–14 kHz (0 % by default), as in one-shots
  sampled at 11–32 kHz by old samplers or taken from lo-fi libraries.

The ranges and probabilities are :class:`KitAugmentation` fields (the defaults above), set from
the training configuration's ``data.kit_augmentation``.

:func:`mix_kits` builds a composite kit whose instruments come from different train kits, so
that the net cannot lean on which sounds usually go together.

Only train kits are ever passed in (both functions refuse unseen kits); no sound of an unseen
kit is involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType

import numpy as np

from core.devset import augment as devset_augment
from core.devset._dsp import butter, filt, finish_one_shot
from core.devset.drums import pitch_shift
from core.devset.kits import Kit, is_unseen
from core.errors import InvalidParameter
from core.vocabulary import DRUM_INSTRUMENTS


@dataclass(frozen=True)
class KitAugmentation:
    """Strength of :func:`augment_kit`: probabilities per instrument (0–1), pitch range
    (semitones), EQ range (dB), decay time constants (s), room RT60 (s) and wet level (dB),
    band-limit cutoffs (Hz, drawn log-uniformly)."""

    pitch_probability: float = 0.7
    semitones: float = 3.0
    eq_probability: float = 0.7
    eq_db: float = 6.0
    decay_probability: float = 0.4
    decay_s: tuple[float, float] = (0.03, 0.4)
    room_probability: float = 0.0
    room_rt60_s: tuple[float, float] = (0.2, 0.8)
    room_wet_db: tuple[float, float] = (-18.0, -6.0)
    band_limit_probability: float = 0.0
    band_limit_hz: tuple[float, float] = (5000.0, 14000.0)

    @classmethod
    def from_config(cls, data: Mapping[str, object] | None) -> KitAugmentation:
        """From a config mapping; unknown keys raise :class:`InvalidParameter`."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidParameter(f"kit_augmentation: unknown keys {unknown}; "
                                   f"known: {sorted(known)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)  # type: ignore[arg-type]

    def is_default(self) -> bool:
        """Whether these are the defaults (kept out of cache keys, so old caches stay valid)."""
        return self == KitAugmentation()


def _check_train(kit: Kit) -> None:
    if is_unseen(kit.name):
        raise InvalidParameter(f"kit {kit.name} is held out (unseen); it must not train")


def mix_kits(name: str, kits: Sequence[Kit], seed: int) -> Kit:
    """A kit called ``name`` whose every instrument is taken from a random kit of ``kits``.

    Only kits that have the instrument are drawn from; velocity layers come along.
    """
    for kit in kits:
        _check_train(kit)
    rng = np.random.default_rng([seed, 0x313C])
    sounds: dict[str, tuple[np.ndarray, ...]] = {}
    layers: dict[str, tuple[tuple[int, int], ...]] = {}
    donors = []
    for instrument in DRUM_INSTRUMENTS:
        having = [k for k in kits if instrument in k.sounds]
        if not having:
            continue
        donor = having[int(rng.integers(len(having)))]
        sounds[instrument] = donor.sounds[instrument]
        layers[instrument] = donor.layers.get(instrument) or tuple(
            (i, 0) for i in range(len(donor.sounds[instrument])))
        donors.append(donor.name)
    return Kit(name, "mix of " + ",".join(sorted(set(donors))), kits[0].sample_rate,
               MappingProxyType(sounds), MappingProxyType(layers))


def band_limit(x: np.ndarray, sample_rate: int, cutoff_hz: float) -> np.ndarray:
    """``x`` through two 4th-order Butterworth low-passes at ``cutoff_hz`` Hz in series
    (48 dB per octave, −6 dB at the cutoff; causal, so nothing rings before the hit)."""
    sos = butter("lowpass", cutoff_hz, sample_rate, order=4)
    return filt(np.vstack([sos, sos]), np.asarray(x, np.float64))


def augment_kit(kit: Kit, seed: int, strength: KitAugmentation | None = None) -> Kit:
    """A timbre variant of ``kit`` (same name, so clip specs still refer to it).

    Parameters
    ----------
    kit : Kit
        A TRAIN kit of :mod:`core.devset.kits`.
    seed : int
        Seeds every random choice; equal seeds give equal kits.
    strength : KitAugmentation, optional
        Ranges and probabilities (defaults: :class:`KitAugmentation`).
    """
    _check_train(kit)
    a = strength or KitAugmentation()
    rng = np.random.default_rng([seed, 0x4B17])
    rate = kit.sample_rate
    sounds: dict[str, tuple[np.ndarray, ...]] = {}
    for instrument in kit.instruments:
        semitones = (float(rng.uniform(-a.semitones, a.semitones))
                     if rng.random() < a.pitch_probability else 0.0)
        bands = (devset_augment.random_eq_bands(rng, max_db=a.eq_db)
                 if rng.random() < a.eq_probability else [])
        decay = float(rng.uniform(*a.decay_s)) if rng.random() < a.decay_probability else None
        # Drawn only when rooms are on, so the default keeps the earlier random sequence.
        room = ((float(rng.uniform(*a.room_rt60_s)), float(rng.uniform(*a.room_wet_db)),
                 int(rng.integers(2**31)))
                if a.room_probability > 0 and rng.random() < a.room_probability else None)
        # Likewise drawn only when band limits are on.
        cutoff = (float(np.exp(rng.uniform(*np.log(a.band_limit_hz))))
                  if a.band_limit_probability > 0 and rng.random() < a.band_limit_probability
                  else None)
        shots = []
        for shot in kit.sounds[instrument]:
            x = pitch_shift(np.asarray(shot, np.float32), semitones, rate)
            x = devset_augment.equalize(x.astype(np.float64), rate, bands)
            if decay is not None:
                x = x * np.exp(-np.arange(len(x)) / (decay * rate))
            if room is not None:
                rt60, wet_db, room_seed = room
                tail = np.concatenate([x, np.zeros(round(rt60 * rate))])
                x = devset_augment.reverb(tail, rate, np.random.default_rng(room_seed),
                                          rt60=rt60, wet_db=wet_db)
            if cutoff is not None:
                x = band_limit(x, rate, cutoff)
            shot_out = finish_one_shot(x, rate)
            shot_out.setflags(write=False)
            shots.append(shot_out)
        sounds[instrument] = tuple(shots)
    return Kit(kit.name, f"{kit.source}+timbre-augmented(seed {seed})", rate,
               MappingProxyType(sounds), kit.layers)
