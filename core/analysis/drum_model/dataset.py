"""Training and validation examples for the drum model, rendered from :mod:`core.devset`.

Each example is one rendered clip turned into feature frames
(:mod:`core.analysis.drum_model.features`) plus its ground-truth hits. A full-mix clip gives
two examples: the mix and its isolated drum stem (``Clip.drums``), so the model learns both.
Training clips come only from the devset's **train** kits (``development_set("train", …)``,
which also varies style, tempo, swing, humanisation, pitch, mix level and the devset
augmentations: EQ, bus compression, saturation, reverb, bass/pads accompaniment), most of them
rendered with a kit derived from train kits (mixed across kits and timbre-augmented,
:mod:`.kit_augment`); validation uses ``development_set("dev", …)`` (train kits, other seeds,
half of them with derived kits too, so that thresholds are tuned on sounds the net has not
heard). Unseen kits are never rendered here.

Rendered examples are cached as ``.npz`` files (float16 features) under
``platformdirs.user_cache_dir("breakroom")/drum-train`` keyed by the clip spec and the feature
parameters; rendering runs in a pool of worker processes.

:class:`CropSampler` draws random training crops with per-frame targets: 1 at each hit's
frame and ``widening`` (0.5) at the frames either side, a random gain (dB) shift and a random
smooth EQ curve (dB per band) added to the features — both exact for the fixed log-feature
map, apart from the silence floor.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.analysis.drum_model.features import (
    FRAME_RATE,
    N_BANDS,
    SCALE_DB,
    SILENCE_VALUE,
    FeatureParams,
    compute_features,
)
from core.analysis.drum_model.kit_augment import KitAugmentation
from core.fileutil import atomic_write_bytes
from core.vocabulary import DRUM_INSTRUMENTS

log = logging.getLogger(__name__)

CACHE_VERSION = 2
"""Bumped when the cached example layout changes."""
_CLASS_INDEX = {name: k for k, name in enumerate(DRUM_INSTRUMENTS)}


@dataclass(frozen=True, eq=False)
class Example:
    """One training/validation example.

    ``features`` ``[frames, N_BANDS]`` (float16 on disk, float32 here); ``times`` (s),
    ``classes`` (index into :data:`DRUM_INSTRUMENTS`) and ``velocities`` (1–127) of its hits;
    ``kind`` is ``"drums"`` (drums-only clip), ``"full"`` (full mix) or ``"stem"`` (the drum
    stem of a full mix).
    """

    name: str
    kind: str
    features: np.ndarray
    times: np.ndarray
    classes: np.ndarray
    velocities: np.ndarray

    @property
    def frames(self) -> int:
        return len(self.features)


def default_cache_dir() -> Path:
    """``<user cache>/breakroom/drum-train``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("breakroom")) / "drum-train"


def _spec_key(spec: object, kit_seed: int | None,
              strength: KitAugmentation | None = None) -> str:
    fields = spec.key_fields()  # type: ignore[attr-defined]
    key: tuple[object, ...] = (CACHE_VERSION, asdict(FeatureParams()), fields, kit_seed)
    if kit_seed is not None and strength is not None and not strength.is_default():
        key += (asdict(strength),)
    text = repr(key)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _examples_from_clip(clip: object, with_stem: bool) -> list[Example]:
    """The clip's examples: the clip itself and, for a full mix with ``with_stem``, its stem."""
    from core.devset.truth import Clip

    assert isinstance(clip, Clip)
    hits = clip.truth.hits
    times = np.array([h.time for h in hits], dtype=np.float64)
    classes = np.array([_CLASS_INDEX[h.instrument] for h in hits], dtype=np.int64)
    velocities = np.array([h.velocity for h in hits], dtype=np.int64)
    sources = [(clip.truth.mix, clip.samples)]
    if with_stem and clip.truth.mix == "full" and clip.drums is not None:
        sources.append(("stem", clip.drums))
    return [Example(f"{clip.name}/{kind}", kind,
                    compute_features(samples.mean(axis=0), clip.sample_rate),
                    times, classes, velocities) for kind, samples in sources]


def _save(path: Path, examples: list[Example]) -> None:
    buffer = io.BytesIO()
    arrays: dict[str, np.ndarray] = {}
    for k, ex in enumerate(examples):
        arrays[f"f{k}"] = ex.features.astype(np.float16)
        arrays[f"t{k}"], arrays[f"c{k}"], arrays[f"v{k}"] = ex.times, ex.classes, ex.velocities
        arrays[f"n{k}"] = np.array([ex.name, ex.kind])
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def _load(path: Path) -> list[Example]:
    with np.load(path) as data:
        count = sum(1 for key in data.files if key.startswith("f"))
        return [Example(str(data[f"n{k}"][0]), str(data[f"n{k}"][1]),
                        data[f"f{k}"].astype(np.float32), data[f"t{k}"], data[f"c{k}"],
                        data[f"v{k}"]) for k in range(count)]


_WORKER_KITS: dict[str, object] = {}


def _worker_kit(name: str) -> object:
    from core.devset import load_kit

    if name not in _WORKER_KITS:
        _WORKER_KITS[name] = load_kit(name)
    return _WORKER_KITS[name]


def _training_kit(kit_name: str, kit_seed: int,
                  strength: KitAugmentation | None = None) -> object:
    """The kit a training clip is rendered with: half the time a mix of train kits, then a
    timbre variant (see :mod:`.kit_augment`)."""
    from core.analysis.drum_model.kit_augment import augment_kit, mix_kits
    from core.devset import kit_names

    rng = np.random.default_rng([kit_seed, 0x5EED])
    kit = _worker_kit(kit_name)
    if rng.random() < 0.5:
        pool = [_worker_kit(n) for n in kit_names("train")]
        kit = mix_kits(kit_name, pool, kit_seed)  # type: ignore[arg-type]
    return augment_kit(kit, kit_seed, strength)  # type: ignore[arg-type]


def _render_job(spec: object, path: str, with_stem: bool, kit_seed: int | None,
                strength: KitAugmentation | None = None) -> str:
    """Worker: render one spec (with a derived kit when ``kit_seed`` is given), compute its
    examples, write them to ``path``."""
    from core.devset import is_unseen, render_clip

    kit_name = spec.kit  # type: ignore[attr-defined]
    if is_unseen(kit_name):
        raise ValueError(f"kit {kit_name} is held out; it must not be rendered for training")
    kit = (_worker_kit(kit_name) if kit_seed is None
           else _training_kit(kit_name, kit_seed, strength))
    clip = render_clip(spec, {kit_name: kit})  # type: ignore[arg-type,dict-item]
    _save(Path(path), _examples_from_clip(clip, with_stem))
    return path


def build_examples(specs: Sequence[object], *, with_stems: bool = True,
                   kit_seeds: Sequence[int | None] | None = None,
                   cache_dir: Path | None = None, workers: int = 2,
                   progress: Callable[[int, int], None] | None = None,
                   kit_augmentation: KitAugmentation | None = None) -> list[Example]:
    """Render (or load from the cache) the examples of ``specs`` (devset ``ClipSpec`` s).

    Parameters
    ----------
    specs
        Clip specs, e.g. from ``core.devset.development_set``.
    with_stems
        Also return the drum stem of every full mix as its own example.
    kit_seeds
        Per spec, ``None`` (the kit as it is) or a seed for
        :func:`~core.analysis.drum_model.kit_augment.augment_kit` (train kits only).
    cache_dir
        Where rendered examples are kept (default :func:`default_cache_dir`).
    workers
        Worker processes for rendering (1 renders in this process).
    progress
        Called with ``(done, total)`` clips.
    kit_augmentation
        Strength of the kit variants (default :class:`KitAugmentation`).
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    suffix = "s" if with_stems else "m"
    seeds = list(kit_seeds) if kit_seeds is not None else [None] * len(specs)
    paths = [cache / f"{_spec_key(s, k, kit_augmentation)}{suffix}.npz"
             for s, k in zip(specs, seeds, strict=True)]
    todo = [(s, p, k) for s, p, k in zip(specs, paths, seeds, strict=True) if not p.is_file()]
    done = len(specs) - len(todo)
    if todo:
        log.info("rendering %d of %d clips", len(todo), len(specs))
        if workers <= 1:
            for spec, path, seed in todo:
                _render_job(spec, str(path), with_stems, seed, kit_augmentation)
                done += 1
                if progress:
                    progress(done, len(specs))
        else:
            with ProcessPoolExecutor(workers) as pool:
                for _ in pool.map(_render_job, [t[0] for t in todo], [str(t[1]) for t in todo],
                                  [with_stems] * len(todo), [t[2] for t in todo],
                                  [kit_augmentation] * len(todo)):
                    done += 1
                    if progress:
                        progress(done, len(specs))
    examples: list[Example] = []
    for path in paths:
        examples += _load(path)
    return examples


def frame_targets(example: Example, widening: float = 0.5) -> np.ndarray:
    """Per-frame targets ``[frames, classes]`` (float32): 1 at each hit's frame, ``widening``
    at the frames either side."""
    targets = np.zeros((example.frames, len(DRUM_INSTRUMENTS)), np.float32)
    frames = np.round(example.times * FRAME_RATE).astype(np.int64)
    for offset, value in ((-1, widening), (1, widening), (0, 1.0)):
        idx = frames + offset
        ok = (idx >= 0) & (idx < example.frames)
        np.maximum.at(targets, (idx[ok], example.classes[ok]), value)
    return targets


class CropSampler:
    """Random training crops over a list of examples.

    Parameters
    ----------
    examples
        The training examples.
    crop : int
        Output frames per crop; inputs carry ``context`` extra frames either side (padded
        with silence at clip edges).
    context : int
        The net's context (frames).
    gain_db : (float, float)
        Range of the random level change (dB) applied to each crop's features.
    eq_db : float
        Largest boost/cut (dB) of the random smooth EQ curve added to each crop's bands (a
        tilt plus a bell, exact for log-mel features; 0 disables).
    widening : float
        Target value at the frames next to a hit.
    seed : int
        Seed of the sampler's generator.
    """

    def __init__(self, examples: Sequence[Example], *, crop: int, context: int,
                 gain_db: tuple[float, float] = (-24.0, 3.0), eq_db: float = 0.0,
                 widening: float = 0.5, seed: int = 0) -> None:
        self.examples = list(examples)
        self.crop, self.context, self.gain_db, self.eq_db = crop, context, gain_db, eq_db
        self.targets = [frame_targets(ex, widening) for ex in self.examples]
        lengths = np.array([ex.frames for ex in self.examples], dtype=np.float64)
        self._weights = lengths / lengths.sum()
        self.rng = np.random.default_rng(seed)

    @property
    def total_frames(self) -> int:
        return int(sum(ex.frames for ex in self.examples))

    def positive_rate(self) -> np.ndarray:
        """Fraction of frames with target 1 per class (for loss weighting)."""
        hits = np.zeros(len(DRUM_INSTRUMENTS))
        for t in self.targets:
            hits += (t >= 1.0).sum(axis=0)
        return hits / max(1, self.total_frames)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``(features [size, crop + 2·context, bands], targets [size, crop, classes])``."""
        ctx, crop = self.context, self.crop
        picks = self.rng.choice(len(self.examples), size=size, p=self._weights)
        xs, ys = [], []
        for k in picks:
            feats, targets = self.examples[k].features, self.targets[k]
            start = int(self.rng.integers(-crop // 4, max(1, len(feats) - crop * 3 // 4)))
            xs.append(_window(feats, start - ctx, crop + 2 * ctx, SILENCE_VALUE))
            ys.append(_window(targets, start, crop, 0.0))
        x = np.stack(xs)
        shift = self.rng.uniform(*self.gain_db, size=(size, 1, 1)) + self._eq_curves(size)
        x = np.maximum(x + (shift / SCALE_DB).astype(np.float32), SILENCE_VALUE)
        return x.astype(np.float32), np.stack(ys)

    def _eq_curves(self, size: int) -> np.ndarray:
        """Random smooth EQ curves in dB, ``[size, 1, N_BANDS]``: a tilt plus one bell."""
        if self.eq_db <= 0:
            return np.zeros((size, 1, 1))
        bands = np.linspace(-1.0, 1.0, N_BANDS)[None, :]
        tilt = self.rng.uniform(-1, 1, (size, 1)) * bands
        centre = self.rng.uniform(-1, 1, (size, 1))
        width = self.rng.uniform(0.1, 0.5, (size, 1))
        bell = self.rng.uniform(-1, 1, (size, 1)) * np.exp(-0.5 * ((bands - centre) / width) ** 2)
        return (0.5 * self.eq_db * (tilt + bell))[:, None, :]


def _window(array: np.ndarray, start: int, length: int, fill: float) -> np.ndarray:
    """``array[start:start + length]`` padded with ``fill`` where out of range."""
    out = np.full((length, array.shape[1]), fill, np.float32)
    lo, hi = max(start, 0), min(start + length, len(array))
    if hi > lo:
        out[lo - start:hi - start] = array[lo:hi]
    return out
