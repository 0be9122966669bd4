"""Cut a loop out of a track (and its stems) into WAV files, sample-accurately.

The loop ``[start_s, end_s)`` seconds covers the frames ``[round(start_s * rate),
round(end_s * rate))`` of each file at its own sample rate (Hz); the WAV keeps that rate and
the channel count — no resampling, no mixing, and no fade unless ``fade_ms`` asks for one.
Only the loop is decoded: the source is opened with :mod:`core.audio` (same checks and errors
as :func:`core.audio.load`) and the reader seeks to the loop start, so a two-hour mix costs no
more than the loop.

Exactness: sources that libsndfile reads as integer PCM (WAV, AIFF, FLAC, CAF/ALAC, W64, RF64
…) are read as integers, so the WAV holds the very same sample values whenever the output
subtype has at least the source's bit depth (``PCM_24`` holds 8-, 16- and 24-bit sources,
``PCM_32`` and ``FLOAT`` 32-bit float sources). Float and lossy sources are decoded to float32
and rounded to the nearest step of the output subtype (clipped to full scale for PCM).

Files are written atomically (:func:`core.fileutil.write_output`: a temporary file beside
the destination, then a rename) and never replace an existing file unless ``overwrite``. The
loop is encoded in memory first (one copy, at the output bit depth), so the destination only
ever holds a complete file.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import soundfile as sf

from core.audio.checks import SignalChecker
from core.audio.decode import OpenAudio, decode, open_audio
from core.errors import CorruptAudio, InvalidParameter, OutputExists, PathError
from core.fileutil import write_output

__all__ = ["DEFAULT_SUBTYPE", "SUBTYPES", "AudioWriteError", "cut_loop", "cut_loops",
           "loop_frames"]

log = logging.getLogger(__name__)

DEFAULT_SUBTYPE = "PCM_24"
"""WAV subtype written when none is asked for."""

SUBTYPES: tuple[str, ...] = ("PCM_16", "PCM_24", "PCM_32", "FLOAT")
"""WAV subtypes :func:`cut_loop` writes."""

_BITS = {"PCM_16": 16, "PCM_24": 24, "PCM_32": 32}
_CHUNK_FRAMES = 1 << 16
_INTEGER_CODECS = ("PCM_S8", "PCM_U8", "PCM_16", "PCM_24", "PCM_32", "ALAC_")
_FULL_SCALE = float(2 ** 31)  # int32 full scale


class AudioWriteError(PathError):
    """An audio file cannot be written. ``path`` names it and ``reason`` says why."""


def _seconds(value: float) -> str:
    """``10.0``, ``12.3``, ``1.234``: seconds with one to three decimals."""
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _span(start_s: float, end_s: float) -> str:
    return f"loop {_seconds(start_s)}–{_seconds(end_s)} s"


def _check_loop(start_s: float, end_s: float) -> None:
    """Raise :class:`InvalidParameter` unless ``0 <= start_s < end_s`` (finite seconds)."""
    for name, value in (("start_s", start_s), ("end_s", end_s)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(value):
            raise InvalidParameter(f"{name} must be a finite number of seconds, got {value!r}")
    if start_s < 0:
        raise InvalidParameter(f"{_span(start_s, end_s)} starts before the track (0 s)")
    if start_s >= end_s:
        raise InvalidParameter(f"{_span(start_s, end_s)}: the start must be before the end")


def _check_options(subtype: str | None, fade_ms: float) -> str:
    """The subtype to write; raise :class:`InvalidParameter` on a bad subtype or fade."""
    chosen = DEFAULT_SUBTYPE if subtype is None else subtype
    if chosen not in SUBTYPES:
        raise InvalidParameter(f"subtype must be one of {', '.join(SUBTYPES)}, got {subtype!r}")
    if isinstance(fade_ms, bool) or not isinstance(fade_ms, (int, float, np.number)) \
            or not math.isfinite(fade_ms) or fade_ms < 0:
        raise InvalidParameter(f"fade_ms must be a finite number of milliseconds >= 0, "
                               f"got {fade_ms!r}")
    return chosen


def loop_frames(start_s: float, end_s: float, sample_rate: int) -> tuple[int, int]:
    """The frames ``(first, stop)`` of the loop ``[start_s, end_s)`` seconds at
    ``sample_rate`` Hz: ``(round(start_s * sample_rate), round(end_s * sample_rate))``."""
    return round(start_s * sample_rate), round(end_s * sample_rate)


def _integer_source(opened: OpenAudio) -> bool:
    """Whether libsndfile reads the source as integer PCM (read exactly as int32)."""
    info = opened.info
    return info.backend == "libsndfile" and info.format != "MP3" \
        and info.codec.startswith(_INTEGER_CODECS)


def _int_chunks(opened: OpenAudio, first: int, count: int) -> Iterator[np.ndarray]:
    """``[frames, channels]`` float64 chunks read as int32 (exact), in int32 full scale."""
    path = opened.path
    try:
        with sf.SoundFile(str(path)) as handle:
            handle.seek(first)
            done = 0
            while done < count:
                data = handle.read(min(_CHUNK_FRAMES, count - done), dtype="int32",
                                   always_2d=True)
                if not len(data):
                    return
                done += len(data)
                yield data.astype(np.float64) / _FULL_SCALE
    except (sf.LibsndfileError, sf.SoundFileError, RuntimeError, OSError) as exc:
        raise CorruptAudio(path, f"cannot read the loop: {exc}") from None


def _float_chunks(opened: OpenAudio, first: int, count: int) -> Iterator[np.ndarray]:
    """``[frames, channels]`` float64 chunks from the :mod:`core.audio` decoder."""
    checker = SignalChecker(opened.info.sample_rate)
    for chunk in decode(opened, first, count, _CHUNK_FRAMES, checker):
        yield chunk.T.astype(np.float64)


def _gain(position: int, frames: int, total: int, fade: int) -> np.ndarray | None:
    """Linear fade-in/fade-out gain of ``frames`` frames from ``position`` of a ``total``-frame
    loop with ``fade``-frame ramps (``None`` without fades)."""
    if fade <= 0:
        return None
    p = np.arange(position, position + frames, dtype=np.float64)
    return np.minimum(1.0, np.minimum(p, total - 1 - p) / fade)[:, np.newaxis]


def _quantize(x: np.ndarray, subtype: str) -> np.ndarray:
    """``x`` (full scale ±1) as the array handed to libsndfile for ``subtype``: float32 for
    ``FLOAT``, else int32 with the value rounded to the subtype's step (libsndfile keeps the
    top bits of an int32, so the step must be exact)."""
    if subtype == "FLOAT":
        return x.astype(np.float32)
    bits = _BITS[subtype]
    scale = float(2 ** (bits - 1))
    steps = np.clip(np.rint(x * scale), -scale, scale - 1).astype(np.int64)
    return (steps << (32 - bits)).astype(np.int32)


def _encode(source: str | os.PathLike[str], start_s: float, end_s: float, subtype: str,
            fade_ms: float) -> io.BytesIO:
    """Decode the loop of ``source`` and encode it as a WAV in memory."""
    with open_audio(source) as opened:
        info = opened.info
        rate = info.sample_rate
        first, stop = loop_frames(start_s, end_s, rate)
        count = stop - first
        if count < 1:
            raise InvalidParameter(f"{_span(start_s, end_s)} is shorter than one sample at "
                                   f"{rate} Hz")
        if opened.decoder.frames_exact and info.frames is not None and stop > info.frames:
            raise InvalidParameter(f"{opened.path}: {_span(start_s, end_s)} ends after the "
                                   f"track ({_seconds(info.duration)} s)")
        chunks = _int_chunks(opened, first, count) if _integer_source(opened) \
            else _float_chunks(opened, first, count)
        fade = min(round(fade_ms / 1000.0 * rate), count // 2)
        buffer = io.BytesIO()
        done, clipped = 0, False
        with contextlib.closing(chunks), \
                sf.SoundFile(buffer, "w", rate, info.channels, subtype, format="WAV") as out:
            for chunk in chunks:
                chunk = chunk[:count - done]
                gain = _gain(done, len(chunk), count, fade)
                if gain is not None:
                    chunk = chunk * gain
                clipped = clipped or (subtype != "FLOAT" and bool(np.any(np.abs(chunk) > 1.0)))
                out.write(_quantize(chunk, subtype))
                done += len(chunk)
                if done >= count:
                    break
        if done < count:
            length = (first + done) / rate
            raise InvalidParameter(f"{opened.path}: {_span(start_s, end_s)} ends after the "
                                   f"track ({_seconds(length)} s)")
    if clipped:
        log.warning("%s: the loop goes above full scale and was clipped in %s; "
                    "use subtype='FLOAT' to keep it", source, subtype)
    return buffer


def _check_destination(dest: Path, overwrite: bool) -> None:
    """Fail early on an existing file (unless ``overwrite``), a folder or a missing folder."""
    if dest.is_dir():
        raise AudioWriteError(dest, "cannot write the loop: the path is a folder")
    if not overwrite and (dest.exists() or dest.is_symlink()):
        raise OutputExists(dest)
    if not dest.parent.is_dir():
        raise AudioWriteError(dest, f"cannot write the loop: the folder {dest.parent} "
                                    "does not exist")


def _write(dest: Path, buffer: io.BytesIO, overwrite: bool) -> Path:
    """Write ``buffer`` to ``dest`` atomically; OS failures become :class:`AudioWriteError`."""
    return write_output(dest, buffer.getbuffer(), overwrite=overwrite, what="the loop",
                        error=AudioWriteError)


def cut_loop(source: str | os.PathLike[str], start_s: float, end_s: float,
             out_path: str | os.PathLike[str], *, overwrite: bool = False,
             subtype: str | None = None, fade_ms: float = 0.0) -> Path:
    """Write the loop ``[start_s, end_s)`` seconds of ``source`` to the WAV ``out_path``.

    Parameters
    ----------
    source
        Any file :mod:`core.audio` reads.
    start_s, end_s
        Loop start and end in seconds; the WAV holds the frames ``[round(start_s * rate),
        round(end_s * rate))`` at the source's sample rate (Hz) and channel count.
    out_path
        The WAV to write; its folder must exist.
    overwrite
        Replace an existing file (atomically).
    subtype
        One of :data:`SUBTYPES`; ``None`` writes ``PCM_24``. Ask for ``"FLOAT"`` to keep a
        float source (or its overs above 0 dBFS) as it is.
    fade_ms
        Length in milliseconds of a linear fade-in and fade-out (each end) against clicks;
        0 (the default) leaves the samples untouched.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    InvalidParameter
        The loop is empty, starts at or after its end, or ends after the track (``"<file>:
        loop 10.0–20.0 s ends after the track (12.3 s)"``); a bad ``subtype`` or ``fade_ms``.
    OutputExists
        ``out_path`` exists and ``overwrite`` is false; nothing is decoded or written.
    AudioWriteError
        ``out_path`` cannot be written (folder missing, permission denied, disk full, …);
        nothing is left behind.
    AudioLoadError
        ``source`` cannot be read (its subclasses, as :func:`core.audio.load`).
    """
    _check_loop(start_s, end_s)
    chosen = _check_options(subtype, fade_ms)
    dest = Path(out_path)
    _check_destination(dest, overwrite)
    buffer = _encode(source, start_s, end_s, chosen, fade_ms)
    return _write(dest, buffer, overwrite)


def _targets(sources: Mapping[str, str | os.PathLike[str]], out_dir: Path, pattern: str,
             track: str | None) -> dict[str, Path]:
    """The file each source is cut to; raise :class:`InvalidParameter` on a bad pattern."""
    if not sources:
        raise InvalidParameter("sources is empty: give at least one file to cut")
    if track is None:
        track = Path(sources["mix"] if "mix" in sources else next(iter(sources.values()))).stem
    targets: dict[str, Path] = {}
    seen: dict[str, str] = {}
    for name in sources:
        try:
            file_name = pattern.format(track=track, name=name)
        except (KeyError, IndexError, ValueError) as exc:
            raise InvalidParameter(f"stem_name_pattern {pattern!r} is not a valid pattern with "
                                   f"{{track}} and {{name}} ({exc!r})") from None
        if not file_name or file_name in (".", "..") or "/" in file_name \
                or os.sep in file_name or (os.altsep and os.altsep in file_name):
            raise InvalidParameter(f"stem_name_pattern {pattern!r} gives {file_name!r} for "
                                   f"{name!r}: not a plain file name")
        key = file_name.casefold()
        if key in seen:
            raise InvalidParameter(f"stem_name_pattern {pattern!r} gives the same file "
                                   f"{file_name!r} for {seen[key]!r} and {name!r}")
        seen[key] = name
        targets[name] = out_dir / file_name
    return targets


def cut_loops(sources: Mapping[str, str | os.PathLike[str]], start_s: float, end_s: float,
              out_dir: str | os.PathLike[str],
              stem_name_pattern: str = "{track}.{name}.loop.wav", *,
              track: str | None = None, overwrite: bool = False, subtype: str | None = None,
              fade_ms: float = 0.0) -> dict[str, Path]:
    """Cut the same loop from a mix and its stems, all or nothing.

    Parameters
    ----------
    sources
        Name → file, e.g. ``{"mix": "song.wav", "drums": "song.drums.flac"}``.
    start_s, end_s
        Loop start and end in seconds (each file is cut at its own sample rate, Hz).
    out_dir
        Folder for the loops (created when missing).
    stem_name_pattern
        File name of each loop, formatted with ``track`` and ``name`` (the source's key).
    track
        The track name in the pattern; ``None``: the file name (without extension) of the
        ``"mix"`` source, else of the first source.
    overwrite, subtype, fade_ms
        As :func:`cut_loop`.

    Returns
    -------
    dict[str, Path]
        Name → written loop, in the order of ``sources``.

    Raises
    ------
    OutputExists
        A target exists and ``overwrite`` is false: nothing is written.
    InvalidParameter, AudioLoadError
        As :func:`cut_loop` (bad loop, a source shorter than the loop, an unreadable source), or
        a pattern that gives bad or clashing file names: nothing is written.
    AudioWriteError
        A loop cannot be written; the loops this call had already created are removed again
        (with ``overwrite``, files already replaced stay replaced).

    Every loop is decoded and encoded (in memory) before the first file is written, so a
    problem with any source leaves the folder untouched.
    """
    _check_loop(start_s, end_s)
    chosen = _check_options(subtype, fade_ms)
    folder = Path(out_dir)
    targets = _targets(sources, folder, stem_name_pattern, track)
    if not overwrite:
        for dest in targets.values():
            if dest.exists() or dest.is_symlink():
                raise OutputExists(dest)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioWriteError(folder, f"cannot create the folder for the loops "
                                      f"({exc.strerror or exc})") from None
    for dest in targets.values():
        _check_destination(dest, overwrite)
    encoded = {name: _encode(sources[name], start_s, end_s, chosen, fade_ms)
               for name in targets}
    created: list[Path] = []
    try:
        for name, dest in targets.items():
            existed = dest.exists()
            _write(dest, encoded.pop(name), overwrite)
            if not existed:
                created.append(dest)
    except BaseException:
        for path in created:
            try:
                path.unlink()
            except OSError:
                log.warning("%s: could not remove a loop written before the failure", path)
        raise
    return targets
