"""The classic drum classifier: Breakroom's BASELINE, kept to measure the model against.

This is the rule from the user's documents, implemented faithfully so that the trained model
(:mod:`core.analysis.drum_model`) has something honest to beat. It is also the fallback when
the model's weights are missing or damaged. It reads the same log-mel frames as the model
(:mod:`core.analysis.drum_model.features`, 100 frames per second):

1. **Onsets** from the full-band spectral flux: the mean over mel bands of the half-wave
   rectified frame-to-frame increase in dB (band levels floored at −80 dB, so that noise in
   near-silent bands does not count); a frame is an onset when its flux is the maximum
   within ±3 frames (±30 ms), exceeds ``flux_ratio`` × the mean flux of the preceding second
   plus ``min_flux_db``, and the frame is louder than ``min_level_db``.
2. **Kick vs the rest**: energy below 150 Hz against energy above 2 kHz over the onset frame
   and the two after it; ``low > 0.8 · high`` is a kick.
3. **Snare vs hi-hat**: the spectral centroid (power-weighted mean band frequency) of the
   same frames; below ``centroid_split_hz`` is a snare, above is a closed hi-hat.

One onset yields one hit, so simultaneous hits (kick + hat) are reported as one instrument:
the rule's main weakness, with full mixes (bass lines fill the low band). Velocity maps the
onset's level (−60…0 dB) linearly to 1–127; confidence maps its flux to 0–1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.drum_model.features import (
    FRAME_RATE,
    band_frequencies,
    features_to_db,
)
from core.results import DrumHit

CLASSIC_NAME = "breakroom classic band-energy (baseline)"
CLASSIC_VERSION = "1"


@dataclass(frozen=True)
class ClassicParams:
    """Constants of the baseline rule (frequencies in Hz, levels in dB)."""

    low_cutoff_hz: float = 150.0
    high_cutoff_hz: float = 2000.0
    kick_ratio: float = 0.8
    centroid_split_hz: float = 6000.0
    flux_ratio: float = 1.5
    min_flux_db: float = 1.5
    min_level_db: float = -60.0
    flux_floor_db: float = -80.0
    peak_radius: int = 3
    history_frames: int = 100


class ClassicDrumStream:
    """Baseline drum hits from feature frames, block by block.

    Per frame it keeps five numbers (flux, low / high band power, centroid, level), about
    7 MB for an hour; hits are picked in :meth:`finish`.
    """

    def __init__(self, params: ClassicParams | None = None) -> None:
        self.params = p = params or ClassicParams()
        centres = band_frequencies()
        self._low = centres < p.low_cutoff_hz
        self._high = centres > p.high_cutoff_hz
        self._centres = centres.astype(np.float32)
        self._prev: np.ndarray | None = None
        self._rows: list[np.ndarray] = []

    def feed(self, frames: np.ndarray) -> None:
        """Add feature frames ``[n, N_BANDS]``."""
        if len(frames) == 0:
            return
        db = np.maximum(features_to_db(frames), self.params.flux_floor_db)
        prev = db[:1] if self._prev is None else self._prev[None, :]
        flux = np.maximum(np.diff(np.vstack([prev, db]), axis=0), 0.0).mean(axis=1)
        power = 10.0 ** (db / 10.0)
        total = power.sum(axis=1)
        centroid = (power @ self._centres) / np.maximum(total, 1e-12)
        self._rows.append(np.stack([flux, power[:, self._low].sum(axis=1),
                                    power[:, self._high].sum(axis=1), centroid,
                                    10.0 * np.log10(np.maximum(total, 1e-10))], axis=1))
        self._prev = db[-1]

    def finish(self) -> list[DrumHit]:
        """Pick onsets and classify them; hits sorted by time."""
        if not self._rows:
            return []
        rows = np.concatenate(self._rows)
        return [self._classify(rows, t) for t in self._onsets(rows[:, 0], rows[:, 4])]

    def _onsets(self, flux: np.ndarray, level: np.ndarray) -> list[int]:
        p = self.params
        n = len(flux)
        if n == 0:
            return []
        r = p.peak_radius
        padded = np.pad(flux, r, constant_values=-1.0)
        local_max = np.lib.stride_tricks.sliding_window_view(padded, 2 * r + 1).max(axis=1)
        cumsum = np.concatenate([[0.0], np.cumsum(flux)])
        idx = np.arange(n)
        lo = np.maximum(idx - p.history_frames, 0)
        history = (cumsum[idx] - cumsum[lo]) / np.maximum(idx - lo, 1)
        is_onset = ((flux >= local_max) & (flux > p.flux_ratio * history + p.min_flux_db)
                    & (level > p.min_level_db))
        onsets: list[int] = []
        for t in np.flatnonzero(is_onset):
            if not onsets or t - onsets[-1] > r:  # plateaus: keep the first frame
                onsets.append(int(t))
        return onsets

    def _classify(self, rows: np.ndarray, t: int) -> DrumHit:
        p = self.params
        window = rows[t:t + 3]
        low, high = window[:, 1].sum(), window[:, 2].sum()
        if low > p.kick_ratio * high:
            instrument = "kick"
        else:
            centroid = float(window[0, 3])
            instrument = "snare" if centroid < p.centroid_split_hz else "hihat_closed"
        level = float(window[:, 4].max())
        velocity = int(np.clip(round(1 + 126 * (level + 60.0) / 60.0), 1, 127))
        confidence = float(np.clip(rows[t, 0] / 20.0, 0.0, 1.0))
        return DrumHit(t / FRAME_RATE, instrument, velocity, confidence)
