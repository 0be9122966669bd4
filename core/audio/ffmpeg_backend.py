"""Decoding and probing through the ffmpeg and ffprobe command-line tools.

Used for what libsndfile cannot read: M4A/AAC/ALAC, WMA, MP4 soundtracks and anything else
ffmpeg knows. Metadata comes from ``ffprobe -show_format -show_streams`` (fast: nothing is
decoded); audio comes from ``ffmpeg … -f f32le pipe:1`` read in chunks, so memory stays bounded.
Failures become :class:`FfmpegRefused` (cannot open), :class:`NoAudioStream` or
:class:`core.audio.sndfile_backend.DecodeFailed` (error while decoding).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.audio.buffer import AudioInfo
from core.audio.sndfile_backend import DecodeFailed

BACKEND = "ffmpeg"
NEEDS_FFMPEG = "needs ffmpeg: install it (e.g. apt install ffmpeg)"
PROBE_TIMEOUT_S = 60.0

_LOG_CONTEXT = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")  # "[mov,mp4 @ 0x55…] "
_LOSSLESS = ("pcm_", "flac", "alac", "wavpack", "ape", "tta", "mlp", "truehd", "wmalossless")
_TECHNICAL_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "handler_name",
                             "vendor_id", "language", "encoder", "creation_time"})
_FORMAT_NAMES = {"mp3": "MP3", "ogg": "OGG", "wav": "WAV", "aiff": "AIFF", "flac": "FLAC",
                 "caf": "CAF", "aac": "AAC", "w64": "W64", "matroska": "MKV", "webm": "WEBM"}


class FfmpegRefused(Exception):
    """ffprobe cannot read the file; ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoAudioStream(Exception):
    """The container opens but holds no audio stream."""


def ffmpeg_tools() -> tuple[str, str] | None:
    """Paths of ``ffmpeg`` and ``ffprobe`` when both are on ``PATH``, else ``None``."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg and ffprobe:
        return ffmpeg, ffprobe
    return None


def _last_line(text: str, path: Path) -> str:
    """The last non-empty line of a tool's stderr, without the file name it may repeat."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    line = _LOG_CONTEXT.sub("", lines[-1]).strip()
    prefix = f"{path}:"
    return line[len(prefix):].strip() if line.startswith(prefix) else line


def _run_ffprobe(ffprobe: str, path: Path) -> dict[str, Any]:
    """Run ffprobe on ``path`` and return its parsed JSON report."""
    cmd = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
           "-select_streams", "a:0", str(path)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise FfmpegRefused(f"ffprobe gave no answer within {PROBE_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise FfmpegRefused(f"cannot run ffprobe ({exc.strerror or exc})") from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise FfmpegRefused(_last_line(stderr, path) or f"ffprobe exit status {done.returncode}")
    try:
        report = json.loads(done.stdout.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError:
        raise FfmpegRefused("ffprobe returned unreadable output") from None
    return report if isinstance(report, dict) else {}


def _format_name(format_name: str, codec: str, path: Path) -> str:
    """Human container name (``"M4A"``, ``"WMA"``…) from ffprobe's ``format_name``."""
    first = format_name.split(",")[0]
    if first == "mov":
        return "M4A" if path.suffix.lower() in (".m4a", ".m4b", ".m4p") else "MP4"
    if first == "asf":
        return "WMA" if codec.startswith("wma") else "ASF"
    return _FORMAT_NAMES.get(first, first.upper() or "UNKNOWN")


def _number(value: Any, kind: type = float) -> Any:
    """``kind(value)`` or ``None`` when missing or not a number."""
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _frames(stream: dict[str, Any], rate: int, duration: float) -> int | None:
    """Exact frame count when the time base is the sample period, else an estimate or None."""
    ticks = _number(stream.get("duration_ts"), int)
    if ticks is not None and stream.get("time_base") == f"1/{rate}":
        return ticks
    return round(duration * rate) if duration > 0 else None


def _bit_depth(stream: dict[str, Any], codec: str) -> int | None:
    """Bits per sample for lossless codecs, ``None`` for lossy ones or when unknown."""
    if not codec.startswith(_LOSSLESS):
        return None
    bits = _number(stream.get("bits_per_raw_sample"), int) or _number(
        stream.get("bits_per_sample"), int)
    return bits or None


def _tags(report: dict[str, Any], stream: dict[str, Any]) -> dict[str, str]:
    """Descriptive tags (title, artist…) from the container and the stream, lower-case keys."""
    merged: dict[str, str] = {}
    for source in (stream.get("tags") or {}, (report.get("format") or {}).get("tags") or {}):
        for key, value in source.items():
            name = str(key).lower()
            if name not in _TECHNICAL_TAGS and value not in (None, ""):
                merged[name] = str(value)
    return merged


def ffprobe_info(path: Path, size_bytes: int, ffprobe: str) -> AudioInfo:
    """Describe ``path`` with ffprobe.

    Raises
    ------
    FfmpegRefused
        ffprobe fails, or reports an audio stream without channels or sample rate.
    NoAudioStream
        The container holds no audio stream.
    """
    report = _run_ffprobe(ffprobe, path)
    streams = report.get("streams") or []
    fmt = report.get("format") or {}
    if not streams:
        if fmt:
            raise NoAudioStream()
        raise FfmpegRefused("not a format ffmpeg recognises")
    stream = streams[0]
    codec = str(stream.get("codec_name") or "unknown")
    channels = _number(stream.get("channels"), int) or 0
    rate = _number(stream.get("sample_rate"), int) or 0
    if channels <= 0 or rate <= 0:
        raise FfmpegRefused(f"no decodable {codec} audio (0 channels or no sample rate)")
    duration = _number(stream.get("duration")) or _number(fmt.get("duration")) or 0.0
    return AudioInfo(
        path=str(path), format=_format_name(str(fmt.get("format_name", "")), codec, path),
        codec=codec, channels=channels, sample_rate=rate,
        frames=_frames(stream, rate, duration), duration=float(duration),
        bit_depth=_bit_depth(stream, codec), size_bytes=size_bytes,
        tags=_tags(report, stream), backend=BACKEND,
    )


class FfmpegDecoder:
    """Decode one file by piping ffmpeg's float32 output.

    Parameters
    ----------
    path
        The file.
    size_bytes
        Its size in bytes.
    tools
        ``(ffmpeg, ffprobe)`` executables, as from :func:`ffmpeg_tools`.

    Raises
    ------
    FfmpegRefused, NoAudioStream
        As :func:`ffprobe_info`.
    """

    frames_exact = False

    def __init__(self, path: Path, size_bytes: int, tools: tuple[str, str]) -> None:
        self.path = path
        self._ffmpeg = tools[0]
        self.info = ffprobe_info(path, size_bytes, tools[1])
        self.notes: list[str] = []

    def close(self) -> None:
        """Nothing to release: each :meth:`chunks` call owns its own process."""

    def _command(self, start: int, count: int | None) -> list[str]:
        """ffmpeg command line decoding ``count`` frames from frame ``start``."""
        rate = self.info.sample_rate
        cmd = [self._ffmpeg, "-nostdin", "-hide_banner", "-v", "error"]
        if start:
            cmd += ["-ss", f"{start / rate:.6f}"]
        cmd += ["-i", str(self.path), "-map", "0:a:0", "-vn"]
        if count is not None:
            cmd += ["-t", f"{(count + 1) / rate:.6f}"]
        return [*cmd, "-f", "f32le", "-ac", str(self.info.channels), "-ar", str(rate), "pipe:1"]

    def chunks(self, start: int, count: int | None, chunk_frames: int) -> Iterator[np.ndarray]:
        """Yield float32 ``[channels, n]`` chunks of up to ``chunk_frames`` frames.

        Parameters are as :meth:`core.audio.sndfile_backend.SndfileDecoder.chunks`.

        Raises
        ------
        DecodeFailed
            ffmpeg cannot be started or exits with an error; frames decoded before it have
            been yielded.
        """
        with tempfile.TemporaryFile() as errors:
            try:
                proc = subprocess.Popen(self._command(start, count), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=errors)
            except OSError as exc:
                raise DecodeFailed(f"cannot run ffmpeg ({exc.strerror or exc})", 0) from None
            at_eof = False
            try:
                done, at_eof = yield from self._read_pipe(proc, count, chunk_frames)
            finally:
                if not at_eof:
                    proc.kill()
                proc.wait()
                with contextlib.suppress(OSError):
                    proc.stdout.close()  # type: ignore[union-attr]
            errors.seek(0)
            message = _last_line(errors.read().decode("utf-8", "replace"), self.path)
            self._judge_exit(proc.returncode if at_eof else 0, message, done)

    def _read_pipe(self, proc: subprocess.Popen, count: int | None,
                   chunk_frames: int) -> Generator[np.ndarray, None, tuple[int, bool]]:
        """Yield chunks from ffmpeg's stdout; return ``(frames yielded, reached end of pipe)``."""
        channels = self.info.channels
        frame_bytes = 4 * channels
        done = 0
        while count is None or done < count:
            want = chunk_frames if count is None else min(chunk_frames, count - done)
            data = proc.stdout.read(want * frame_bytes)  # type: ignore[union-attr]
            frames = len(data) // frame_bytes
            if frames:
                samples = np.frombuffer(data, dtype="<f4", count=frames * channels)
                done += frames
                yield np.ascontiguousarray(samples.reshape(frames, channels).T, dtype=np.float32)
            if len(data) < want * frame_bytes:
                return done, True
        return done, False

    def _judge_exit(self, returncode: int, message: str, frames: int) -> None:
        """Raise :class:`DecodeFailed` on a failed exit; note complaints of a successful one."""
        if returncode != 0:
            raise DecodeFailed(message or f"ffmpeg exit status {returncode}", frames)
        if message:
            note = f"decoder reported errors: {message}"
            if note not in self.notes:
                self.notes.append(note)
