"""Chunked inference with overlap-add: a pure, streaming accumulator.

A separator runs on fixed-length chunks that overlap by ``overlap`` samples. Each chunk's output
is weighted by a window that is flat in the middle and ramps linearly over the overlap at both
ends (a chunk at the very start or end of the signal keeps full weight at its outer edge), so
neighbouring chunks cross-fade and the weights of the chunks covering any sample sum to a
positive value. :class:`OverlapAdd` accumulates ``weight × output`` and ``weight`` and hands
back finished samples (those no later chunk can touch) divided by their weight, so a stem of any
length is written as it is computed with memory bounded by one chunk.

All lengths are in samples; arrays are ``[..., samples]`` (any leading shape, e.g.
``[sources, channels]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.errors import InvalidParameter


@dataclass(frozen=True)
class Chunk:
    """One chunk: ``start``/``stop`` (samples) in the signal; ``first``/``last`` mark the chunks
    at the signal's ends (their outer edge is not faded)."""

    start: int
    stop: int
    first: bool
    last: bool

    @property
    def length(self) -> int:
        """Samples in the chunk."""
        return self.stop - self.start


def plan_chunks(total: int, chunk: int, overlap: int) -> list[Chunk]:
    """Chunks of ``chunk`` samples covering ``[0, total)``, each starting ``chunk − overlap``
    after the previous one; the last is shorter when the signal ends. Raises
    :class:`InvalidParameter` unless ``0 <= overlap < chunk`` and ``total >= 0``."""
    if chunk <= 0 or not 0 <= overlap < chunk or total < 0:
        raise InvalidParameter(f"need 0 <= overlap < chunk and total >= 0, got chunk {chunk}, "
                               f"overlap {overlap}, total {total}")
    if total == 0:
        return []
    step = chunk - overlap
    starts = list(range(0, max(total - overlap, 1), step))
    out = []
    for k, start in enumerate(starts):
        stop = min(start + chunk, total)
        out.append(Chunk(start, stop, k == 0, k == len(starts) - 1 or stop >= total))
        if stop >= total:
            break
    return out


def triangle_window(segment: int) -> np.ndarray:
    """Demucs' cross-fade: a triangle over the whole ``segment`` (peak 1 in the middle, never
    zero); a chunk of ``n`` samples uses its first ``n`` values. With 25 % overlap the
    neighbouring chunks cross-fade linearly, as in ``demucs.apply.apply_model``."""
    half = segment // 2
    w = np.concatenate([np.arange(1, half + 1), np.arange(segment - half, 0, -1)]).astype(float)
    return w / w.max()


def chunk_window(chunk: Chunk, overlap: int) -> np.ndarray:
    """Cross-fade weights (float64 ``[chunk.length]``) of one chunk: linear ramps of
    ``overlap`` samples at the inner edges, flat elsewhere, never zero."""
    n = chunk.length
    w = np.ones(n)
    if overlap > 0:
        ramp = (np.arange(1, overlap + 1) / (overlap + 1))[:n]
        if not chunk.first:
            w[:len(ramp)] = np.minimum(w[:len(ramp)], ramp)
        if not chunk.last:
            w[n - len(ramp):] = np.minimum(w[n - len(ramp):], ramp[::-1])
    return w


class OverlapAdd:
    """Streaming overlap-add of chunk outputs (see module docstring).

    Feed chunks in order with :meth:`add`; :meth:`ready` returns the samples no later chunk
    overlaps; :meth:`finish` returns the rest. The concatenation of everything returned is the
    weighted average of the chunk outputs over the whole signal.
    """

    def __init__(self, overlap: int) -> None:
        if overlap < 0:
            raise InvalidParameter(f"overlap must be >= 0, got {overlap}")
        self._overlap = overlap
        self._sum: np.ndarray | None = None   # [..., pending] weighted sum
        self._weight = np.zeros(0)            # [pending]
        self._origin = 0                      # signal position of pending sample 0
        self._emitted = 0

    @property
    def emitted(self) -> int:
        """Samples returned so far."""
        return self._emitted

    def add(self, chunk: Chunk, output: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Accumulate one chunk's ``output`` ``[..., chunk.length]``, weighted by ``weights``
        (``[chunk.length]``, positive; default :func:`chunk_window`)."""
        output = np.asarray(output, dtype=np.float64)
        if output.shape[-1] != chunk.length:
            raise InvalidParameter(f"chunk output has {output.shape[-1]} samples, "
                                   f"expected {chunk.length}")
        if chunk.start < self._origin:
            raise InvalidParameter("chunks must be added in order, after what was returned")
        w = chunk_window(chunk, self._overlap) if weights is None else np.asarray(weights, float)
        if w.shape != (chunk.length,) or np.any(w <= 0):
            raise InvalidParameter(f"chunk weights must be {chunk.length} positive values")
        end = chunk.stop - self._origin
        if self._sum is None:
            self._sum = np.zeros((*output.shape[:-1], 0))
        if end > self._sum.shape[-1]:
            grow = end - self._sum.shape[-1]
            self._sum = np.concatenate([self._sum, np.zeros((*output.shape[:-1], grow))],
                                       axis=-1)
            self._weight = np.concatenate([self._weight, np.zeros(grow)])
        a = chunk.start - self._origin
        self._sum[..., a:end] += output * w
        self._weight[a:end] += w

    def ready(self, next_start: int) -> np.ndarray:
        """Finished samples: everything before ``next_start``, where the next chunk begins."""
        return self._pop(next_start - self._origin)

    def finish(self) -> np.ndarray:
        """Everything still pending."""
        return self._pop(len(self._weight))

    def _pop(self, count: int) -> np.ndarray:
        if self._sum is None:
            return np.zeros(0)
        count = max(0, min(count, len(self._weight)))
        if count and np.any(self._weight[:count] <= 0):
            raise InvalidParameter("a sample has no chunk covering it")
        out = self._sum[..., :count] / self._weight[:count]
        self._sum = self._sum[..., count:]
        self._weight = self._weight[count:]
        self._origin += count
        self._emitted += count
        return out


def apply_chunked(signal: np.ndarray, separate: Callable[[np.ndarray], np.ndarray], chunk: int,
                  overlap: int) -> np.ndarray:
    """Run ``separate`` (``[..., n] → [..., k, n]`` or same-shaped) over ``signal`` in
    overlapping chunks and overlap-add the outputs (the in-memory form, for tests and short
    clips)."""
    total = signal.shape[-1]
    acc = OverlapAdd(overlap)
    parts = []
    plan = plan_chunks(total, chunk, overlap)
    for k, c in enumerate(plan):
        acc.add(c, separate(signal[..., c.start:c.stop]))
        nxt = plan[k + 1].start if k + 1 < len(plan) else total
        parts.append(acc.ready(nxt))
    parts.append(acc.finish())
    return np.concatenate([p for p in parts if p.size], axis=-1)
