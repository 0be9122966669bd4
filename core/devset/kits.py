"""Drum kits of the development set and their fixed train / unseen split.

Three sources, all free to redistribute and installed from Debian:

* ``synth:<n>`` — our own synthesis (:mod:`core.devset.synth_drums`), any variant ``n`` ≥ 0;
  the named set is ``synth:0`` … ``synth:5``.
* ``<font>:<kit>`` — General MIDI drum kits of three SoundFonts rendered with fluidsynth
  (:mod:`core.devset.soundfont`): fonts ``fluidr3``, ``timgm``, ``musescore``; kits
  ``standard room power electronic 808 jazz brush``.
* ``lmms:a``, ``lmms:b``, ``lmms:c`` — one-shots of the LMMS sample library
  (:mod:`core.devset.lmms`), gaps filled from a synth variant.

The split holds out whole kits. **Unseen** (never used for training): every ``timgm:*`` kit,
``lmms:c`` and ``synth:4``, ``synth:5``. **Train**: everything else (``fluidr3:*``,
``musescore:*``, ``lmms:a``, ``lmms:b``, ``synth:0`` … ``synth:3``). The unseen split always
has at least the two synth kits, even on a machine without SoundFonts.

Why TimGM6mb and not MuseScore_General is held out: MuseScore_General's drum kits reuse
FluidR3's drum samples (the rendered one-shots correlate at 0.99–1.00), so holding it out
would leak training sounds into the evaluation; TimGM6mb's samples are independent
(correlation with FluidR3 0.05–0.75, the high end only for sine-like kicks).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from core.devset import lmms, soundfont
from core.devset.synth_drums import LAYER_VELOCITIES, synth_sounds
from core.errors import InvalidParameter
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.vocabulary import DRUM_INSTRUMENTS, is_drum_instrument

log = logging.getLogger(__name__)

SAMPLE_RATE = 44100
"""Sample rate (Hz) of every kit."""

SYNTH_VARIANTS: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
"""Synth variants in the named kit list."""

UNSEEN_SYNTH: tuple[int, ...] = (4, 5)
UNSEEN_SOUNDFONTS: tuple[str, ...] = ("timgm",)
UNSEEN_LMMS: tuple[str, ...] = ("c",)

_EMPTY: Mapping[str, tuple[tuple[int, int], ...]] = MappingProxyType({})


@dataclass(frozen=True, eq=False)
class Kit:
    """A drum kit: per instrument one or more mono float32 one-shots at ``sample_rate`` Hz.

    Every one-shot starts at its onset (no leading silence) and has a peak of 1.0.
    ``layers[instrument][i]`` is ``(variant, velocity)`` of ``sounds[instrument][i]``: sounds of
    one variant are velocity layers of the same drum, rendered at MIDI ``velocity`` (0: fits
    every velocity). Without ``layers`` each sound is its own variant.
    """

    name: str
    source: str
    sample_rate: int
    sounds: Mapping[str, tuple[np.ndarray, ...]]
    layers: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        for instrument, shots in self.sounds.items():
            if not is_drum_instrument(instrument) or not shots:
                raise InvalidParameter(f"kit {self.name}: bad instrument {instrument!r}")
            tags = self.layers.get(instrument)
            if tags is not None and len(tags) != len(shots):
                raise InvalidParameter(f"kit {self.name}: layers of {instrument} do not match")

    @property
    def instruments(self) -> tuple[str, ...]:
        """Instruments the kit has, in vocabulary order."""
        return tuple(i for i in DRUM_INSTRUMENTS if i in self.sounds)

    def _tags(self, instrument: str) -> tuple[tuple[int, int], ...]:
        tags = self.layers.get(instrument)
        return tags if tags is not None else tuple((i, 0) for i in
                                                   range(len(self.sounds[instrument])))

    def variants(self, instrument: str) -> tuple[int, ...]:
        """Distinct variant ids of ``instrument`` (sorted)."""
        return tuple(sorted({v for v, _ in self._tags(instrument)}))

    def pick(self, instrument: str, variant: int, velocity: int) -> np.ndarray:
        """The one-shot of ``variant`` whose layer velocity is nearest to ``velocity``."""
        best = min((abs(vel - velocity) if vel else 0, k)
                   for k, (var, vel) in enumerate(self._tags(instrument)) if var == variant)
        return self.sounds[instrument][best[1]]


def _frozen(sounds: Mapping[str, tuple[np.ndarray, ...]],
            layers: Mapping[str, tuple[tuple[int, int], ...]] | None = None) -> dict:
    for shots in sounds.values():
        for shot in shots:
            shot.setflags(write=False)
    return {"sounds": MappingProxyType(dict(sounds)),
            "layers": MappingProxyType(dict(layers)) if layers else _EMPTY}


def synth_kit(variant: int) -> Kit:
    """Kit ``synth:<variant>``: our own synthesis of all 13 instruments, 3 velocity layers.

    Deterministic and fast (no files). ``variant`` ≥ 0 changes pitches, decays and filters.
    """
    if variant < 0:
        raise InvalidParameter(f"synth kit variant must be >= 0, got {variant}")
    sounds = synth_sounds(variant, SAMPLE_RATE)
    layers = {inst: tuple((0, v) for v in LAYER_VELOCITIES) for inst in sounds}
    return Kit(f"synth:{variant}", "synth", SAMPLE_RATE, **_frozen(sounds, layers))


def _soundfont_kit(short: str, program: int, shots: list[soundfont.OneShot]) -> Kit:
    sounds: dict[str, list[np.ndarray]] = {}
    layers: dict[str, list[tuple[int, int]]] = {}
    for shot in shots:
        sounds.setdefault(shot.instrument, []).append(shot.samples)
        variant = soundfont.GM_NOTES[shot.instrument].index(shot.note)
        layers.setdefault(shot.instrument, []).append((variant, shot.velocity))
    path = soundfont.SOUNDFONTS[short]
    return Kit(f"{short}:{soundfont.KIT_PROGRAMS[program]}",
               f"soundfont:{path.name}:128/{program}", soundfont.SAMPLE_RATE,
               **_frozen({k: tuple(v) for k, v in sounds.items()},
                         {k: tuple(v) for k, v in layers.items()}))


def _soundfont_jobs(fonts: Iterable[str] | None) -> list[tuple[str, Path, int]]:
    available = soundfont.available_soundfonts()
    jobs = []
    for short in fonts if fonts is not None else soundfont.SOUNDFONTS:
        if short not in available:
            log.warning("SoundFont %s is missing; its kits are skipped", short)
            continue
        programs = soundfont.drum_programs(available[short])
        jobs += [(short, available[short], p) for p in soundfont.KIT_PROGRAMS if p in programs]
    return jobs


def soundfont_kits(cache_dir: Path | None = None, *, fonts: Iterable[str] | None = None,
                   programs: Iterable[int] | None = None,
                   progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> list[Kit]:
    """GM drum kits of the installed SoundFonts (see :data:`soundfont.SOUNDFONTS`).

    Each kit is rendered once with fluidsynth (in parallel, one process per core) and cached
    in ``cache_dir`` (default ``platformdirs.user_cache_dir("breakroom")/"devset-kits"``).
    A missing SoundFont, missing fluidsynth or a failed render drops those kits with a logged
    warning; this function does not raise for them. ``fonts`` restricts to short names
    (``"fluidr3"``, ``"timgm"``, ``"musescore"``), ``programs`` to GM kit programs.

    Raises
    ------
    Cancelled
        ``cancel`` was set (checked between kits).
    """
    cache = Path(cache_dir) if cache_dir is not None else soundfont.default_cache_dir()
    wanted = set(programs) if programs is not None else None
    jobs = [j for j in _soundfont_jobs(fonts) if wanted is None or j[2] in wanted]
    kits: list[Kit] = []
    with ThreadPoolExecutor(soundfont.worker_count()) as pool:
        futures = [pool.submit(soundfont.kit_shots, s, path, p, cache) for s, path, p in jobs]
        for done, ((short, _path, program), future) in enumerate(zip(jobs, futures, strict=True)):
            try:
                check_cancel(cancel)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
            try:
                kits.append(_soundfont_kit(short, program, future.result()))
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                log.warning("SoundFont kit %s:%d unavailable: %s", short, program, exc)
            report(progress, (done + 1) / max(1, len(jobs)), f"{short}:{program}")
    return kits


def lmms_kits(directory: Path | None = None) -> list[Kit]:
    """Kits ``lmms:a``, ``lmms:b``, ``lmms:c`` from the LMMS drum samples in ``directory``
    (default :data:`lmms.LMMS_DRUMS`).

    Instruments without a sample are taken from ``synth:<k>`` (k = 1, 2, 5 for a, b, c) and
    ``source`` says which, e.g. ``"lmms+synth:5(tom_mid)"``. An empty list when the samples
    are not installed.
    """
    fill_variant = {"a": 1, "b": 2, "c": 5}
    kits = []
    folder = directory if directory is not None else lmms.LMMS_DRUMS
    for letter, sounds in lmms.lmms_sounds(folder, SAMPLE_RATE).items():
        missing = [i for i in DRUM_INSTRUMENTS if i not in sounds]
        source = "lmms"
        if missing:
            filler = synth_kit(fill_variant[letter])
            sounds = {**sounds, **{i: filler.sounds[i] for i in missing}}
            source = f"lmms+synth:{fill_variant[letter]}({','.join(missing)})"
        kits.append(Kit(f"lmms:{letter}", source, SAMPLE_RATE, **_frozen(sounds)))
    return kits


def is_unseen(name: str) -> bool:
    """Whether kit ``name`` belongs to the held-out (unseen) split."""
    family, _, member = name.partition(":")
    if family == "synth":
        return member.isdigit() and int(member) in UNSEEN_SYNTH
    if family == "lmms":
        return member in UNSEEN_LMMS
    return family in UNSEEN_SOUNDFONTS


def _fluidsynth_or_cache(short: str, cache_dir: Path | None) -> bool:
    if shutil.which("fluidsynth"):
        return True
    cache = Path(cache_dir) if cache_dir is not None else soundfont.default_cache_dir()
    return any(cache.glob(f"{short}-p*-v{soundfont.CACHE_FORMAT}.npz"))


def kit_names(split: str = "all", cache_dir: Path | None = None) -> tuple[str, ...]:
    """Names of the kits available on this machine in ``split`` ("train", "unseen", "all").

    Cheap: checks that sources exist, renders nothing.
    """
    if split not in ("train", "unseen", "all"):
        raise InvalidParameter(f"split must be 'train', 'unseen' or 'all', got {split!r}")
    names = [f"synth:{v}" for v in SYNTH_VARIANTS]
    for short, path in soundfont.available_soundfonts().items():
        if _fluidsynth_or_cache(short, cache_dir):
            programs = soundfont.drum_programs(path)
            names += [f"{short}:{n}" for p, n in soundfont.KIT_PROGRAMS.items() if p in programs]
    if any(lmms.LMMS_DRUMS.glob("*.ogg")):
        names += [f"lmms:{k}" for k in lmms.LMMS_KITS]
    if split == "all":
        return tuple(names)
    return tuple(n for n in names if is_unseen(n) == (split == "unseen"))


def load_kit(name: str, cache_dir: Path | None = None) -> Kit:
    """Build or load the kit called ``name`` (e.g. ``"synth:3"``, ``"fluidr3:808"``).

    Raises
    ------
    InvalidParameter
        The name is unknown, or its source is not installed (the message says what to install).
    """
    family, _, member = name.partition(":")
    if family == "synth" and member.isdigit():
        return synth_kit(int(member))
    if family == "lmms":
        found = [k for k in lmms_kits() if k.name == name]
    elif family in soundfont.SOUNDFONTS:
        programs = [p for p, n in soundfont.KIT_PROGRAMS.items() if n == member]
        found = soundfont_kits(cache_dir, fonts=[family], programs=programs) if programs else []
    else:
        found = []
    if not found:
        raise InvalidParameter(
            f"drum kit {name!r} is unknown or not installed; known kits here: "
            f"{', '.join(kit_names('all', cache_dir))} (SoundFont kits need fluidsynth and "
            "fluid-soundfont-gm / timgm6mb-soundfont / musescore-general-soundfont, LMMS kits "
            "need lmms-common)")
    return found[0]


def _select(kits: list[Kit], split: str) -> list[Kit]:
    return [k for k in kits if split == "all" or is_unseen(k.name) == (split == "unseen")]


def all_kits(cache_dir: Path | None = None, *, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> list[Kit]:
    """Every available kit: synth 0–5, the SoundFont kits and the LMMS kits."""
    kits = [synth_kit(v) for v in SYNTH_VARIANTS]
    kits += soundfont_kits(cache_dir, progress=progress, cancel=cancel)
    return kits + lmms_kits()


def train_kits(cache_dir: Path | None = None, *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[Kit]:
    """The kits that training may use (see the module docstring for the split)."""
    fonts = [f for f in soundfont.SOUNDFONTS if f not in UNSEEN_SOUNDFONTS]
    kits = [synth_kit(v) for v in SYNTH_VARIANTS if v not in UNSEEN_SYNTH]
    kits += soundfont_kits(cache_dir, fonts=fonts, progress=progress, cancel=cancel)
    return _select(kits + lmms_kits(), "train")


def unseen_kits(cache_dir: Path | None = None, *, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> list[Kit]:
    """The held-out kits: never used for training. Always includes ``synth:4`` and ``synth:5``."""
    kits = [synth_kit(v) for v in UNSEEN_SYNTH]
    kits += soundfont_kits(cache_dir, fonts=UNSEEN_SOUNDFONTS, progress=progress, cancel=cancel)
    return _select(kits + lmms_kits(), "unseen")
