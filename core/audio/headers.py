"""Detect truncated WAV and AIFF files by comparing the header with the file size.

libsndfile silently reads whatever is present when a WAV or AIFF file is cut short. These
functions read only the chunk headers and report how much audio the header promises and how much
is actually in the file, so the loader can warn (or refuse) with both numbers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # streaming writers leave the data size open
_AIFC_PCM = frozenset({b"NONE", b"sowt", b"twos", b"raw ", b"in24", b"in32", b"fl32", b"FL32",
                       b"fl64", b"FL64"})
_MAX_CHUNKS = 4096


@dataclass(frozen=True)
class Truncation:
    """How much audio a header promises and how much the file holds, in seconds."""

    promised_s: float
    present_s: float

    def describe(self) -> str:
        """``"truncated: header promises X s but only Y s of audio is present"``."""
        return (f"truncated: header promises {self.promised_s:.2f} s but only "
                f"{self.present_s:.2f} s of audio is present")


def _chunks(handle: BinaryIO, size: int, start: int, fmt: str):
    """Yield ``(chunk_id, data_offset, declared_size)`` for the chunks after ``start``."""
    pos = start
    for _ in range(_MAX_CHUNKS):
        if pos + 8 > size:
            return
        handle.seek(pos)
        header = handle.read(8)
        if len(header) < 8:
            return
        chunk_id, chunk_size = header[:4], struct.unpack(fmt, header[4:])[0]
        yield chunk_id, pos + 8, chunk_size
        pos += 8 + chunk_size + (chunk_size & 1)


def wav_truncation(handle: BinaryIO, size: int) -> Truncation | None:
    """Check a RIFF/WAVE file; ``None`` when complete or when the sizes cannot be judged."""
    byte_rate = 0
    for chunk_id, offset, chunk_size in _chunks(handle, size, 12, "<I"):
        if chunk_id == b"fmt " and chunk_size >= 16:
            handle.seek(offset)
            byte_rate = struct.unpack("<HHII", handle.read(12))[3]
        elif chunk_id == b"data":
            available = size - offset
            if byte_rate <= 0 or chunk_size in _UNKNOWN_SIZES or available >= chunk_size:
                return None
            return Truncation(chunk_size / byte_rate, max(available, 0) / byte_rate)
    return None


def _extended_to_float(raw: bytes) -> float:
    """Decode an 80-bit IEEE 754 extended float (AIFF sample rates)."""
    exponent = ((raw[0] & 0x7F) << 8) | raw[1]
    mantissa = int.from_bytes(raw[2:10], "big")
    if exponent == 0 and mantissa == 0:
        return 0.0
    value = mantissa * 2.0 ** (exponent - 16383 - 63)
    return -value if raw[0] & 0x80 else value


def aiff_truncation(handle: BinaryIO, size: int) -> Truncation | None:
    """Check a FORM/AIFF or AIFC file; ``None`` when complete or when it cannot be judged."""
    comm: tuple[int, int, int, float] | None = None
    ssnd: tuple[int, int] | None = None  # first audio byte, declared audio bytes
    for chunk_id, offset, chunk_size in _chunks(handle, size, 12, ">I"):
        handle.seek(offset)
        if chunk_id == b"COMM" and chunk_size >= 18:
            raw = handle.read(min(chunk_size, 22))
            channels, frames, bits = struct.unpack(">hIh", raw[:8])
            compression = raw[18:22] if len(raw) >= 22 else b"NONE"
            if compression not in _AIFC_PCM:
                return None
            comm = (channels, frames, bits, _extended_to_float(raw[8:18]))
        elif chunk_id == b"SSND" and chunk_size >= 8:
            data_offset = struct.unpack(">I", handle.read(4))[0]
            ssnd = (offset + 8 + data_offset, chunk_size - 8 - data_offset)
    if comm is None or ssnd is None:
        return None
    channels, frames, bits, rate = comm
    frame_bytes = channels * ((bits + 7) // 8)
    if frame_bytes <= 0 or rate <= 0:
        return None
    present = max(size - ssnd[0], 0) // frame_bytes
    if present >= frames:
        return None
    return Truncation(frames / rate, present / rate)


def find_truncation(path: Path, container: str | None, size: int) -> Truncation | None:
    """Return a :class:`Truncation` for a WAV/AIFF file cut short, else ``None``.

    Never raises: a header that cannot be parsed is left to the decoder to judge.
    """
    check = {"wav": wav_truncation, "aiff": aiff_truncation}.get(container or "")
    if check is None:
        return None
    try:
        with open(path, "rb") as handle:
            return check(handle, size)
    except (OSError, struct.error, ValueError, OverflowError):
        return None
