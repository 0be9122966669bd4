"""The checksum schemes of SysEx dumps.

``sum7``: ``sum & 0x7F`` (Access Virus). ``twos7``: ``(-sum) & 0x7F`` (Roland DT1/RQ1, Yamaha
bulk dumps — "128 minus the sum mod 128"). Which bytes are summed depends on the format (see
``shared/reference/sysex-formats.md``); the decoders pass the exact range.
"""

from __future__ import annotations

from collections.abc import Iterable


def sum7(data: Iterable[int]) -> int:
    """``sum(data) & 0x7F`` (Access Virus)."""
    return sum(data) & 0x7F


def twos7(data: Iterable[int]) -> int:
    """``(-sum(data)) & 0x7F`` (Roland, Yamaha)."""
    return (-sum(data)) & 0x7F


SCHEMES = {"sum7": sum7, "twos7": twos7}


def guess_scheme(message: bytes) -> str:
    """A note on whether a known checksum scheme fits an unknown framed message.

    Tries the byte before ``F7`` as ``sum7``/``twos7`` over the bytes from each start offset
    1..12 (the manufacturer ID and a header of up to ~10 bytes are usually outside the sum).
    """
    if len(message) < 5 or message[-1] != 0xF7:
        return "too short or incomplete to check"
    body = message[1:-2]
    stored = message[-2]
    if len(body) < 4:
        return "too short to check"
    total = sum(body)
    prefix = 0
    hits: list[str] = []
    for start in range(1, min(13, len(message) - 3)):
        part = (total - prefix) & 0xFFFFFFFF
        if part & 0x7F == stored:
            hits.append(f"sum & 0x7F over bytes {start}..{len(message) - 3}")
        if (-part) & 0x7F == stored:
            hits.append(f"two's complement over bytes {start}..{len(message) - 3}")
        prefix += message[start]
        if hits:
            break
    if hits:
        return "fits " + hits[0] + " (may be chance: 1 in 128)"
    return "no known checksum scheme fits (may have none)"
