"""Breakroom's generated development set: labelled drum clips with exact ground truth.

Kits (:mod:`.kits`: synthesized, GM SoundFonts via fluidsynth, LMMS samples; fixed train /
unseen split), a pattern library of ten styles (:mod:`.patterns`), accompaniment
(:mod:`.accompaniment`), augmentations (:mod:`.augment`), the renderer (:mod:`.generate`),
the development-set lists (:mod:`.dataset`) and export (:mod:`.export`). Everything is
deterministic given its seed. ``python -m core.devset export --split dev --out DIR`` dumps a
set for listening.
"""

from core.devset.dataset import SPLITS, development_set, iter_clips
from core.devset.export import export_clip, load_truth
from core.devset.generate import RENDER_VERSION, ClipSpec, ground_truth, render_clip
from core.devset.kits import (
    Kit,
    all_kits,
    is_unseen,
    kit_names,
    lmms_kits,
    load_kit,
    soundfont_kits,
    synth_kit,
    train_kits,
    unseen_kits,
)
from core.devset.patterns import STYLES
from core.devset.truth import Clip, GroundTruth

__all__ = [
    "RENDER_VERSION", "SPLITS", "STYLES", "Clip", "ClipSpec", "GroundTruth", "Kit", "all_kits",
    "development_set", "export_clip", "ground_truth", "is_unseen", "iter_clips", "kit_names",
    "lmms_kits", "load_kit", "load_truth", "render_clip", "soundfont_kits", "synth_kit",
    "train_kits", "unseen_kits",
]
