"""What the mixer plays: position-addressed sample sources at the output rate.

A :class:`Source` answers "give me frames ``[start, start + n)``" into a caller-owned buffer.
Reads are *position addressed* (the mixer owns the transport position), so a loop wrap or a
seek is just a read at another frame. Besides reading, a source is told where playback is
heading so a streaming source can prefetch: :meth:`Source.follow` (the playhead moved without a
read, e.g. while the source is silent), :meth:`Source.hint` (a seek to this frame is coming)
and :meth:`Source.set_loop` (reads will wrap from ``end`` back to ``start``).

Every method the mixer calls from the audio thread — ``read``, ``follow``, ``hint``,
``set_loop`` — must be cheap, must not block on a lock held by another thread, and must not
touch the disk. :class:`ArraySource` (samples already in memory) and
:class:`core.playback.reader.StreamingReader` (a file, prefetched by a background thread)
implement the protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from core.errors import InvalidParameter

__all__ = ["ArraySource", "Source"]


@runtime_checkable
class Source(Protocol):
    """A sample source at the mixer's rate and channel count.

    Attributes
    ----------
    frames : int
        Length in frames at the output rate; reads past it give silence.
    channels : int
        Channels of every read (the mixer's channel count).
    """

    frames: int
    channels: int

    def read(self, start: int, out: np.ndarray) -> bool:
        """Fill ``out`` (``[n, channels]`` float32) with frames ``[start, start + n)``.

        Frames past :attr:`frames` are zeros. Returns ``False`` when some frames were not
        available in time (a streaming source's underrun; they are zeros), else ``True``.
        """
        ...

    def follow(self, frame: int) -> None:
        """The playhead is at ``frame`` although this source was not read (it is silent)."""
        ...

    def hint(self, frame: int) -> None:
        """Playback is about to jump to ``frame``: start preparing it."""
        ...

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Reads will wrap from ``end`` back to ``start`` (frames); ``None`` clears the loop."""
        ...

    def close(self) -> None:
        """Release files and threads (idempotent)."""
        ...


class ArraySource:
    """A :class:`Source` over samples already in memory.

    Parameters
    ----------
    samples : np.ndarray
        ``[frames, channels]`` (or ``[frames]`` for mono), any float dtype; copied to a
        contiguous float32 array.
    channels : int or None
        Output channel count; ``None`` keeps the array's. A mono array is repeated on every
        output channel; more channels than asked are folded down (see
        :func:`map_channels`).
    """

    def __init__(self, samples: np.ndarray, channels: int | None = None) -> None:
        data = np.asarray(samples, dtype=np.float32)
        if data.ndim == 1:
            data = data[:, np.newaxis]
        if data.ndim != 2:
            raise InvalidParameter(f"samples must be [frames, channels], got shape {data.shape}")
        target = data.shape[1] if channels is None else int(channels)
        self._data = np.ascontiguousarray(map_channels(data, target))
        self.frames = int(self._data.shape[0])
        self.channels = target
        self.loop: tuple[int, int] | None = None
        self.cursor = 0

    @property
    def samples(self) -> np.ndarray:
        """The held samples, ``[frames, channels]`` float32 (read-only view)."""
        view = self._data.view()
        view.flags.writeable = False
        return view

    def read(self, start: int, out: np.ndarray) -> bool:
        """Copy frames ``[start, start + n)`` into ``out``; zeros outside the array."""
        n = out.shape[0]
        lo = max(0, start)
        hi = min(self.frames, start + n)
        if hi <= lo:
            out[:] = 0.0
        else:
            if lo > start:
                out[: lo - start] = 0.0
            out[lo - start: hi - start] = self._data[lo:hi]
            if hi < start + n:
                out[hi - start:] = 0.0
        self.cursor = start + n
        return True

    def follow(self, frame: int) -> None:
        """Remember the playhead (nothing to prepare)."""
        self.cursor = int(frame)

    def hint(self, frame: int) -> None:
        """Nothing to prepare: every frame is in memory."""

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Remember the loop (nothing to prepare)."""
        self.loop = None if start is None or end is None else (int(start), int(end))

    def close(self) -> None:
        """Nothing to release."""


def map_channels(samples: np.ndarray, channels: int) -> np.ndarray:
    """``[frames, C]`` samples as ``[frames, channels]``.

    Equal counts pass through; mono is repeated on every output channel; mono output is the
    mean of the input channels; otherwise output channel *k* is the mean of input channels
    *k*, *k + channels*, *k + 2·channels* … (so 4.0 → stereo averages front and rear of each
    side) and missing channels (stereo → 4 outputs) repeat the input cyclically.
    """
    if channels < 1:
        raise InvalidParameter(f"channels must be 1 or more, got {channels}")
    have = samples.shape[1]
    if have == channels:
        return samples
    if have == 1:
        return np.repeat(samples, channels, axis=1)
    if channels == 1:
        return samples.mean(axis=1, keepdims=True, dtype=np.float32)
    if have > channels:
        out = np.zeros((samples.shape[0], channels), dtype=np.float32)
        counts = np.zeros(channels, dtype=np.float32)
        for c in range(have):
            out[:, c % channels] += samples[:, c]
            counts[c % channels] += 1
        return out / counts
    return samples[:, [c % have for c in range(channels)]]
