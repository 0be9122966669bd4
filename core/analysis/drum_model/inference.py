"""Streaming drum-model inference: feature frames → activations → drum hits.

:class:`DrumActivationStream` runs a :class:`~core.analysis.drum_model.weights.LoadedModel`
over feature frames as they arrive (in chunks, carrying the net's ±``context`` frames, so the
result does not depend on how the input was split) and hands the activations to a
:class:`PeakPicker`, which reports hits per class:

* a hit is a local maximum of the class activation (over ±1 frame) at or above the class
  threshold (tuned on DEV clips, stored in the weights' metadata, times ``threshold_scale``);
* its time is the frame time refined by parabolic interpolation of the peak (±½ frame), plus
  the model's calibrated ``time_offset``;
* peaks of one class closer than ``merge_window`` (30 ms) keep the stronger;
* velocity comes from the hit's energy: the peak level (dB) over frames −1…+2 of the class's
  frequency band, mapped per class by ``velocity = 10 ** (slope · level_dB + intercept)``
  (clipped to 1–127) with the calibration fitted on training data (louder hit → higher
  velocity; the devset's gain law is logarithmic in velocity, hence the log-linear map);
* confidence is the activation peak value (0–1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from core.analysis.drum_model.features import (
    FRAME_RATE,
    N_BANDS,
    SILENCE_VALUE,
    band_frequencies,
    features_to_db,
)
from core.analysis.drum_model.weights import LoadedModel, ModelMetadata
from core.results import DrumHit

CHUNK = 1000
"""Output frames per forward pass (10 s; every pass has this one shape)."""
_LOOKAHEAD = 2
"""Frames after a peak its level and refinement need."""


BAND_SHIFTS = (0, 1, -1)
"""With three views the net hears each chunk as it is and moved up and down one mel band (two
thirds of a semitone above 1 kHz, 38 Hz below); the activations are averaged. Drums of a kit it
never heard sit a little higher or lower than the ones it learned, and the average is steadier
on drums alone: 3-class onset F on held-out kits 0.875 → 0.888 (every kit better), on the
tuning kits 0.949 → 0.955; shifting by two bands, or one way only, did worse. On full mixes it
did not help (tuning kits equal, held-out kits 0.901 → 0.890), and it triples the net's work."""


def band_shifted(frames: np.ndarray, shift: int) -> np.ndarray:
    """Feature frames ``[n, bands]`` moved ``shift`` mel bands up (positive) or down, the
    edge band repeated into the gap (float32, contiguous)."""
    frames = np.asarray(frames, np.float32)
    if shift == 0:
        return np.ascontiguousarray(frames)
    out = np.roll(frames, shift, axis=1)
    if shift > 0:
        out[:, :shift] = frames[:, :1]
    else:
        out[:, shift:] = frames[:, -1:]
    return out


def band_masks(bands_hz: Sequence[tuple[float, float]]) -> np.ndarray:
    """``[N_BANDS, classes]`` 0/1 matrix: which mel bands lie in each class's ``(lo, hi)`` Hz."""
    centres = band_frequencies()
    mask = np.zeros((N_BANDS, len(bands_hz)), np.float32)
    for c, (lo, hi) in enumerate(bands_hz):
        inside = (centres >= lo) & (centres <= hi)
        if not inside.any():  # a band narrower than one mel band: take the nearest
            inside[np.argmin(np.abs(centres - np.sqrt(max(lo, 1.0) * hi)))] = True
        mask[inside, c] = 1.0
    return mask


def class_levels(features: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-class band level (dB re. full-scale sine) of feature frames: ``[frames, classes]``."""
    power = 10.0 ** (features_to_db(features) / 10.0)
    return (10.0 * np.log10(np.maximum(power @ mask, 1e-10))).astype(np.float32)


def velocity_from_level(level_db: float, slope: float, intercept: float) -> int:
    """MIDI velocity 1–127 of a hit whose band peak level is ``level_db`` (dB)."""
    value = 10.0 ** float(np.clip(slope * level_db + intercept, -1.0, 3.0))
    return int(np.clip(round(value), 1, 127))


class PeakPicker:
    """Turn per-frame activations and class levels into hits, block by block.

    Parameters
    ----------
    metadata : ModelMetadata
        Classes, thresholds, velocity calibration and time offset.
    threshold_scale : float
        Multiplies every class threshold (> 1 fewer hits, < 1 more).
    merge_window : float
        Seconds within which peaks of one class are one hit.
    """

    def __init__(self, metadata: ModelMetadata, *, threshold_scale: float = 1.0,
                 merge_window: float = 0.03) -> None:
        self._classes = metadata.classes
        self._thresholds = np.clip(np.asarray(metadata.thresholds) * threshold_scale,
                                   0.01, 0.99)
        self._vmap = np.asarray(metadata.velocity_map, dtype=np.float64)
        self._offset = metadata.time_offset
        self._merge = merge_window
        n = len(self._classes)
        self._act = np.zeros((1, n), np.float32)  # frame −1: no activation
        self._lev = np.full((1, n), -100.0, np.float32)
        self._start = -1  # absolute frame index of self._act[0]
        self._hits: list[tuple[float, int, int, float]] = []  # time, class, velocity, conf
        self._last: dict[int, int] = {}  # class → index into self._hits

    def feed(self, activations: np.ndarray, levels: np.ndarray) -> None:
        """Add the next frames: activations and class levels (dB), both ``[frames, classes]``."""
        self._act = np.concatenate([self._act, activations.astype(np.float32)])
        self._lev = np.concatenate([self._lev, levels.astype(np.float32)])
        self._pick(len(self._act) - _LOOKAHEAD)

    def finish(self) -> list[DrumHit]:
        """Pick the last frames; return every hit, sorted by time then class order."""
        n = self._act.shape[1]
        self._act = np.concatenate([self._act, np.zeros((_LOOKAHEAD, n), np.float32)])
        self._lev = np.concatenate([self._lev, np.full((_LOOKAHEAD, n), -100.0, np.float32)])
        self._pick(len(self._act) - _LOOKAHEAD)
        hits = sorted(self._hits, key=lambda h: (h[0], h[1]))
        return [DrumHit(max(0.0, t), self._classes[c], v, min(1.0, max(0.0, conf)))
                for t, c, v, conf in hits]

    def _pick(self, stop: int) -> None:
        """Evaluate buffered frames 1 … stop−1 (relative), then keep what later frames need."""
        a, lev = self._act, self._lev
        if stop <= 1:
            return
        centre = a[1:stop]
        before, after = a[:stop - 1], a[2:stop + 1]
        peak = (centre >= self._thresholds) & (centre >= before) & (centre > after)
        rows, cols = np.nonzero(peak)
        for r, c in sorted(zip(rows.tolist(), cols.tolist(), strict=True)):
            t = r + 1
            self._add(self._start + t, c, a[t - 1:t + 2, c], float(lev[t - 1:t + 3, c].max()))
        keep = stop - 1  # frame stop−1 is the "before" of the next evaluation
        self._act, self._lev = a[keep:], lev[keep:]
        self._start += keep

    def _add(self, frame: int, c: int, tri: np.ndarray, level_db: float) -> None:
        y0, y1, y2 = (float(v) for v in tri)
        denom = y0 - 2.0 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
        time = (frame + float(np.clip(shift, -0.5, 0.5))) / FRAME_RATE + self._offset
        velocity = velocity_from_level(level_db, *self._vmap[c])
        hit = (time, c, velocity, y1)
        last = self._last.get(c)
        if last is not None and time - self._hits[last][0] < self._merge:
            if y1 > self._hits[last][3]:
                self._hits[last] = hit
            return
        self._last[c] = len(self._hits)
        self._hits.append(hit)


class DrumActivationStream:
    """Run the drum net over feature frames as they arrive and collect hits.

    Parameters
    ----------
    model : LoadedModel
        Verified net, metadata and device.
    threshold_scale : float
        Multiplies the per-class peak thresholds.

    Notes
    -----
    The net sees ``model.net.context`` frames either side of each frame; the stream pads the
    start and end with silence frames and carries the last ``2·context`` frames between
    forward passes of :data:`CHUNK` frames, so any split of the frames gives the same
    activations.
    """

    def __init__(self, model: LoadedModel, *, threshold_scale: float = 1.0,
                 views: int = len(BAND_SHIFTS)) -> None:
        if not 1 <= views <= len(BAND_SHIFTS):
            raise ValueError(f"views must be 1–{len(BAND_SHIFTS)}, got {views}")
        self._shifts = BAND_SHIFTS[:views]
        self._model = model
        self._ctx = model.net.context
        self._buf = np.full((self._ctx, N_BANDS), SILENCE_VALUE, np.float32)
        self._mask = band_masks(model.metadata.velocity_bands)
        self._picker = PeakPicker(model.metadata, threshold_scale=threshold_scale)
        self._activations: list[np.ndarray] | None = None

    def keep_activations(self) -> None:
        """Also keep every activation frame (for evaluation and tuning; memory grows)."""
        self._activations = []

    @property
    def activations(self) -> np.ndarray:
        """Activations ``[frames, classes]`` so far (after :meth:`keep_activations`)."""
        if not self._activations:
            return np.zeros((0, len(self._model.metadata.classes)), np.float32)
        return np.concatenate(self._activations)

    def feed(self, frames: np.ndarray) -> None:
        """Add feature frames ``[n, N_BANDS]``; runs the net on every whole chunk."""
        self._buf = np.concatenate([self._buf, np.asarray(frames, np.float32)])
        self._run(final=False)

    def finish(self) -> list[DrumHit]:
        """Process the remaining frames and return all hits."""
        self._buf = np.concatenate(
            [self._buf, np.full((self._ctx, N_BANDS), SILENCE_VALUE, np.float32)])
        self._run(final=True)
        return self._picker.finish()

    def _run(self, final: bool) -> None:
        """Run the net on chunks of exactly :data:`CHUNK` output frames.

        One input shape keeps oneDNN/cuDNN from preparing a new kernel per block length; the
        last, partial chunk is padded with silence and its extra outputs dropped.
        """
        ctx, span = self._ctx, CHUNK + 2 * self._ctx
        while len(self._buf) - 2 * ctx >= CHUNK or (final and len(self._buf) > 2 * ctx):
            n = min(CHUNK, len(self._buf) - 2 * ctx)
            chunk = self._buf[:span]
            if len(chunk) < span:
                pad = np.full((span - len(chunk), N_BANDS), SILENCE_VALUE, np.float32)
                chunk = np.concatenate([chunk, pad])
            act = self.activate(chunk)[:n]
            levels = class_levels(chunk[ctx:ctx + n], self._mask)
            if self._activations is not None:
                self._activations.append(act)
            self._picker.feed(act, levels)
            self._buf = self._buf[n:]

    def activate(self, chunk: np.ndarray) -> np.ndarray:
        """Sigmoid activations ``[len(chunk) − 2·context, classes]`` of a feature chunk."""
        net, device = self._model.net, self._model.device
        views = np.stack([band_shifted(chunk, shift) for shift in self._shifts])
        with torch.inference_mode():
            x = torch.from_numpy(views).to(device)
            return torch.sigmoid(net(x)).mean(dim=0).float().cpu().numpy()
