"""Reading audio files: :func:`load` into memory, :func:`probe` metadata, :func:`blocks` streaming.

WAV, AIFF, FLAC, Ogg Vorbis/Opus, CAF, W64 and MP3 (libsndfile >= 1.1) are read with libsndfile;
M4A/AAC/ALAC, WMA and whatever else ffmpeg knows are read through the ``ffmpeg`` tool. Resampling
uses soxr. Every failure is a :class:`core.errors.AudioLoadError` naming the file and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soxr

from core.audio.buffer import AudioBlock, AudioBuffer, AudioInfo
from core.audio.checks import SignalChecker
from core.audio.decode import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, OpenAudio, decode, open_audio
from core.audio.files import AUDIO_EXTENSIONS, find_audio_files
from core.errors import CorruptAudio, InvalidParameter, NoAudioData
from core.jobs import CancelToken, check_cancel

__all__ = ["AUDIO_EXTENSIONS", "blocks", "find_audio_files", "load", "probe"]

RESAMPLE_QUALITY = "HQ"
"""soxr quality preset used for all resampling."""

_LOAD_CHUNK_FRAMES = 1 << 16


def _check_sample_rate(sample_rate: int | None) -> None:
    """Raise :class:`InvalidParameter` unless ``sample_rate`` is None or 1000-768000 Hz."""
    if sample_rate is None:
        return
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or not (
            MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE):
        raise InvalidParameter(f"sample_rate must be an integer from {MIN_SAMPLE_RATE} to "
                               f"{MAX_SAMPLE_RATE} Hz, got {sample_rate!r}")


def _check_seconds(name: str, value: float | None, *, allow_zero: bool) -> None:
    """Raise :class:`InvalidParameter` unless ``value`` is a finite, non-negative (positive)
    number of seconds."""
    if value is None:
        return
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if ok and math.isfinite(value) and (value > 0 or (allow_zero and value == 0)):
        return
    bound = ">= 0" if allow_zero else "> 0"
    raise InvalidParameter(f"{name} must be a finite number of seconds {bound}, got {value!r}")


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample ``[channels, frames]`` float32 from ``rate`` to ``target`` Hz with soxr."""
    if rate == target or samples.shape[1] == 0:
        return samples
    if samples.shape[0] == 1:
        return soxr.resample(samples[0], rate, target, RESAMPLE_QUALITY)[np.newaxis, :]
    out = soxr.resample(np.ascontiguousarray(samples.T), rate, target, RESAMPLE_QUALITY)
    return np.ascontiguousarray(out.T)


def _mono(samples: np.ndarray) -> np.ndarray:
    """Mean of the channels as ``[1, frames]`` float32."""
    if samples.shape[0] == 1:
        return samples
    return samples.mean(axis=0, dtype=np.float32)[np.newaxis, :]


def _frame_range(opened: OpenAudio, offset: float, duration: float | None,
                 ) -> tuple[int, int | None]:
    """First frame and frame count for ``offset``/``duration`` seconds; checks the offset."""
    info = opened.info
    start = round(offset * info.sample_rate)
    count = None if duration is None else max(1, round(duration * info.sample_rate))
    if start > 0 and info.frames is not None and opened.decoder.frames_exact and (
            start >= info.frames):
        raise NoAudioData(opened.path, _beyond_end(offset, info.duration))
    return start, count


def _beyond_end(offset: float, length: float) -> str:
    """Reason for an offset at or past the end of the audio."""
    return (f"offset {offset:g} s is at or beyond the end of the audio ({length:.2f} s long); "
            "nothing to load")


def _assemble(opened: OpenAudio, chunks: list[np.ndarray], offset: float,
              start: int) -> np.ndarray:
    """Join decoded chunks into one ``[channels, frames]`` array; raise if there are none."""
    if not chunks:
        if start > 0:
            raise NoAudioData(opened.path, _beyond_end(offset, opened.info.duration))
        raise NoAudioData(opened.path, "contains no audio samples (0 frames)")
    samples = chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=1)
    if samples.shape[0] != opened.info.channels:
        raise CorruptAudio(opened.path, f"decoder returned {samples.shape[0]} channels where "
                                        f"the header says {opened.info.channels}")
    return samples


def load(path: str | Path, *, mono: bool = False, sample_rate: int | None = None,
         offset: float = 0.0, duration: float | None = None) -> AudioBuffer:
    """Decode an audio file (or a slice of it) into memory.

    Parameters
    ----------
    path
        The file.
    mono
        Mix all channels to one (their mean).
    sample_rate
        Resample to this rate in Hz (1000-768000) with soxr; ``None`` keeps the file's rate.
    offset
        Start of the slice in seconds from the beginning (seeks; earlier audio is not decoded
        where the format allows).
    duration
        Length of the slice in seconds; ``None`` reads to the end. A slice running past the end
        is shortened.

    Returns
    -------
    AudioBuffer
        float32 ``[channels, frames]`` samples with warnings about silence, DC offset,
        clipping and damage (measured on the decoded audio before mixing/resampling).

    Raises
    ------
    InvalidParameter
        ``sample_rate``, ``offset`` or ``duration`` out of range (the message names it).
    FileMissing, NotAFile, EmptyFile, NotAudio, CorruptAudio, UnsupportedFormat,
    NoAudioData, TooManyChannels, BadSampleRate, AudioLoadError
        The file cannot be loaded; ``str(error)`` is ``"<path>: <reason>"``. An offset at or
        beyond the end raises :class:`NoAudioData`.
    """
    _check_sample_rate(sample_rate)
    _check_seconds("offset", offset, allow_zero=True)
    _check_seconds("duration", duration, allow_zero=False)
    with open_audio(path) as opened:
        rate = opened.info.sample_rate
        start, count = _frame_range(opened, offset, duration)
        checker = SignalChecker(rate)
        chunks = list(decode(opened, start, count, _LOAD_CHUNK_FRAMES, checker))
    samples = _assemble(opened, chunks, offset, start)
    del chunks
    if mono:
        samples = _mono(samples)
    if sample_rate is not None:
        samples = _resample(samples, rate, int(sample_rate))
    return AudioBuffer(samples, int(sample_rate or rate), str(path), checker.warnings())


def probe(path: str | Path) -> AudioInfo:
    """Describe an audio file without decoding its audio.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    AudioInfo
        Format, codec, channels, sample rate (Hz), frames, duration (seconds), bit depth, size,
        tags and the backend that reads it. MP3 frame counts may be approximate.

    Raises
    ------
    FileMissing, NotAFile, EmptyFile, NotAudio, CorruptAudio, UnsupportedFormat,
    NoAudioData, TooManyChannels, BadSampleRate, AudioLoadError
        As :func:`load`, for problems visible without decoding.
    """
    with open_audio(path) as opened:
        return opened.info


class _Rebuffer:
    """Collect ``[channels, n]`` chunks and hand them out in blocks of exactly ``size`` frames."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._parts: list[np.ndarray] = []
        self._count = 0

    def push(self, chunk: np.ndarray) -> None:
        """Append a chunk."""
        if chunk.shape[1]:
            self._parts.append(chunk)
            self._count += chunk.shape[1]

    def pop(self, final: bool = False) -> Iterator[np.ndarray]:
        """Yield full blocks; with ``final``, also the shorter remainder."""
        while self._count >= self.size or (final and self._count):
            joined = self._parts[0] if len(self._parts) == 1 else np.concatenate(self._parts, 1)
            take = min(self.size, self._count)
            rest = joined[:, take:]
            self._parts = [rest] if rest.shape[1] else []
            self._count -= take
            yield np.ascontiguousarray(joined[:, :take])


def _stream(opened: OpenAudio, target: int, block_frames: int, mono: bool,
            cancel: CancelToken | None, checker: SignalChecker) -> Iterator[AudioBlock]:
    """Decode, mix, resample and re-block ``opened``; closes it when done."""
    rate = opened.info.sample_rate
    native_chunk = max(1, math.ceil(block_frames * rate / target))
    width = 1 if mono else opened.info.channels
    resampler = (soxr.ResampleStream(rate, target, width, dtype="float32",
                                     quality=RESAMPLE_QUALITY) if rate != target else None)
    rebuffer = _Rebuffer(block_frames)
    index = 0
    try:
        check_cancel(cancel)
        for chunk in decode(opened, 0, None, native_chunk, checker):
            data = _mono(chunk) if mono else chunk
            if resampler is not None:
                data = resampler.resample_chunk(np.ascontiguousarray(data.T)).T
            rebuffer.push(data)
            for block in rebuffer.pop():
                check_cancel(cancel)
                yield AudioBlock(block, target, index * block_frames / target, index)
                index += 1
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros((0, width), np.float32), last=True)
            rebuffer.push(tail.T)
        for block in rebuffer.pop(final=True):
            check_cancel(cancel)
            yield AudioBlock(block, target, index * block_frames / target, index)
            index += 1
        if index == 0:
            raise NoAudioData(opened.path, "contains no audio samples (0 frames)")
    finally:
        opened.close()


def blocks(path: str | Path, *, seconds: float = 10.0, mono: bool = False,
           sample_rate: int | None = None, cancel: CancelToken | None = None,
           checker: SignalChecker | None = None) -> Iterator[AudioBlock]:
    """Stream a file in fixed-size blocks with bounded memory.

    The file is opened and checked when this function is called, so a bad file raises here;
    decoding happens as the iterator is consumed.

    Parameters
    ----------
    path
        The file.
    seconds
        Block length in seconds (at the output rate); the last block may be shorter.
    mono
        Mix all channels to one (their mean).
    sample_rate
        Resample to this rate in Hz (1000-768000) with a streaming soxr resampler.
    cancel
        Checked between blocks; cancellation raises :class:`core.errors.Cancelled`.
    checker
        If given, fed the decoded native-rate audio and damage notes, so that
        ``checker.warnings()`` after the stream equals ``load(path).warnings``.

    Yields
    ------
    AudioBlock
        float32 ``[channels, frames]`` blocks with their start time in seconds and index.

    Raises
    ------
    InvalidParameter
        ``seconds`` or ``sample_rate`` out of range.
    Cancelled
        ``cancel`` was set (raised from the iterator).
    FileMissing, NotAFile, EmptyFile, NotAudio, CorruptAudio, UnsupportedFormat,
    NoAudioData, TooManyChannels, BadSampleRate, AudioLoadError
        As :func:`load`; damage found while decoding is raised from the iterator.
    """
    _check_sample_rate(sample_rate)
    _check_seconds("seconds", seconds, allow_zero=False)
    opened = open_audio(path)
    target = int(sample_rate or opened.info.sample_rate)
    block_frames = round(seconds * target)
    if block_frames < 1:
        opened.close()
        raise InvalidParameter(f"seconds must cover at least one frame at {target} Hz, "
                               f"got {seconds!r}")
    return _stream(opened, target, block_frames, mono, cancel,
                   checker if checker is not None else SignalChecker(target))
