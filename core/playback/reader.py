"""Stream an audio file for playback: a background thread decodes ahead into a fixed buffer.

:class:`StreamingReader` is a :class:`core.playback.source.Source` over a file of any length.
The audio callback only copies from memory that was allocated when the reader was built; a
:class:`Prefetcher` thread does every disk read, decode and resampling step ahead of the
playhead. Memory is bounded by the prefetch window (a few seconds of audio), never the file:
a 60-minute track costs the same as a 3-minute one.

Buffer layout
-------------
The output timeline (frames at the *output* rate) is cut into fixed blocks of
:attr:`StreamingReader.block_frames`. The reader keeps a small pool of block *slots*
(``[slots, block_frames, channels]`` float32, allocated once) and a table of which block each
slot holds. The prefetch thread works out which blocks playback needs next — from the last
read position forward, wrapping at the loop end exactly like the mixer does, with the target
of an announced seek (:meth:`StreamingReader.hint`) first — decodes the first one missing,
and publishes it into a free slot (or one holding a block no longer needed).

Each slot carries a sequence number (a *seqlock*): the writer makes it odd before touching the
slot and even again afterwards; the reader copies and then re-checks the number, so it never
waits for the writer and never returns a half-written block — a block that is not ready (or
was being replaced) reads as silence and counts as an underrun (:attr:`underruns`).

Resampling
----------
When the file's rate differs from the output rate, each block is resampled on its own with
soxr (quality ``HQ``, as :mod:`core.audio.io`), from input that starts and ends a pre-roll
before and after the block. Block boundaries sit on the rates' common grid
(``gcd``-aligned), so block *k* is always the same samples whatever was played or sought
before it, and it equals soxr's whole-file resampling to float32 rounding (about 1e-7).
At the file's own rate the blocks are the decoded samples, bit for bit.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soxr

from core.audio.decode import OpenAudio, open_audio
from core.audio.sndfile_backend import DecodeFailed
from core.errors import InvalidParameter
from core.playback.source import map_channels

__all__ = ["DEFAULT_BLOCK_FRAMES", "DEFAULT_PREFETCH_SECONDS", "Prefetcher", "StreamingReader"]

DEFAULT_BLOCK_FRAMES = 8192
"""Target block length, in output frames (0.17 s at 48 kHz); rounded up to the rate grid."""

DEFAULT_PREFETCH_SECONDS = 3.0
"""How far ahead of the playhead the prefetch thread keeps audio decoded, in seconds."""

RESAMPLE_QUALITY = "HQ"
"""soxr quality preset (the same as :data:`core.audio.io.RESAMPLE_QUALITY`)."""

_MIN_PREROLL_FRAMES = 1024
"""Input frames decoded before and after a block that is resampled (longer than soxr's HQ
filter reaches), rounded up to the rates' grid."""

_DECODE_CHUNK_FRAMES = 1 << 15
_SPARE_SLOTS = 3


class Prefetcher:
    """One background thread that keeps several readers' buffers filled.

    Readers of one track (the mix and its stems) share one prefetcher so a 2-core machine
    runs one decoding thread, not seven. The thread visits its readers round-robin, one block
    each per turn, and sleeps ``idle_wait_s`` when none needs anything (or until
    :meth:`wake`).

    Parameters
    ----------
    idle_wait_s : float
        Sleep when every buffer is full, in seconds.
    """

    def __init__(self, *, idle_wait_s: float = 0.01) -> None:
        self._readers: tuple[StreamingReader, ...] = ()
        self._lock = threading.Lock()  # held while filling; never taken by the audio thread
        self._wake = threading.Event()
        self._stopping = False
        self._idle_wait_s = float(idle_wait_s)
        self._thread = threading.Thread(target=self._run, name="breakroom-prefetch",
                                        daemon=True)
        self._thread.start()

    def add(self, reader: StreamingReader) -> None:
        """Start filling ``reader``."""
        with self._lock:
            self._readers = (*self._readers, reader)
        self.wake()

    def remove(self, reader: StreamingReader) -> None:
        """Stop filling ``reader``; returns once the thread is not touching it."""
        with self._lock:
            self._readers = tuple(r for r in self._readers if r is not reader)

    def wake(self) -> None:
        """Look for work now rather than after the idle wait (not for the audio thread)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread.is_alive()

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread and join it (idempotent)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stopping:
            worked = False
            for reader in self._readers:
                with self._lock:
                    if self._stopping:
                        return
                    if reader in self._readers:
                        worked = reader.fill_step() or worked
            if not worked:
                self._wake.wait(self._idle_wait_s)
                self._wake.clear()


class _InputWindow:
    """Decoded input around the last request, read sequentially from the decoder.

    Consecutive blocks overlap by their pre-roll and follow each other, so the decoder's
    chunk generator is reused; a jump elsewhere restarts it at the new frame (libsndfile
    seeks; ffmpeg starts a new process). A decoder only seeks for a start above frame 0, so
    going back to the very start reopens the file.
    """

    def __init__(self, opened: OpenAudio, channels: int, total: int) -> None:
        self._opened = opened
        self._used = False
        self._channels = channels
        self._total = total
        self._gen: Iterator[np.ndarray] | None = None
        self._eof = False
        self._buf = np.zeros((0, channels), dtype=np.float32)
        self._buf_start = 0
        self.error: str | None = None

    def _restart(self, start: int) -> None:
        self.close_generator()
        if start == 0 and self._used:
            fresh = open_audio(self._opened.path)
            with contextlib.suppress(Exception):
                self._opened.close()
            self._opened = fresh
        self._used = True
        self._gen = self._opened.decoder.chunks(start, None, _DECODE_CHUNK_FRAMES)
        self._eof = False
        self._buf = np.zeros((0, self._channels), dtype=np.float32)
        self._buf_start = start

    def close_generator(self) -> None:
        """Stop the running chunk generator (kills an ffmpeg process)."""
        if self._gen is not None:
            close = getattr(self._gen, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
            self._gen = None

    def close(self) -> None:
        """Stop decoding and close the file."""
        self.close_generator()
        with contextlib.suppress(Exception):
            self._opened.close()

    def get(self, start: int, end: int) -> np.ndarray:
        """Input frames ``[start, end)`` as ``[end - start, channels]`` float32 (zeros past
        the end of the file or after a decoding error)."""
        count = end - start
        out = np.zeros((count, self._channels), dtype=np.float32)
        if start >= self._total or count <= 0:
            return out
        buf_end = self._buf_start + self._buf.shape[0]
        if self._gen is not None and self._buf_start <= start <= buf_end:
            parts = [self._buf[start - self._buf_start:]]
        else:
            self._restart(start)
            parts = []
        have = sum(p.shape[0] for p in parts)
        while have < count and not self._eof and self._gen is not None:
            try:
                chunk = next(self._gen)
            except StopIteration:
                self._eof = True
                break
            except DecodeFailed as exc:
                self.error = str(exc)
                self._eof = True
                break
            parts.append(np.ascontiguousarray(chunk.T, dtype=np.float32))
            have += chunk.shape[1]
        buf = parts[0] if len(parts) == 1 else np.concatenate(parts)
        self._buf = buf
        self._buf_start = start
        got = min(count, buf.shape[0])
        out[:got] = buf[:got]
        return out


class StreamingReader:
    """A file as a :class:`~core.playback.source.Source`, decoded ahead by a background thread.

    Parameters
    ----------
    path : path-like
        Any file :func:`core.audio.decode.open_audio` reads (libsndfile or ffmpeg).
    sample_rate : int
        Output rate in Hz; the file is resampled with soxr when its rate differs.
    channels : int
        Output channels (mono is repeated, extra channels folded: see
        :func:`core.playback.source.map_channels`).
    prefetch_seconds : float
        How much audio to keep decoded ahead of the playhead, in seconds.
    block_frames : int
        Target block length in output frames (rounded up to the rates' common grid).
    prefetcher : Prefetcher, None or False
        A shared :class:`Prefetcher`; ``None`` starts a private one (closed with the reader);
        ``False`` runs no thread: call :meth:`prefetch` yourself (deterministic tests).

    Raises
    ------
    core.errors.AudioLoadError
        The file cannot be opened (missing, not audio, unsupported …).
    InvalidParameter
        A rate, channel count or length out of range.
    """

    def __init__(self, path: str | Path, sample_rate: int, channels: int = 2, *,
                 prefetch_seconds: float = DEFAULT_PREFETCH_SECONDS,
                 block_frames: int = DEFAULT_BLOCK_FRAMES,
                 prefetcher: Prefetcher | bool | None = None) -> None:
        if not isinstance(sample_rate, int) or isinstance(sample_rate, bool) or not (
                1000 <= sample_rate <= 768_000):
            raise InvalidParameter(f"sample_rate must be an integer 1000–768000 Hz, "
                                   f"got {sample_rate!r}")
        if channels < 1:
            raise InvalidParameter(f"channels must be 1 or more, got {channels}")
        if block_frames < 64 or not prefetch_seconds > 0:
            raise InvalidParameter("block_frames must be at least 64 and prefetch_seconds "
                                   "above 0")
        opened = open_audio(path)
        info = opened.info
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.channels = int(channels)
        self.source_rate = int(info.sample_rate)
        self.source_channels = int(info.channels)
        frames = info.frames if info.frames is not None else round(info.duration
                                                                    * info.sample_rate)
        self.source_frames = int(frames)
        common = math.gcd(self.source_rate, sample_rate)
        self._up = sample_rate // common
        self._down = self.source_rate // common
        self.resampling = self.source_rate != sample_rate
        if self.resampling:
            self.frames = (2 * self.source_frames * self._up + self._down) // (2 * self._down)
            self.block_frames = self._up * math.ceil(block_frames / self._up)
            self._block_in = self.block_frames // self._up * self._down
            self._preroll = self._down * math.ceil(_MIN_PREROLL_FRAMES / self._down)
        else:
            self.frames = self.source_frames
            self.block_frames = int(block_frames)
            self._block_in = self.block_frames
            self._preroll = 0
        self._ahead_blocks = max(2, math.ceil(prefetch_seconds * sample_rate
                                              / self.block_frames))
        slots = self._ahead_blocks + _SPARE_SLOTS
        self._data = np.zeros((slots, self.block_frames, self.channels), dtype=np.float32)
        self._slot_block = [-1] * slots
        self._slot_seq = [0] * slots
        self._slot_of: dict[int, int] = {}
        self._cursor = 0
        self._hint: int | None = None
        self._loop: tuple[int, int] | None = None
        self._closed = False
        self.underruns = 0
        self._input = _InputWindow(opened, self.source_channels, self.source_frames)
        self._own_prefetcher: Prefetcher | None = None
        self._prefetcher: Prefetcher | None = None
        if prefetcher is None or prefetcher is True:
            self._own_prefetcher = self._prefetcher = Prefetcher()
        elif isinstance(prefetcher, Prefetcher):
            self._prefetcher = prefetcher
        if self._prefetcher is not None:
            self._prefetcher.add(self)

    # -- facts --------------------------------------------------------------------------------

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    @property
    def buffer_bytes(self) -> int:
        """Bytes of the block pool (the reader's whole sample memory; independent of the
        file's length)."""
        return int(self._data.nbytes)

    @property
    def error(self) -> str | None:
        """The decoding error that ended reading early, if any (the rest reads as silence)."""
        return self._input.error

    # -- Source protocol (audio thread) -------------------------------------------------------

    def read(self, start: int, out: np.ndarray) -> bool:
        """Copy frames ``[start, start + n)`` into ``out`` from prefetched blocks.

        Never waits, never reads the disk and allocates no sample buffer. Blocks not decoded
        yet (or being replaced at this instant) read as zeros: returns ``False`` and counts an
        underrun. Frames outside ``[0, frames)`` are zeros and not an underrun.
        """
        n = out.shape[0]
        total = self.frames
        size = self.block_frames
        complete = True
        done = 0
        while done < n:
            pos = start + done
            if pos < 0:
                m = min(n - done, -pos)
                out[done:done + m] = 0.0
                done += m
                continue
            if pos >= total:
                out[done:] = 0.0
                break
            block = pos // size
            offset = pos - block * size
            m = min(n - done, size - offset, total - pos)
            if not self._copy(block, offset, out[done:done + m]):
                out[done:done + m] = 0.0
                complete = False
            done += m
        self._cursor = start + n
        if not complete:
            self.underruns += 1
        return complete

    def _copy(self, block: int, offset: int, dest: np.ndarray) -> bool:
        slot = self._slot_of.get(block)
        if slot is None:
            return False
        seq = self._slot_seq[slot]
        if seq & 1 or self._slot_block[slot] != block:
            return False
        dest[:] = self._data[slot, offset:offset + dest.shape[0]]
        return self._slot_seq[slot] == seq and self._slot_block[slot] == block

    def follow(self, frame: int) -> None:
        """The playhead is at ``frame`` (the source was silent and not read)."""
        self._cursor = int(frame)

    def hint(self, frame: int) -> None:
        """Decode around ``frame`` first: a seek there is coming."""
        self._hint = max(0, int(frame))

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Prefetch across the loop wrap ``end`` → ``start`` (frames); ``None`` clears it."""
        if start is None or end is None or end <= start:
            self._loop = None
        else:
            self._loop = (max(0, int(start)), int(end))

    # -- prefetch (background thread) ---------------------------------------------------------

    def wanted_blocks(self) -> list[int]:
        """Blocks playback needs next, most urgent first.

        With a seek announced (:meth:`hint`): the prefetch window from the seek target, then
        the next two blocks at the playhead (it keeps playing until the seek lands).
        Otherwise the prefetch window from the playhead. Both follow the loop wrap.
        """
        total = self.frames
        if total <= 0:
            return []
        size = self.block_frames
        wanted: list[int] = []
        seen: set[int] = set()
        cursor = min(max(self._cursor, 0), total)
        hint = self._hint
        if hint is not None and (hint >= total or hint // size == cursor // size):
            self._hint = hint = None  # the seek has landed (or points nowhere)
        if hint is not None:
            self._walk(hint, self._ahead_blocks, wanted, seen)
            self._walk(cursor, len(wanted) + 2, wanted, seen)
        else:
            self._walk(cursor, self._ahead_blocks, wanted, seen)
        return wanted

    def _walk(self, position: int, limit: int, wanted: list[int], seen: set[int]) -> None:
        """Append the blocks played from ``position`` on (wrapping once at the loop end)
        until ``wanted`` holds ``limit`` blocks or the track ends."""
        total = self.frames
        size = self.block_frames
        wrapped = False
        while len(wanted) < limit:
            loop = self._loop
            if loop is not None and position < min(loop[1], total):
                end = min(loop[1], total)
                following: int | None = loop[0]
            else:
                end = total
                following = None
            if position >= end:
                return
            for block in range(position // size, (end - 1) // size + 1):
                if len(wanted) >= limit:
                    return
                if block not in seen:
                    seen.add(block)
                    wanted.append(block)
            if following is None or wrapped:
                return
            wrapped = True
            position = following

    def fill_step(self) -> bool:
        """Decode the most urgent missing block into a slot; ``False`` when none is missing
        (or no slot may be replaced, or the reader is closed)."""
        if self._closed:
            return False
        wanted = self.wanted_blocks()
        missing = next((b for b in wanted if b not in self._slot_of), None)
        if missing is None:
            return False
        keep = set(wanted)
        slot = next((i for i, b in enumerate(self._slot_block) if b < 0 or b not in keep),
                    None)
        if slot is None:
            return False
        samples = self._render_block(missing)
        self._publish(slot, missing, samples)
        return True

    def _publish(self, slot: int, block: int, samples: np.ndarray) -> None:
        self._slot_seq[slot] += 1  # odd: being written
        old = self._slot_block[slot]
        if old >= 0 and self._slot_of.get(old) == slot:
            del self._slot_of[old]
        self._slot_block[slot] = -1
        count = samples.shape[0]
        self._data[slot, :count] = samples
        if count < self.block_frames:
            self._data[slot, count:] = 0.0
        self._slot_block[slot] = block
        self._slot_seq[slot] += 1  # even: complete
        self._slot_of[block] = slot

    def _render_block(self, block: int) -> np.ndarray:
        """Samples of ``block`` at the output rate and channel count."""
        first = block * self.block_frames
        count = max(0, min(self.block_frames, self.frames - first))
        if not self.resampling:
            samples = self._input.get(first, first + count)
        else:
            start_in = block * self._block_in
            lo = max(0, start_in - self._preroll)
            hi = min(self.source_frames, start_in + self._block_in + self._preroll)
            chunk = self._input.get(lo, hi)
            resampled = soxr.resample(chunk, self.source_rate, self.sample_rate,
                                      RESAMPLE_QUALITY)
            if resampled.ndim == 1:
                resampled = resampled[:, np.newaxis]
            offset = (start_in - lo) * self._up // self._down
            samples = np.zeros((count, self.source_channels), dtype=np.float32)
            part = resampled[offset:offset + count]
            samples[:part.shape[0]] = part
        return map_channels(samples, self.channels)

    def prefetch(self) -> int:
        """Fill every wanted block now, on this thread; returns the blocks decoded.

        Only for a reader built with ``prefetcher=False`` (otherwise the thread does it).
        """
        if self._prefetcher is not None:
            raise RuntimeError("this reader has a prefetch thread; use wait_ready()")
        done = 0
        while self.fill_step():
            done += 1
        return done

    def ready(self, frame: int, frames: int) -> bool:
        """Whether frames ``[frame, frame + frames)`` are decoded (within the file)."""
        first = max(0, frame)
        last = min(self.frames, frame + frames) - 1
        if last < first:
            return True
        size = self.block_frames
        return all(b in self._slot_of for b in range(first // size, last // size + 1))

    def wait_ready(self, frame: int, frames: int, timeout_s: float = 2.0) -> bool:
        """Ask for ``[frame, frame + frames)`` first and wait (polling) until it is decoded
        (``frames`` within the prefetch window).

        For the caller's thread (tests, the engine before it starts playing), never the audio
        thread. Returns whether it got ready within ``timeout_s``.
        """
        self.hint(frame)
        if self._prefetcher is None:
            self.prefetch()
            return self.ready(frame, frames)
        self._prefetcher.wake()
        deadline = time.monotonic() + timeout_s
        while not self.ready(frame, frames):
            if time.monotonic() > deadline or self._closed:
                return False
            time.sleep(0.002)
        return True

    # -- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop prefetching and close the file (idempotent; not from the audio thread)."""
        if self._closed:
            return
        self._closed = True
        if self._prefetcher is not None:
            self._prefetcher.remove(self)
        if self._own_prefetcher is not None:
            self._own_prefetcher.close()
        self._input.close()

    def __enter__(self) -> StreamingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<StreamingReader {self.path.name!r} {self.source_rate}→{self.sample_rate} Hz "
                f"{self.frames} frames>")
