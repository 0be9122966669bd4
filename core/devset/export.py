"""Write generated clips to disk: 24-bit WAV plus JSON ground truth, atomically.

The JSON uses the field names of :mod:`core.results` (``tempo_bpm``, ``beats``,
``downbeats``, ``time_signature`` as ``"4/4"``, ``drum_hits`` with ``time``, ``instrument``,
``velocity``, ``confidence``) and adds ``style``, ``kit``, ``mix``, ``drum_to_rest_db``,
``swing_8th``, ``swing_16th``, ``tempo_changes``, ``humanized`` and the arrangement:
``bar_roles``, ``bar_starts`` (seconds) and ``bars_end`` (seconds; ``null`` when unknown).
Files written before the arrangement fields existed still load (with them empty).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from core.devset.truth import BAR_ROLES, Clip, GroundTruth
from core.errors import ResultFormatError
from core.fileutil import atomic_write_bytes, atomic_write_text
from core.results import DrumHit, TimeSignature

SCHEMA = "breakroom.devset"
SCHEMA_VERSION = 1


def truth_to_dict(truth: GroundTruth) -> dict[str, Any]:
    """JSON-ready form of ``truth``."""
    return {
        "tempo_bpm": truth.tempo_bpm, "beats": list(truth.beats),
        "downbeats": list(truth.downbeats), "time_signature": str(truth.time_signature),
        "drum_hits": [{"time": h.time, "instrument": h.instrument, "velocity": h.velocity,
                       "confidence": h.confidence} for h in truth.hits],
        "style": truth.style, "kit": truth.kit, "mix": truth.mix,
        "drum_to_rest_db": truth.drum_to_rest_db, "swing_8th": truth.swing_8th,
        "swing_16th": truth.swing_16th,
        "tempo_changes": [[t, bpm] for t, bpm in truth.tempo_changes],
        "humanized": truth.humanized, "bar_roles": list(truth.bar_roles),
        "bar_starts": list(truth.bar_starts), "bars_end": truth.bars_end,
    }


def truth_from_dict(data: dict[str, Any]) -> GroundTruth:
    """Inverse of :func:`truth_to_dict`; raises :class:`ResultFormatError` when malformed."""
    try:
        roles = tuple(str(r) for r in data.get("bar_roles", []))
        starts = tuple(float(t) for t in data.get("bar_starts", []))
        end = data.get("bars_end")
        if any(r not in BAR_ROLES for r in roles) or len(starts) != len(roles):
            raise ValueError(f"bar_roles must be {len(starts)} of {', '.join(BAR_ROLES)}")
        return GroundTruth(
            tempo_bpm=float(data["tempo_bpm"]), beats=tuple(map(float, data["beats"])),
            downbeats=tuple(map(float, data["downbeats"])),
            time_signature=TimeSignature.parse(data["time_signature"]),
            hits=tuple(DrumHit(float(h["time"]), str(h["instrument"]), int(h["velocity"]),
                               float(h["confidence"])) for h in data["drum_hits"]),
            style=str(data["style"]), kit=str(data["kit"]), mix=str(data["mix"]),
            drum_to_rest_db=data.get("drum_to_rest_db"), swing_8th=data.get("swing_8th"),
            swing_16th=data.get("swing_16th"),
            tempo_changes=tuple((float(t), float(b)) for t, b in data.get("tempo_changes", [])),
            humanized=bool(data.get("humanized", False)), bar_roles=roles, bar_starts=starts,
            bars_end=None if end is None else float(end))
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultFormatError(f"malformed development-set ground truth: {exc}") from None


def _wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.ascontiguousarray(samples.T), sample_rate, subtype="PCM_24",
             format="WAV")
    return buffer.getvalue()


def export_clip(clip: Clip, directory: str | Path, *, stem: bool = False,
                overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``<name>.wav`` (PCM 24) and ``<name>.json`` into ``directory`` (created).

    With ``stem``, a full mix also gets ``<name>.drums.wav`` (its drum stem), named in the
    JSON as ``drums_stem`` (a drums-only clip is its own stem).

    Returns
    -------
    (Path, Path)
        The WAV and JSON paths.

    Raises
    ------
    OutputExists
        A file exists and ``overwrite`` is false.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    wav, meta = out / f"{clip.name}.wav", out / f"{clip.name}.json"
    data = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "name": clip.name,
            "audio": wav.name, "sample_rate": clip.sample_rate, "duration": clip.duration,
            "drums_stem": None, **truth_to_dict(clip.truth)}
    atomic_write_bytes(wav, _wav_bytes(clip.samples, clip.sample_rate), overwrite=overwrite)
    if stem and clip.drums is not None and clip.truth.mix == "full":
        stem_path = out / f"{clip.name}.drums.wav"
        atomic_write_bytes(stem_path, _wav_bytes(clip.drums, clip.sample_rate),
                           overwrite=overwrite)
        data["drums_stem"] = stem_path.name
    atomic_write_text(meta, json.dumps(data, indent=1) + "\n", overwrite=overwrite)
    return wav, meta


def load_truth(json_path: str | Path) -> GroundTruth:
    """Read the ground truth written by :func:`export_clip`.

    Raises
    ------
    ResultFormatError
        The file is not a development-set ground truth of a supported version.
    OSError
        The file cannot be read.
    """
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultFormatError(f"{json_path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA \
            or data.get("schema_version") != SCHEMA_VERSION:
        raise ResultFormatError(f"{json_path}: not a development-set ground truth "
                                f"(schema {SCHEMA} version {SCHEMA_VERSION})")
    return truth_from_dict(data)
