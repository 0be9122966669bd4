"""Measure a trained model on clips: CC-ME against the per-step mean baseline, note F1, KL,
reconstruction loss and MR-STFT through the built-in synth (definitions in
:mod:`core.latent.metrics`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.latent.clip import GridClip
from core.latent.dataset import ClipArrays
from core.latent.inference import LatentModel
from core.latent.metrics import (
    baseline_error,
    cc_modulation_error,
    neighbour_distances,
    note_scores,
)
from core.latent.synth import mr_stft_distance, render_clip


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one model on ``clips`` clips (NaN where not measured)."""

    clips: int
    ccme: float
    ccme_baseline: float
    note_precision: float
    note_recall: float
    note_f1: float
    kl: float
    recon: float
    mrstft: float = float("nan")
    mrstft_clips: int = 0

    @property
    def ccme_improvement(self) -> float:
        """How much lower CC-ME is than the baseline's, as a fraction (0.5 = halved)."""
        return 1.0 - self.ccme / self.ccme_baseline if self.ccme_baseline > 0 else float("nan")

    def to_dict(self) -> dict[str, float]:
        """Plain data (JSON), rounded to 5 decimals."""
        return {k: (round(float(v), 5) if isinstance(v, float) else v)
                for k, v in asdict(self).items()}


def evaluate_arrays(model: LatentModel, arrays: ClipArrays, *, bpms: list[float] | None = None,
                    mrstft_clips: int = 8, progress: ProgressCallback | None = None,
                    cancel: CancelToken | None = None) -> Evaluation:
    """Reconstruct ``arrays`` through the posterior means and score them; MR-STFT over the
    first ``mrstft_clips`` clips (0 = skip)."""
    check_cancel(cancel)
    report(progress, 0.0, "reconstructing")
    rec = model.reconstruct(arrays)
    notes = note_scores(rec.arrays.onsets, arrays.onsets)
    mr = float("nan")
    count = min(mrstft_clips, len(arrays))
    if count:
        true_clips = model.to_clips(arrays.subset(range(count)), bpm=(bpms or [120.0] * count)[
            :count])
        pred_clips = model.to_clips(rec.arrays.subset(range(count)),
                                    bpm=(bpms or [120.0] * count)[:count])
        values = []
        for k, (a, b) in enumerate(zip(true_clips, pred_clips, strict=True)):
            check_cancel(cancel)
            report(progress, 0.3 + 0.7 * k / count, "rendering for MR-STFT")
            values.append(mr_stft_distance(render_clip(a, model.grid),
                                           render_clip(b, model.grid)))
        mr = float(np.mean(values))
    report(progress, 1.0, "evaluated")
    return Evaluation(
        clips=len(arrays), ccme=cc_modulation_error(rec.arrays.cc, arrays.cc, arrays.cc_present),
        ccme_baseline=baseline_error(model.baseline, arrays.cc, arrays.cc_present),
        note_precision=notes.precision, note_recall=notes.recall, note_f1=notes.f1,
        kl=float(np.mean(rec.kl)), recon=float(np.mean(rec.recon)), mrstft=mr,
        mrstft_clips=count)


@dataclass(frozen=True)
class Smoothness:
    """CC-ME between neighbouring interpolation steps: mean, max, max/mean, and the CC-ME of
    the two ends (what an even walk divides into ``steps − 1`` parts)."""

    mean: float
    max: float
    ratio: float
    ends: float


def interpolation_smoothness(clips: list[GridClip]) -> Smoothness:
    """Smoothness of an interpolation (see :class:`Smoothness`)."""
    cc = np.stack([c.cc for c in clips])
    present = np.logical_and.reduce([np.asarray(c.cc_present, bool) for c in clips])
    dist = neighbour_distances(cc, present)
    ends = float(neighbour_distances(cc[[0, -1]], present)[0]) if len(clips) > 1 else 0.0
    mean = float(dist.mean()) if len(dist) else 0.0
    peak = float(dist.max()) if len(dist) else 0.0
    return Smoothness(mean, peak, peak / mean if mean > 0 else float("nan"), ends)
