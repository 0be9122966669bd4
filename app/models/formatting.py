"""Plain-text formatting of analysis values for tables and panels (no Qt here)."""

from __future__ import annotations

import math

from app.models.session_model import TrackEntry, TrackStatus

DASH = "–"


def format_duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss`` past an hour); blank for ``None``."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_bpm(bpm: float | None) -> str:
    """Tempo with one decimal (``"120.0"``); blank for ``None``."""
    return "" if bpm is None else f"{bpm:.1f}"


def format_db(value: float | None, unit: str, *, decimals: int = 1) -> str:
    """A level such as ``"-14.2 LUFS"``; ``"–"`` when undefined; ``"-inf"`` at the silence floor."""
    if value is None or not math.isfinite(value):
        return DASH
    if value <= -199.0:
        return f"-inf {unit}"
    return f"{value:.{decimals}f} {unit}"


def format_lufs(value: float | None) -> str:
    """Integrated loudness for the table: ``"-14.2"``, blank when unknown."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.1f}"


def format_size(size_bytes: int) -> str:
    """Human-readable file size (``"1.4 MB"``)."""
    size = float(size_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"  # pragma: no cover


def format_sample_rate(rate: int) -> str:
    """``"44.1 kHz"``."""
    return f"{rate / 1000:g} kHz"


def format_channels(channels: int) -> str:
    """``"mono"``, ``"stereo"`` or ``"6 ch"``."""
    return {1: "mono", 2: "stereo"}.get(channels, f"{channels} ch")


def format_status(entry: TrackEntry) -> str:
    """Status column text: ``"analyzing 42%"`` while running, else the status name."""
    if entry.status is TrackStatus.ANALYZING:
        return f"analyzing {round(entry.progress * 100):d}%"
    return entry.status.value
