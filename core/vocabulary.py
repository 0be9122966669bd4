"""Shared vocabulary: drum instrument names and their General MIDI drum notes.

Every module that names a drum uses these strings; nothing else is accepted in results.
"""

from __future__ import annotations

from types import MappingProxyType

DRUM_INSTRUMENTS: tuple[str, ...] = (
    "kick", "snare", "clap", "rim", "hihat_closed", "hihat_pedal", "hihat_open",
    "ride", "crash", "tom_low", "tom_mid", "tom_high", "percussion",
)
"""The drum instruments Breakroom detects, in display order (low to high, then cymbals)."""

GM_DRUM_NOTES = MappingProxyType({
    "kick": 36, "rim": 37, "snare": 38, "clap": 39, "tom_low": 45, "hihat_closed": 42,
    "hihat_pedal": 44, "tom_mid": 47, "hihat_open": 46, "tom_high": 50, "crash": 49,
    "ride": 51, "percussion": 56,
})
"""General MIDI percussion key (channel 10) for each instrument; the default drum map."""


def is_drum_instrument(name: str) -> bool:
    """Return whether ``name`` is one of :data:`DRUM_INSTRUMENTS`."""
    return name in GM_DRUM_NOTES
