"""The lab's metrics, defined once (the README repeats these definitions).

* **CC modulation error (CC-ME)**: mean absolute difference between the reconstructed and the
  true controller curves, both normalised to 0–1 (MIDI value / 127), over every step of every
  controller present in the clip. 0 is perfect; a constant guess is typically 0.1–0.3.
* **Note F1**: onsets compared as ``(step, pitch)`` pairs at the grid's resolution — a hit is the
  same pitch starting on the same step; precision, recall and F1 = 2·P·R / (P + R) are pooled
  over all clips.
* **KL divergence**: KL(q(z|x) ‖ N(0, I)) of each clip in nats, summed over latent dimensions,
  averaged over clips.
* **Reconstruction loss**: the training objective without the KL term, per step: the
  cross-entropy of the step's note onset (one of "none" + 128 pitches, the top note where the
  input has chords) plus that of the sounding note, plus ``cc_weight`` × the summed absolute
  CC error of the present controllers, averaged over steps and clips (nats).
* **MR-STFT**: :func:`core.latent.synth.mr_stft_distance` between the built-in synth's renders
  of the true and the reconstructed clip.
* **Baseline**: the per-step mean CC curve of the training clips (each controller averaged
  over the clips where it is present), used as the reconstruction of every clip.
* **Interpolation smoothness**: CC-ME between neighbouring clips of an interpolation; its
  maximum over the mean is 1 for perfectly even steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NoteScores:
    """Pooled onset precision, recall and F1 and the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    reference: int


def cc_modulation_error(predicted: np.ndarray, reference: np.ndarray,
                        present: np.ndarray) -> float:
    """CC-ME of ``predicted`` vs ``reference`` curves ``[n, steps, n_cc]`` (0–1), counting
    controllers where ``present`` ``[n, n_cc]`` is true; NaN when none is."""
    mask = np.broadcast_to(np.asarray(present, bool)[:, None, :], np.shape(reference))
    if not mask.any():
        return float("nan")
    diff = np.abs(np.asarray(predicted, np.float64) - np.asarray(reference, np.float64))
    return float(diff[mask].mean())


def note_scores(predicted: np.ndarray, reference: np.ndarray) -> NoteScores:
    """Onset scores of bool rolls ``[n, steps, 128]`` (see the module docstring). With no
    onsets on either side every score is 1."""
    pred = np.asarray(predicted, bool)
    ref = np.asarray(reference, bool)
    tp = int(np.count_nonzero(pred & ref))
    n_pred, n_ref = int(np.count_nonzero(pred)), int(np.count_nonzero(ref))
    precision = tp / n_pred if n_pred else (1.0 if n_ref == 0 else 0.0)
    recall = tp / n_ref if n_ref else (1.0 if n_pred == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return NoteScores(precision, recall, f1, tp, n_pred, n_ref)


def baseline_curve(cc: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per-step mean CC curve ``[steps, n_cc]`` of training clips ``[n, steps, n_cc]``; a
    controller present in no clip gets 0.5."""
    weights = np.asarray(present, np.float64)[:, None, :]
    total = (np.asarray(cc, np.float64) * weights).sum(axis=0)
    count = weights.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), 0.5).astype(np.float32)


def baseline_error(baseline: np.ndarray, reference: np.ndarray, present: np.ndarray) -> float:
    """CC-ME of predicting ``baseline`` ``[steps, n_cc]`` for every reference clip."""
    return cc_modulation_error(np.broadcast_to(baseline, np.shape(reference)), reference,
                               present)


def neighbour_distances(cc: np.ndarray, present: np.ndarray) -> np.ndarray:
    """CC-ME between consecutive clips ``[k, steps, n_cc]`` of an interpolation (``[k − 1]``),
    over controllers present in ``present`` ``[n_cc]``."""
    mask = np.asarray(present, bool)
    if not mask.any() or len(cc) < 2:
        return np.zeros(max(0, len(cc) - 1))
    values = np.asarray(cc, np.float64)[..., mask]
    return np.abs(np.diff(values, axis=0)).mean(axis=(1, 2))
