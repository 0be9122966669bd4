"""A min/max pyramid for drawing the waveform of a file of any length.

One streaming pass over the file (mono mix of all channels) records the minimum and maximum of
every :data:`BUCKET_FRAMES` samples (level 0). Each next level combines :data:`LEVEL_FACTOR`
buckets of the level below, until a level has fewer than :data:`TOP_BUCKETS` buckets. A view of
any time range at any pixel width then reads the coarsest level that still has at least one
bucket per pixel, so drawing costs about the same for a 5-second zoom and a 60-minute overview.

Memory: level 0 holds ``2 × frames / 256`` float32 values, the levels above add a third of
that — about 6.6 MB for 60 minutes at 44.1 kHz, whatever the channel count.

Times are seconds from the start of the file, rates in Hz, samples at full scale ±1.0.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.audio.io import blocks, probe
from core.errors import InvalidParameter, ResultFormatError
from core.fileutil import atomic_write_bytes
from core.jobs import CancelToken, ProgressCallback, check_cancel, report

BUCKET_FRAMES = 256
"""Samples per bucket of level 0."""
LEVEL_FACTOR = 4
"""Buckets of one level combined into one bucket of the next."""
TOP_BUCKETS = 2048
"""Levels are added until the coarsest has fewer buckets than this."""
FORMAT_VERSION = 1
"""Version of the ``.npz`` cache layout written by :meth:`PeakPyramid.save`."""

_STREAM_BLOCK_S = 10.0


@dataclass(frozen=True, eq=False)
class PeakLevel:
    """One level of a :class:`PeakPyramid`.

    Attributes
    ----------
    frames_per_bucket
        Samples summarised by one bucket (256 · 4^level).
    mins, maxs
        float32 arrays, one value per bucket (the last bucket may cover fewer samples).
    """

    frames_per_bucket: int
    mins: np.ndarray
    maxs: np.ndarray

    @property
    def buckets(self) -> int:
        """Number of buckets."""
        return int(self.mins.shape[0])


def _reduce(values: np.ndarray, factor: int, func: np.ufunc) -> np.ndarray:
    """``func``-reduce consecutive groups of ``factor`` values (the last group may be short)."""
    count = values.shape[0]
    full = count // factor * factor
    out = func.reduce(values[:full].reshape(-1, factor), axis=1)
    if full < count:
        out = np.append(out, func.reduce(values[full:]))
    return out.astype(np.float32, copy=False)


class PeakPyramidBuilder:
    """Feed mono samples in any chunk sizes, then :meth:`finish` a :class:`PeakPyramid`.

    Only the incomplete last bucket (< 256 samples) is carried between chunks; level 0 grows by
    two float32 values per 256 samples.
    """

    def __init__(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise InvalidParameter(f"sample rate must be positive, got {sample_rate} Hz")
        self.sample_rate = int(sample_rate)
        self._frames = 0
        self._carry = np.zeros(0, np.float32)
        self._mins: list[np.ndarray] = []
        self._maxs: list[np.ndarray] = []

    @property
    def frames(self) -> int:
        """Samples fed so far."""
        return self._frames

    def add(self, samples: np.ndarray) -> None:
        """Append 1-D mono samples (any float dtype; stored as float32)."""
        data = np.asarray(samples, dtype=np.float32).reshape(-1)
        if not data.size:
            return
        self._frames += data.size
        if self._carry.size:
            data = np.concatenate([self._carry, data])
        full = data.size // BUCKET_FRAMES * BUCKET_FRAMES
        if full:
            grid = data[:full].reshape(-1, BUCKET_FRAMES)
            self._mins.append(grid.min(axis=1))
            self._maxs.append(grid.max(axis=1))
        self._carry = data[full:].copy()

    def finish(self) -> PeakPyramid:
        """The pyramid of everything fed (the builder may not be used afterwards)."""
        mins, maxs = list(self._mins), list(self._maxs)
        if self._carry.size:
            mins.append(np.array([self._carry.min()], np.float32))
            maxs.append(np.array([self._carry.max()], np.float32))
        level_mins = np.concatenate(mins) if mins else np.zeros(0, np.float32)
        level_maxs = np.concatenate(maxs) if maxs else np.zeros(0, np.float32)
        self._mins, self._maxs, self._carry = [], [], np.zeros(0, np.float32)
        return PeakPyramid(level_mins, level_maxs, self.sample_rate, self._frames)


class PeakPyramid:
    """Min/max summaries of a mono signal at 256, 1024, 4096, … samples per bucket.

    Build one with :meth:`from_file` (streaming), :meth:`from_samples` or a
    :class:`PeakPyramidBuilder`; read it with :meth:`view`.

    Parameters
    ----------
    mins, maxs
        Level 0: minimum and maximum of every 256 samples.
    sample_rate
        Sample rate of the summarised signal in Hz.
    frames
        Number of samples summarised.
    """

    def __init__(self, mins: np.ndarray, maxs: np.ndarray, sample_rate: int,
                 frames: int) -> None:
        mins = np.ascontiguousarray(mins, dtype=np.float32).reshape(-1)
        maxs = np.ascontiguousarray(maxs, dtype=np.float32).reshape(-1)
        if mins.shape != maxs.shape:
            raise InvalidParameter(f"mins and maxs differ in length: {mins.size} vs {maxs.size}")
        if sample_rate <= 0:
            raise InvalidParameter(f"sample rate must be positive, got {sample_rate} Hz")
        if mins.size != math.ceil(frames / BUCKET_FRAMES):
            raise InvalidParameter(
                f"{frames} frames need {math.ceil(frames / BUCKET_FRAMES)} buckets, "
                f"got {mins.size}")
        self.sample_rate = int(sample_rate)
        self.frames = int(frames)
        levels = [PeakLevel(BUCKET_FRAMES, mins, maxs)]
        while levels[-1].buckets >= TOP_BUCKETS:
            below = levels[-1]
            levels.append(PeakLevel(below.frames_per_bucket * LEVEL_FACTOR,
                                    _reduce(below.mins, LEVEL_FACTOR, np.minimum),
                                    _reduce(below.maxs, LEVEL_FACTOR, np.maximum)))
        for level in levels:
            level.mins.flags.writeable = False
            level.maxs.flags.writeable = False
        self.levels: tuple[PeakLevel, ...] = tuple(levels)

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_samples(cls, samples: np.ndarray, sample_rate: int) -> PeakPyramid:
        """Pyramid of in-memory audio: 1-D mono or ``[channels, frames]`` (mixed to mono)."""
        data = np.asarray(samples, dtype=np.float32)
        if data.ndim == 2:
            data = data.mean(axis=0, dtype=np.float32)
        builder = PeakPyramidBuilder(sample_rate)
        builder.add(data)
        return builder.finish()

    @classmethod
    def from_file(cls, path: str | Path, cancel: CancelToken | None = None,
                  progress: ProgressCallback | None = None) -> PeakPyramid:
        """Stream ``path`` once (mono mix, native rate) and build its pyramid.

        Parameters
        ----------
        path
            Any audio file :func:`core.audio.blocks` reads.
        cancel
            Checked between 10-second blocks; cancellation raises :class:`Cancelled`.
        progress
            Called with the fraction done and the stage ``"waveform"``.

        Raises
        ------
        Cancelled, AudioLoadError
            As :func:`core.audio.blocks`.
        """
        info = probe(path)
        expected = info.frames or max(1, round(info.duration * info.sample_rate))
        builder = PeakPyramidBuilder(info.sample_rate)
        report(progress, 0.0, "waveform")
        for block in blocks(path, seconds=_STREAM_BLOCK_S, mono=True, cancel=cancel):
            builder.add(block.samples[0])
            report(progress, builder.frames / expected, "waveform")
        check_cancel(cancel)
        pyramid = builder.finish()
        report(progress, 1.0, "waveform")
        return pyramid

    # -- properties -----------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        """Length of the summarised signal in seconds."""
        return self.frames / self.sample_rate

    @property
    def nbytes(self) -> int:
        """Bytes held by all levels."""
        return sum(level.mins.nbytes + level.maxs.nbytes for level in self.levels)

    def level_for(self, frames_per_pixel: float) -> PeakLevel:
        """The coarsest level with at least one bucket per pixel (level 0 when zoomed further)."""
        chosen = self.levels[0]
        for level in self.levels[1:]:
            if level.frames_per_bucket <= frames_per_pixel:
                chosen = level
        return chosen

    # -- reading --------------------------------------------------------------------------------

    def view(self, start_s: float, end_s: float, pixels: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Min/max envelope of ``start_s``–``end_s`` decimated to about ``pixels`` points.

        Reads the coarsest level with at least one bucket per pixel, then merges whole groups of
        buckets (aligned to the start of the file, so panning never makes the picture shimmer)
        until one to two points per pixel remain. One bucket beyond each end of the range
        is included so a drawn envelope reaches the edges.

        Parameters
        ----------
        start_s, end_s
            The visible range in seconds (clamped to the signal).
        pixels
            Width of the drawing in pixels (≥ 1).

        Returns
        -------
        times_s, mins, maxs
            float64 bucket-centre times in seconds and float32 minima/maxima, equal lengths
            (empty when the range holds no samples).
        """
        if not (math.isfinite(start_s) and math.isfinite(end_s)):
            raise InvalidParameter(f"view range must be finite, got {start_s}, {end_s}")
        pixels = max(1, int(pixels))
        start_s, end_s = max(0.0, float(start_s)), min(self.duration, float(end_s))
        empty = (np.zeros(0), np.zeros(0, np.float32), np.zeros(0, np.float32))
        if end_s <= start_s or self.frames == 0:
            return empty
        frames_per_pixel = (end_s - start_s) * self.sample_rate / pixels
        level = self.level_for(frames_per_pixel)
        size = level.frames_per_bucket
        group = max(1, int(frames_per_pixel // size))
        step = size * group
        first = max(0, int(start_s * self.sample_rate // step) - 1) * group
        last = min(level.buckets, (int(end_s * self.sample_rate // step) + 2) * group)
        mins, maxs = level.mins[first:last], level.maxs[first:last]
        if group > 1:
            mins = _reduce(mins, group, np.minimum)
            maxs = _reduce(maxs, group, np.maximum)
        starts = first * size + np.arange(mins.size, dtype=np.float64) * step
        ends = np.minimum(starts + step, self.frames)
        return (starts + ends) / (2.0 * self.sample_rate), mins, maxs

    # -- caching --------------------------------------------------------------------------------

    def save(self, path: str | Path, *, overwrite: bool = True) -> Path:
        """Write level 0 and the metadata to an ``.npz`` file atomically (levels are rebuilt
        by :meth:`load`)."""
        buffer = io.BytesIO()
        np.savez(buffer, version=np.int64(FORMAT_VERSION), sample_rate=np.int64(self.sample_rate),
                 frames=np.int64(self.frames), bucket_frames=np.int64(BUCKET_FRAMES),
                 mins=self.levels[0].mins, maxs=self.levels[0].maxs)
        return atomic_write_bytes(path, buffer.getbuffer(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> PeakPyramid:
        """Read a pyramid written by :meth:`save`.

        Raises
        ------
        ResultFormatError
            The file is not a pyramid of this format version (or is damaged).
        OSError
            The file cannot be read.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                version = int(data["version"])
                if version != FORMAT_VERSION or int(data["bucket_frames"]) != BUCKET_FRAMES:
                    raise ResultFormatError(
                        f"{path}: peak cache version {version} is not {FORMAT_VERSION}")
                return cls(data["mins"], data["maxs"], int(data["sample_rate"]),
                           int(data["frames"]))
        except (KeyError, ValueError, EOFError, zipfile.BadZipFile, InvalidParameter) as exc:
            raise ResultFormatError(f"{path}: not a peak cache ({exc})") from None
