"""Content checks that turn into human-readable warnings, not errors.

Three things are reported: silence (peak below -90 dBFS), DC offset (a channel's mean beyond 1 %
of full scale) and clipping (samples at or above 0.999 of full scale in runs of at least three).
:class:`SignalChecker` accumulates the same statistics block by block so that a stream yields the
same warnings as the whole buffer.
"""

from __future__ import annotations

import math

import numpy as np

from core.errors import InvalidParameter

SILENCE_DBFS = -90.0
"""Peak level (dBFS) below which audio is reported as silent."""

DC_LIMIT = 0.01
"""Absolute channel mean (fraction of full scale) above which a DC offset is reported."""

CLIP_LEVEL = 0.999
"""Absolute sample value (fraction of full scale) that counts as clipped."""

CLIP_RUN = 3
"""Minimum run of consecutive clipped samples that counts as clipping."""

_CHUNK_FRAMES = 1 << 18
"""Frames checked at a time by :func:`signal_warnings`, bounding temporary memory."""


def _run_bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start (inclusive) and end (exclusive) indices of the runs of ``True`` in a 1-D mask."""
    edges = np.diff(mask.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


class SignalChecker:
    """Accumulate peak, mean and clipping statistics over consecutive blocks.

    Feed blocks in order with :meth:`feed`; :meth:`warnings` may be called at any time and
    reflects everything fed so far. Clipping runs that span block boundaries are joined.

    Parameters
    ----------
    sample_rate
        Sample rate in Hz (kept for context; the checks themselves are rate-independent).
    """

    def __init__(self, sample_rate: int | None = None) -> None:
        self.sample_rate = sample_rate
        self._channels: int | None = None
        self._frames = 0
        self._peak = 0.0
        self._sums = np.zeros(0, dtype=np.float64)
        self._clipped = 0
        self._open_runs = np.zeros(0, dtype=np.int64)
        self._notes: list[str] = []

    @property
    def frames(self) -> int:
        """Number of frames fed so far."""
        return self._frames

    def note(self, message: str) -> None:
        """Add a warning found elsewhere (e.g. a truncated file) to those reported."""
        if message not in self._notes:
            self._notes.append(message)

    def feed(self, block: np.ndarray) -> None:
        """Add one block of audio.

        Parameters
        ----------
        block
            Samples ``[channels, frames]`` (or 1-D for mono), any float dtype, full scale ±1.0.

        Raises
        ------
        InvalidParameter
            If the block is not 1-D/2-D or its channel count differs from earlier blocks.
        """
        data = np.asarray(block)
        if data.ndim == 1:
            data = data[np.newaxis, :]
        if data.ndim != 2:
            raise InvalidParameter(f"block must be [channels, frames], got shape {data.shape}")
        if self._channels is None:
            self._channels = data.shape[0]
            self._sums = np.zeros(self._channels, dtype=np.float64)
            self._open_runs = np.zeros(self._channels, dtype=np.int64)
        elif data.shape[0] != self._channels:
            raise InvalidParameter(
                f"block has {data.shape[0]} channels, earlier blocks had {self._channels}"
            )
        if data.shape[1] == 0:
            return
        self._frames += data.shape[1]
        self._sums += data.sum(axis=1, dtype=np.float64)
        magnitude = np.abs(data)
        block_peak = float(magnitude.max())
        self._peak = max(self._peak, block_peak)
        for ch in range(data.shape[0]):
            if block_peak >= CLIP_LEVEL:
                self._feed_clip_mask(ch, magnitude[ch] >= CLIP_LEVEL)
            else:
                self._close_run(ch)

    def _feed_clip_mask(self, ch: int, mask: np.ndarray) -> None:
        """Count finished clipped runs of channel ``ch``; carry an open run to the next block."""
        starts, ends = _run_bounds(mask)
        if starts.size == 0:
            self._close_run(ch)
            return
        lengths = ends - starts
        if starts[0] == 0:
            lengths[0] += self._open_runs[ch]
        else:
            self._close_run(ch)
        self._open_runs[ch] = 0
        if ends[-1] == mask.size:
            self._open_runs[ch] = lengths[-1]
            lengths = lengths[:-1]
        self._clipped += int(lengths[lengths >= CLIP_RUN].sum())

    def _close_run(self, ch: int) -> None:
        """End channel ``ch``'s open clipped run, counting it if long enough."""
        if self._open_runs[ch] >= CLIP_RUN:
            self._clipped += int(self._open_runs[ch])
        self._open_runs[ch] = 0

    def clipped_samples(self) -> int:
        """Samples (over all channels) in clipped runs of at least :data:`CLIP_RUN`."""
        open_runs = self._open_runs[self._open_runs >= CLIP_RUN]
        return self._clipped + int(open_runs.sum())

    def warnings(self) -> tuple[str, ...]:
        """Warnings for everything fed so far, plus any added with :meth:`note`."""
        found: list[str] = []
        if self._frames > 0:
            found.extend(self._signal_warnings())
        return tuple(found + self._notes)

    def _signal_warnings(self) -> list[str]:
        """Silence, DC-offset and clipping warnings from the accumulated statistics."""
        peak_db = 20.0 * math.log10(self._peak) if self._peak > 0 else -math.inf
        if peak_db < SILENCE_DBFS:
            level = "-inf" if math.isinf(peak_db) else f"{peak_db:.1f}"
            return [f"silent: peak {level} dBFS"]
        found = []
        means = self._sums / self._frames
        for ch, mean in enumerate(means):
            if abs(mean) > DC_LIMIT:
                found.append(
                    f"DC offset: channel {ch + 1} has mean {mean:+.4f} "
                    f"({abs(mean) * 100:.1f}% of full scale)"
                )
        clipped = self.clipped_samples()
        if clipped:
            total = self._frames * len(means)
            found.append(
                f"clipping: {clipped} samples ({clipped / total * 100:.3g}%) at full scale "
                f"in runs of {CLIP_RUN} or more"
            )
        return found


def signal_warnings(samples: np.ndarray, sample_rate: int | None = None) -> tuple[str, ...]:
    """Report silence, DC offset and clipping in ``samples`` as human-readable warnings.

    Parameters
    ----------
    samples
        Audio ``[channels, frames]`` (or 1-D for mono), full scale ±1.0.
    sample_rate
        Sample rate in Hz (informational).

    Returns
    -------
    tuple of str
        ``"silent: peak -inf dBFS"`` when the peak is below -90 dBFS; otherwise zero or more of
        ``"DC offset: channel N has mean +0.0500 (5.0% of full scale)"`` and
        ``"clipping: N samples (P%) at full scale in runs of 3 or more"``. Empty for clean
        audio and for zero frames.

    Raises
    ------
    InvalidParameter
        If ``samples`` is not 1-D or 2-D.
    """
    data = np.asarray(samples)
    checker = SignalChecker(sample_rate)
    if data.ndim != 2 or data.shape[1] <= _CHUNK_FRAMES:
        checker.feed(data)
    else:
        for begin in range(0, data.shape[1], _CHUNK_FRAMES):
            checker.feed(data[:, begin:begin + _CHUNK_FRAMES])
    return checker.warnings()
