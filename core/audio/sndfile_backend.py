"""Decoding and probing through libsndfile (the ``soundfile`` package).

libsndfile reads WAV, AIFF, FLAC, Ogg Vorbis/Opus, CAF, W64 and, from version 1.1, MP3. Its
exceptions never leave this module: opening failures become :class:`SndfileRefused` (the caller
may try ffmpeg) and failures while reading become :class:`DecodeFailed` carrying the number of
frames that were decoded before the damage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from core.audio.buffer import AudioInfo

BACKEND = "libsndfile"

_BIT_DEPTHS = {
    "PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32, "FLOAT": 32,
    "DOUBLE": 64, "ALAC_16": 16, "ALAC_20": 20, "ALAC_24": 24, "ALAC_32": 32, "DWVW_12": 12,
    "DWVW_16": 16, "DWVW_24": 24, "DPCM_8": 8, "DPCM_16": 16, "NMS_ADPCM_16": 16,
}
MP3_PREROLL_FRAMES = 4 * 1152
"""Frames decoded and discarded before an MP3 seek target: mpg123 restarts cold after a seek and
gets the first few hundred samples wrong."""

_FORMAT_NAMES = {"WAVEX": "WAV"}  # WAVE_FORMAT_EXTENSIBLE is still a .wav file to a person
_LIBSNDFILE_ERRORS = (sf.LibsndfileError, sf.SoundFileError, RuntimeError, OSError, ValueError,
                      TypeError, MemoryError)


class SndfileRefused(Exception):
    """libsndfile cannot open the file; ``reason`` is its message in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DecodeFailed(Exception):
    """Decoding stopped with an error after ``frames`` frames were produced."""

    def __init__(self, reason: str, frames: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.frames = frames


def libsndfile_reason(exc: BaseException, path: Path) -> str:
    """libsndfile's message without the "Error opening 'path':" prefix soundfile adds."""
    text = str(exc).strip()
    for prefix in (f"Error opening {str(path)!r}:", f"Error opening {path!s}:", "Error :"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    return text.rstrip(".") or type(exc).__name__


def mp3_supported() -> bool:
    """True if the installed libsndfile decodes MP3 (libsndfile >= 1.1)."""
    return "MP3" in sf.available_formats()


def _unseeking_reader(handle: sf.SoundFile) -> Callable[[np.ndarray], int] | None:
    """A float32 reader for ``handle`` that does not re-seek after each read, or ``None``.

    ``SoundFile.read`` seeks to its own position after every call. For MP3 that seek restarts
    mpg123 and corrupts a few hundred samples at every chunk boundary, so chunked MP3 reads go
    straight to ``sf_readf_float`` (soundfile's own binding) when it is available.
    """
    snd, ffi = getattr(sf, "_snd", None), getattr(sf, "_ffi", None)
    if snd is None or ffi is None or not hasattr(snd, "sf_readf_float"):
        return None

    def read(out: np.ndarray) -> int:
        pointer = ffi.cast("float *", out.ctypes.data)
        got = int(snd.sf_readf_float(handle._file, pointer, out.shape[0]))
        code = int(snd.sf_error(handle._file))
        if code:
            raise sf.LibsndfileError(code)
        return max(got, 0)

    return read


def _tags(handle: sf.SoundFile) -> dict[str, str]:
    """Non-empty metadata strings of an open file, keys in lower case."""
    try:
        meta = handle.copy_metadata()
    except _LIBSNDFILE_ERRORS:
        return {}
    return {str(k).lower(): str(v) for k, v in meta.items() if v}


class SndfileDecoder:
    """An open libsndfile handle with its :class:`AudioInfo`.

    Parameters
    ----------
    path
        The file.
    size_bytes
        Its size in bytes (reported in :attr:`info`).

    Raises
    ------
    SndfileRefused
        libsndfile cannot open the file.
    """

    def __init__(self, path: Path, size_bytes: int) -> None:
        self.path = path
        self.notes: list[str] = []
        try:
            self._file = sf.SoundFile(str(path))
        except _LIBSNDFILE_ERRORS as exc:
            raise SndfileRefused(libsndfile_reason(exc, path)) from None
        handle = self._file
        self._is_mp3 = handle.format == "MP3"
        self._raw_read = _unseeking_reader(handle) if self._is_mp3 else None
        # mpg123 estimates MP3 lengths; everything else libsndfile reads reports exact frames.
        self.frames_exact = handle.format != "MP3" and not handle.subtype.startswith("MPEG")
        frames = int(handle.frames) if handle.frames >= 0 else None
        rate = int(handle.samplerate)
        self.info = AudioInfo(
            path=str(path), format=_FORMAT_NAMES.get(handle.format, handle.format),
            codec=handle.subtype,
            channels=int(handle.channels), sample_rate=rate, frames=frames,
            duration=(frames or 0) / rate if rate > 0 else 0.0,
            bit_depth=_BIT_DEPTHS.get(handle.subtype), size_bytes=size_bytes,
            tags=_tags(handle), backend=BACKEND,
        )

    def close(self) -> None:
        """Release the file handle."""
        self._file.close()

    def chunks(self, start: int, count: int | None, chunk_frames: int) -> Iterator[np.ndarray]:
        """Yield float32 ``[channels, n]`` chunks of up to ``chunk_frames`` frames.

        Parameters
        ----------
        start
            First frame to read (seeks there without decoding what comes before).
        count
            Frames to read, or ``None`` for everything to the end.
        chunk_frames
            Maximum frames per chunk.

        Raises
        ------
        DecodeFailed
            libsndfile reported an error; frames decoded before it have been yielded.
        """
        done = 0
        self._seek(start)
        while count is None or done < count:
            want = chunk_frames if count is None else min(chunk_frames, count - done)
            got, error = self._read_into(want)
            if got.shape[1]:
                done += got.shape[1]
                yield got
            if error is not None:
                raise DecodeFailed(error, done)
            if got.shape[1] < want:
                return

    def _seek(self, start: int) -> None:
        """Position the decoder at frame ``start`` (MP3: with a discarded pre-roll)."""
        preroll = min(start, MP3_PREROLL_FRAMES) if self._is_mp3 else 0
        try:
            if start:
                self._file.seek(start - preroll)
        except _LIBSNDFILE_ERRORS as exc:
            raise DecodeFailed(f"cannot seek: {libsndfile_reason(exc, self.path)}", 0) from None
        if preroll:
            _, error = self._read_into(preroll)
            if error is not None:
                raise DecodeFailed(error, 0)

    def _read_into(self, want: int) -> tuple[np.ndarray, str | None]:
        """Read up to ``want`` frames; on error return what was decoded and the reason."""
        handle = self._file
        out = np.empty((want, handle.channels), dtype=np.float32)
        before = handle.tell()
        try:
            reader = self._raw_read
            got = out[: reader(out)] if reader is not None else handle.read(out=out)
            return np.ascontiguousarray(got.T), None
        except _LIBSNDFILE_ERRORS as exc:
            try:
                decoded = max(0, min(want, handle.tell() - before))
            except _LIBSNDFILE_ERRORS:
                decoded = 0
            return np.ascontiguousarray(out[:decoded].T), libsndfile_reason(exc, self.path)
