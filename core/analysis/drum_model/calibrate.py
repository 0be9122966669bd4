"""Post-training calibration of the drum model on rendered examples.

* :func:`activations_of` runs a net over whole examples (silence-padded, chunked);
* :func:`tune_thresholds` picks each class's peak threshold on DEV examples (own onset F, then
  its instrument group's F);
* :func:`fit_time_offset` measures the median lag between matched truth and detected hits;
* :func:`fit_velocity_map` fits ``log10(velocity) = slope · level_dB + intercept`` per class
  from matched hits of drums-only examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch

from core.analysis.drum_model.dataset import Example
from core.analysis.drum_model.features import N_BANDS, SILENCE_VALUE
from core.analysis.drum_model.inference import PeakPicker, band_masks, class_levels
from core.analysis.drum_model.metrics import GROUPS_5, WINDOW, Counts, merged_times
from core.analysis.drum_model.model import DrumNet
from core.analysis.drum_model.weights import ModelMetadata
from core.results import DrumHit
from core.vocabulary import DRUM_INSTRUMENTS

_MIN_DB_PER_DECADE = 6.0
"""Flattest believable level change per tenfold velocity, dB (the devset's law is 34 dB)."""

VELOCITY_BANDS: tuple[tuple[float, float], ...] = (
    (30.0, 120.0),      # kick
    (150.0, 6000.0),    # snare
    (800.0, 6000.0),    # clap
    (400.0, 4000.0),    # rim
    (6000.0, 16000.0),  # hihat_closed
    (6000.0, 16000.0),  # hihat_pedal
    (6000.0, 16000.0),  # hihat_open
    (3000.0, 16000.0),  # ride
    (3000.0, 16000.0),  # crash
    (60.0, 250.0),      # tom_low
    (90.0, 400.0),      # tom_mid
    (120.0, 600.0),     # tom_high
    (300.0, 8000.0),    # percussion
)
"""Per-class frequency band (Hz) whose level sets a hit's velocity, in vocabulary order."""


def activations_of(net: DrumNet, features: np.ndarray, device: str = "cpu",
                   chunk: int = 4000) -> np.ndarray:
    """Sigmoid activations ``[frames, classes]`` of one example's feature frames."""
    ctx = net.context
    pad = np.full((ctx, N_BANDS), SILENCE_VALUE, np.float32)
    padded = np.concatenate([pad, features.astype(np.float32), pad])
    out = []
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(features), chunk):
            n = min(chunk, len(features) - start)
            x = torch.from_numpy(padded[start:start + n + 2 * ctx]).to(device).unsqueeze(0)
            out.append(torch.sigmoid(net(x))[0].float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, net.config.n_classes), np.float32)


def pick_hits(metadata: ModelMetadata, activations: np.ndarray,
              levels: np.ndarray | None = None) -> list[DrumHit]:
    """Hits of one example's activations with ``metadata``'s thresholds and calibration."""
    picker = PeakPicker(metadata)
    if levels is None:
        levels = np.full(activations.shape, -100.0, np.float32)
    picker.feed(activations, levels)
    return picker.finish()


def _truth_hits(example: Example) -> list[tuple[float, int, int]]:
    return list(zip(example.times.tolist(), example.classes.tolist(),
                    example.velocities.tolist(), strict=True))


def _peak_table(metadata: ModelMetadata, activations: Sequence[np.ndarray],
                grid: Sequence[float]) -> dict[float, list[list[np.ndarray]]]:
    """``table[th][example][class]``: detected times with every threshold set to ``th``."""
    n = len(metadata.classes)
    table: dict[float, list[list[np.ndarray]]] = {}
    for th in grid:
        rows = []
        for act in activations:
            hits = pick_hits(replace(metadata, thresholds=(th,) * n), act)
            rows.append([np.array([h.time for h in hits if h.instrument == name])
                         for name in metadata.classes])
        table[th] = rows
    return table


def _group_f(members: Sequence[int], chosen: Sequence[float], refs: Sequence[np.ndarray],
             table: dict[float, list[list[np.ndarray]]]) -> float:
    counts = Counts()
    for k, ref in enumerate(refs):
        est = merged_times(np.concatenate([table[chosen[c]][k][c] for c in members]))
        counts.add(ref, est, WINDOW)
    return counts.f_measure


def tune_thresholds(metadata: ModelMetadata, examples: Sequence[Example],
                    activations: Sequence[np.ndarray],
                    grid: Sequence[float]) -> tuple[tuple[float, ...], dict[str, float]]:
    """Per-class peak thresholds from ``grid``, tuned on ``examples``.

    First each class alone maximises its own F; then, group by group (kick; snare+clap+rim;
    hi-hats; toms; ride+crash; percussion, as in :data:`metrics.GROUPS_5`), two rounds of
    coordinate ascent maximise ``group F + 0.2 · mean member F``, so that a rare class's
    low threshold does not flood its group with false hits. Returns the thresholds and each
    class's F at them. A class absent from the references keeps the highest threshold.
    """
    n = len(metadata.classes)
    index = {name: c for c, name in enumerate(metadata.classes)}
    table = _peak_table(metadata, activations, grid)
    refs = [[np.sort(ex.times[ex.classes == c]) for ex in examples] for c in range(n)]

    def class_f(c: int, th: float) -> float:
        return _group_f([c], [th] * n, refs[c], table)

    chosen = []
    for c in range(n):
        present = any(len(r) for r in refs[c])
        chosen.append(max(grid, key=lambda t, c=c: (class_f(c, t), t)) if present
                      else float(max(grid)))
    groups = [[index[m] for m in members if m in index]
              for members in (*GROUPS_5.values(), ("percussion",))]
    for members in groups:
        if len(members) < 2:
            continue
        group_refs = [merged_times(np.concatenate([refs[c][k] for c in members]))
                      for k in range(len(examples))]
        for _ in range(2):
            for c in members:
                if not any(len(r) for r in refs[c]):
                    continue

                def objective(t: float, c: int = c, members: list[int] = members,
                              group_refs: list[np.ndarray] = group_refs) -> tuple[float, float]:
                    trial = list(chosen)
                    trial[c] = t
                    member_f = np.mean([class_f(m, trial[m]) for m in members])
                    return _group_f(members, trial, group_refs, table) + 0.2 * member_f, t

                chosen[c] = max(grid, key=objective)
    scores = {metadata.classes[c]: class_f(c, chosen[c]) for c in range(n)
              if any(len(r) for r in refs[c])}
    return tuple(float(t) for t in chosen), scores


def _matches(example: Example, hits: Sequence[DrumHit]) -> list[tuple[float, DrumHit, int]]:
    """``(truth time, matched hit, truth velocity)`` for same-class hits within 50 ms."""
    import mir_eval

    out = []
    for c, name in enumerate(DRUM_INSTRUMENTS):
        mask = example.classes == c
        ref_t, ref_v = example.times[mask], example.velocities[mask]
        est = [h for h in hits if h.instrument == name]
        if not len(ref_t) or not est:
            continue
        order = np.argsort(ref_t)
        ref_t, ref_v = ref_t[order], ref_v[order]
        pairs = mir_eval.util.match_events(ref_t, np.array([h.time for h in est]), WINDOW)
        out += [(float(ref_t[i]), est[j], int(ref_v[i])) for i, j in pairs]
    return out


def fit_time_offset(metadata: ModelMetadata, examples: Sequence[Example],
                    activations: Sequence[np.ndarray]) -> float:
    """Median (truth − detected) time over matched hits (s), 0 without matches."""
    lags = []
    for ex, act in zip(examples, activations, strict=True):
        for t, hit, _ in _matches(ex, pick_hits(replace(metadata, time_offset=0.0), act)):
            lags.append(t - hit.time)
    return float(np.median(lags)) if lags else 0.0


def fit_velocity_map(metadata: ModelMetadata, examples: Sequence[Example],
                     activations: Sequence[np.ndarray]) -> tuple[tuple[float, float], ...]:
    """Per-class ``(slope, intercept)`` of ``log10(velocity)`` on the band level (dB).

    Clips differ in overall gain (kit, EQ, peak normalisation), which would flatten a pooled
    regression; the level-per-decade is therefore fitted *within* clips (levels and
    log-velocities minus their per-clip, per-class means) by regressing level on
    log-velocity, and inverted; the intercept is the median residual over all hits. A class
    with fewer than 30 matched hits or under 6 dB per decade takes the pooled fit.
    """
    mask = band_masks(metadata.velocity_bands)
    n = len(metadata.classes)
    points: dict[int, list[tuple[float, float, int]]] = {c: [] for c in range(n)}
    for k, (ex, act) in enumerate(zip(examples, activations, strict=True)):
        levels = class_levels(ex.features, mask)
        for _, hit, velocity in _matches(ex, pick_hits(metadata, act, levels)):
            c = metadata.classes.index(hit.instrument)
            frame = round((hit.time - metadata.time_offset) * 100.0)
            lo, hi = max(frame - 1, 0), min(frame + 3, len(levels))
            if hi > lo:
                points[c].append((float(levels[lo:hi, c].max()), float(np.log10(velocity)), k))
    within: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for c, pts in points.items():
        arr = np.asarray(pts, dtype=np.float64).reshape(-1, 3)
        dx, dy = np.zeros(len(arr)), np.zeros(len(arr))
        for k in np.unique(arr[:, 2]):
            sel = arr[:, 2] == k
            dx[sel] = arr[sel, 0] - arr[sel, 0].mean()
            dy[sel] = arr[sel, 1] - arr[sel, 1].mean()
        within[c] = (dx, dy)
    # Regress level on log-velocity (the exact variable), then invert: regressing the other
    # way would shrink the slope by the noise of the level measurement.
    pooled_db = _slope(np.concatenate([w[1] for w in within.values()]),
                       np.concatenate([w[0] for w in within.values()]))
    pooled_db = pooled_db if pooled_db and pooled_db >= _MIN_DB_PER_DECADE else 34.0
    result = []
    for c in range(n):
        arr = np.asarray(points[c], dtype=np.float64).reshape(-1, 3)
        db_per_decade = _slope(within[c][1], within[c][0]) if len(arr) >= 30 else None
        if db_per_decade is None or db_per_decade < _MIN_DB_PER_DECADE:
            db_per_decade = pooled_db
        slope = 1.0 / db_per_decade
        if len(arr):
            intercept = float(np.median(arr[:, 1] - slope * arr[:, 0]))
        else:  # never seen: map −30 dB to velocity 80
            intercept = float(np.log10(80.0) + slope * 30.0)
        result.append((float(slope), intercept))
    return tuple(result)


def _slope(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 2 or float(np.var(x)) <= 1e-9:
        return None
    return float(np.cov(x, y, bias=True)[0, 1] / np.var(x))
