"""Open a file with the right backend, vet what it holds, and decode it chunk by chunk.

This is where backend failures are turned into :mod:`core.errors` with a reason a person can act
on. :func:`open_audio` picks libsndfile for the containers it reads and falls back to ffmpeg;
:func:`decode` yields native-rate chunks, feeding a :class:`~core.audio.checks.SignalChecker` and
turning damage found while decoding into a warning (enough audio survived) or
:class:`~core.errors.CorruptAudio` (too little did).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from core.audio.buffer import AudioInfo
from core.audio.checks import SignalChecker
from core.audio.ffmpeg_backend import (
    NEEDS_FFMPEG,
    FfmpegDecoder,
    FfmpegRefused,
    NoAudioStream,
    ffmpeg_tools,
)
from core.audio.headers import Truncation, find_truncation
from core.audio.sndfile_backend import (
    DecodeFailed,
    SndfileDecoder,
    SndfileRefused,
    mp3_supported,
)
from core.audio.sniff import FFMPEG_CONTAINERS, SNDFILE_CONTAINERS, FileCheck, check_file
from core.errors import (
    AudioLoadError,
    BadSampleRate,
    CorruptAudio,
    NoAudioData,
    TooManyChannels,
    UnsupportedFormat,
)

MAX_CHANNELS = 8
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
USABLE_SECONDS = 1.0
"""A damaged file still loads (with a warning) when at least this much audio survives…"""
USABLE_FRACTION = 0.5
"""…or at least this fraction of what its header promises (short one-shot samples)."""

APPROX_SLACK_S = 0.5
APPROX_SLACK = 0.1
"""Shortfall (seconds, fraction) tolerated before an estimated length counts as truncation."""

Decoder = SndfileDecoder | FfmpegDecoder
_CONTAINER_NAMES = {"wav": "WAV", "rf64": "RF64", "w64": "W64", "aiff": "AIFF", "flac": "FLAC",
                    "ogg": "Ogg", "mp3": "MP3", "caf": "CAF", "au": "AU", "mp4": "M4A/MP4",
                    "asf": "WMA", "aac": "AAC"}


@dataclass
class OpenAudio:
    """An open decoder with the checks made on the way.

    Attributes
    ----------
    decoder
        The backend decoder; ``decoder.info`` describes the audio.
    check
        Result of the pre-decode file check (size, container).
    notes
        Warnings found before decoding (e.g. a truncated WAV header).
    """

    decoder: Decoder
    check: FileCheck
    notes: list[str]

    @property
    def info(self) -> AudioInfo:
        """What the decoder reports about the file."""
        return self.decoder.info

    @property
    def path(self) -> Path:
        """The file being decoded."""
        return self.check.path

    def close(self) -> None:
        """Release the decoder."""
        self.decoder.close()

    def __enter__(self) -> OpenAudio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def usable(present_s: float, promised_s: float) -> bool:
    """Whether ``present_s`` seconds of a file promising ``promised_s`` are worth loading."""
    if present_s <= 0:
        return False
    return present_s >= USABLE_SECONDS or present_s >= USABLE_FRACTION * promised_s


def _without_ffmpeg(check: FileCheck, refusal: str | None) -> AudioLoadError:
    """The error for a file that libsndfile refused (or never could read) and ffmpeg is absent."""
    name = _CONTAINER_NAMES.get(check.container or "", "")
    if check.container in FFMPEG_CONTAINERS:
        return UnsupportedFormat(check.path, f"{name} audio {NEEDS_FFMPEG}")
    if check.container == "mp3" and not mp3_supported():
        return UnsupportedFormat(check.path, f"MP3 audio needs libsndfile 1.1 or newer (this one "
                                             f"is {sf.__libsndfile_version__}) or ffmpeg: "
                                             "install it (e.g. apt install ffmpeg)")
    if check.container is None:
        return CorruptAudio(check.path, f"unrecognised data ({refusal}): the file is damaged, "
                                        f"not audio, or in a format that {NEEDS_FFMPEG}")
    return UnsupportedFormat(check.path, f"libsndfile cannot read this {name} file ({refusal}); "
                                         f"if it uses an unusual codec it {NEEDS_FFMPEG}")


def _undecodable(check: FileCheck, refusal: str | None, reason: str) -> AudioLoadError:
    """The error for a file that neither libsndfile nor ffmpeg can open."""
    if check.container is None:
        return CorruptAudio(check.path, "unrecognised data: does not match any audio format "
                                        "(the file is damaged or not audio)")
    name = _CONTAINER_NAMES.get(check.container, "audio")
    return CorruptAudio(check.path, f"damaged {name} file: {refusal or reason}")


def _open_ffmpeg(check: FileCheck, refusal: str | None) -> FfmpegDecoder:
    """Open ``check.path`` with ffmpeg, mapping its failures to :mod:`core.errors`."""
    tools = ffmpeg_tools()
    if tools is None:
        raise _without_ffmpeg(check, refusal)
    try:
        return FfmpegDecoder(check.path, check.size_bytes, tools)
    except NoAudioStream:
        raise NoAudioData(check.path, "contains no audio stream") from None
    except FfmpegRefused as exc:
        raise _undecodable(check, refusal, exc.reason) from None


def _vet(info: AudioInfo, path: Path) -> None:
    """Reject channel counts, sample rates and lengths Breakroom does not handle."""
    if info.channels > MAX_CHANNELS:
        raise TooManyChannels(
            path, f"has {info.channels} channels; Breakroom supports up to {MAX_CHANNELS}")
    if info.channels < 1:
        raise NoAudioData(path, "contains no audio channels")
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise BadSampleRate(
            path, f"sample rate {info.sample_rate} Hz is outside the supported range "
                  f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz")
    if info.frames == 0:
        raise NoAudioData(path, "contains no audio samples (0 frames)")


def _truncation_notes(check: FileCheck) -> list[str]:
    """A warning for a WAV/AIFF whose header promises more than the file holds."""
    cut = find_truncation(check.path, check.container, check.size_bytes)
    if cut is None:
        return []
    if not usable(cut.present_s, cut.promised_s):
        raise CorruptAudio(check.path, f"{cut.describe()}; too little audio to use")
    return [cut.describe()]


def _sndfile_first(container: str | None) -> bool:
    """Whether libsndfile should be tried before ffmpeg for this container."""
    if container == "mp3":
        return mp3_supported()
    return container is None or container in SNDFILE_CONTAINERS


def open_audio(path: str | Path) -> OpenAudio:
    """Check ``path``, open it with libsndfile or ffmpeg and vet its format.

    Raises
    ------
    FileMissing, NotAFile, EmptyFile, NotAudio, AudioLoadError
        From the file checks (missing, folder, empty, not audio, permission denied).
    UnsupportedFormat
        The format needs ffmpeg and ffmpeg is not installed.
    CorruptAudio
        Neither backend can open the file, or a WAV/AIFF holds too little of its promised audio.
    NoAudioData, TooManyChannels, BadSampleRate
        The audio is empty, has more than 8 channels or an absurd sample rate.
    """
    check = check_file(path)
    refusal: str | None = None
    decoder: Decoder | None = None
    if _sndfile_first(check.container):
        try:
            decoder = SndfileDecoder(check.path, check.size_bytes)
        except SndfileRefused as exc:
            refusal = exc.reason
    if decoder is None:
        decoder = _open_ffmpeg(check, refusal)
    try:
        notes = _truncation_notes(check)
        _vet(decoder.info, check.path)
    except AudioLoadError:
        decoder.close()
        raise
    return OpenAudio(decoder, check, notes)


def _decode_failure(opened: OpenAudio, exc: DecodeFailed, start: int,
                    checker: SignalChecker) -> None:
    """Turn a mid-decode error into a warning or raise :class:`CorruptAudio`."""
    rate = opened.info.sample_rate
    present = (start + exc.frames) / rate
    reason = exc.reason or "decoder error"
    if "decoder" in reason.lower() and "not found" in reason.lower():
        raise UnsupportedFormat(opened.path, f"this ffmpeg cannot decode {opened.info.codec} "
                                             f"audio ({reason}); a full ffmpeg build can")
    if exc.frames == 0 or not usable(present, opened.info.duration):
        raise CorruptAudio(opened.path, f"damaged or truncated audio: {reason}")
    checker.note(f"damaged: decoding stopped at {present:.2f} s of {opened.info.duration:.2f} s "
                 f"({reason})")


def _short_read(opened: OpenAudio, end_frame: int, checker: SignalChecker) -> None:
    """After reading to the end, warn (or raise) if fewer frames came than the header said.

    Lengths that are only estimated (MP3, most ffmpeg formats) get a tolerance of 0.5 s or
    10 %, whichever is larger.
    """
    frames, rate = opened.info.frames, opened.info.sample_rate
    if frames is None or end_frame >= frames:
        return
    missing_s = (frames - end_frame) / rate
    if not opened.decoder.frames_exact and missing_s <= max(APPROX_SLACK_S,
                                                            APPROX_SLACK * frames / rate):
        return
    cut = Truncation(frames / rate, end_frame / rate)
    if not usable(cut.present_s, cut.promised_s):
        raise CorruptAudio(opened.path, f"{cut.describe()}; too little audio to use")
    checker.note(cut.describe())


def decode(opened: OpenAudio, start: int, count: int | None, chunk_frames: int,
           checker: SignalChecker) -> Iterator[np.ndarray]:
    """Yield native-rate float32 ``[channels, n]`` chunks, feeding each to ``checker``.

    Parameters
    ----------
    opened
        From :func:`open_audio`.
    start
        First frame to decode.
    count
        Frames to decode, or ``None`` for everything to the end.
    chunk_frames
        Maximum frames per chunk.
    checker
        Receives every chunk, the pre-decode notes and any damage warnings.

    Raises
    ------
    CorruptAudio
        Decoding failed before enough audio was produced.
    UnsupportedFormat
        The installed ffmpeg lacks the decoder for the codec.
    """
    for note in opened.notes:
        checker.note(note)
    decoded = 0
    try:
        for chunk in opened.decoder.chunks(start, count, chunk_frames):
            decoded += chunk.shape[1]
            checker.feed(chunk)
            yield chunk
    except DecodeFailed as exc:
        _decode_failure(opened, exc, start, checker)
    else:
        if count is None:
            _short_read(opened, start + decoded, checker)
    for note in opened.decoder.notes:
        checker.note(note)
