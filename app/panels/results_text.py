"""What the results panel says about one analysis, as plain strings (no Qt here).

Each function returns rows ``(label, value)`` or short texts, so the panel only lays them out
and the wording is testable without widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models.formatting import (
    DASH,
    format_channels,
    format_db,
    format_duration,
    format_sample_rate,
    format_size,
)
from core.results import TrackAnalysis

Rows = list[tuple[str, str]]


@dataclass(frozen=True)
class Metric:
    """A headline number: ``title``, big ``value`` and a small ``detail`` line."""

    title: str
    value: str
    detail: str = ""


def headline_metrics(a: TrackAnalysis) -> list[Metric]:
    """Tempo, loudness, peak, duration and onset count for the card row."""
    tempo = a.tempo
    runner_up = tempo.runner_up if tempo else None
    tempo_detail = ""
    if tempo is not None:
        tempo_detail = f"confidence {tempo.confidence:.2f}"
        if runner_up is not None:
            tempo_detail += f" · or {runner_up.bpm:.1f}"
    loud = a.loudness
    loud_value = format_db(loud.integrated_lufs, "LUFS") if loud else DASH
    loud_detail = f"range {format_db(loud.loudness_range_lu, 'LU')}" if loud else "not measured"
    peak_value = format_db(loud.true_peak_dbtp, "dBTP") if loud else DASH
    peak_detail = f"sample {format_db(loud.sample_peak_dbfs, 'dBFS')}" if loud else ""
    f = a.file
    return [
        Metric("Tempo", f"{tempo.bpm:.1f} BPM" if tempo else DASH, tempo_detail),
        Metric("Loudness", loud_value, loud_detail),
        Metric("True peak", peak_value, peak_detail),
        Metric("Duration", format_duration(a.duration),
               f"{format_sample_rate(a.sample_rate)} · {format_channels(f.channels)}"),
        Metric("Onsets", str(len(a.onsets)), "detected attacks"),
    ]


def tempo_rows(a: TrackAnalysis) -> Rows:
    """Chosen tempo, confidence, runner-up and the ranked candidates."""
    tempo = a.tempo
    if tempo is None:
        return [("Tempo", "not detected")]
    rows: Rows = [("Tempo", f"{tempo.bpm:.2f} BPM"),
                  ("Confidence", f"{tempo.confidence:.2f}")]
    runner_up = tempo.runner_up
    rows.append(("Runner-up", f"{runner_up.bpm:.2f} BPM ({runner_up.confidence:.2f})"
                 if runner_up else "none"))
    if tempo.candidates:
        rows.append(("Candidates", ", ".join(f"{c.bpm:.1f} ({c.confidence:.2f})"
                                             for c in tempo.candidates[:6])))
    if a.time_signature is not None:
        rows.append(("Meter", str(a.time_signature)))
    if a.key is not None:
        rows.append(("Key", f"{a.key} ({a.key.confidence:.2f})"))
    return rows


def loudness_rows(a: TrackAnalysis) -> Rows:
    """BS.1770 integrated loudness, range, peaks and RMS."""
    loud = a.loudness
    if loud is None:
        return [("Loudness", "not measured (analysis.loudness is off)")]
    rows: Rows = [
        ("Integrated", format_db(loud.integrated_lufs, "LUFS")),
        ("Loudness range", format_db(loud.loudness_range_lu, "LU")),
        ("True peak", format_db(loud.true_peak_dbtp, "dBTP")),
        ("Sample peak", format_db(loud.sample_peak_dbfs, "dBFS")),
        ("RMS", format_db(loud.rms_dbfs, "dBFS")),
    ]
    if loud.max_momentary_lufs is not None:
        rows.append(("Max momentary", format_db(loud.max_momentary_lufs, "LUFS")))
    if loud.max_short_term_lufs is not None:
        rows.append(("Max short-term", format_db(loud.max_short_term_lufs, "LUFS")))
    return rows


def file_rows(a: TrackAnalysis) -> Rows:
    """Where the file is and what it contains."""
    f = a.file
    rows: Rows = [
        ("Path", f.path),
        ("Format", f.format or DASH),
        ("Audio", f"{format_sample_rate(f.sample_rate)}, {format_channels(f.channels)}"),
        ("Duration", f"{format_duration(a.duration)} ({a.duration:.2f} s)"),
        ("Size", format_size(f.size_bytes)),
    ]
    if f.content_hash:
        rows.append(("Content hash", f.content_hash[:16] + "…"))
    return rows


def onset_rows(a: TrackAnalysis) -> Rows:
    """Onset count and density."""
    count = len(a.onsets)
    rate = count / a.duration if a.duration > 0 else 0.0
    return [("Onsets", f"{count} ({rate:.1f} per second)")]


def backends_text(a: TrackAnalysis) -> str:
    """``"backends: decode: libsndfile · tempo: …"``, or "" when none were recorded."""
    if not a.backends:
        return ""
    return "backends: " + " · ".join(f"{b.part}: {b}" for b in a.backends)


def warning_lines(a: TrackAnalysis) -> list[str]:
    """The analysis warnings, one per line."""
    return list(a.warnings)
