"""Analysis results of one track: frozen dataclasses and their JSON-ready dictionaries.

Times are seconds from the start of the file, tempo in BPM, levels in dB / LUFS. Every field a
later stage has not filled is ``None`` or empty. :func:`to_dict` / :func:`from_dict` define the
serialised form (JSON, YAML); its top level carries ``schema_version``, ``tempo_bpm``,
``beats``, ``downbeats``, ``drum_hits`` and ``loop`` among others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.errors import InvalidParameter, ResultFormatError
from core.vocabulary import is_drum_instrument

SCHEMA_VERSION = 1
"""Version of the serialised form; bumped on any incompatible change."""

_PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_MODES = ("major", "minor")


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise InvalidParameter(f"{name} must be a finite number, got {value}")
    return value


def _unit(name: str, value: float) -> float:
    value = _finite(name, value)
    if not 0.0 <= value <= 1.0:
        raise InvalidParameter(f"{name} must be within 0–1, got {value}")
    return value


@dataclass(frozen=True)
class TempoCandidate:
    """One tempo hypothesis: ``bpm`` (beats per minute) and its ``confidence`` in 0–1."""

    bpm: float
    confidence: float

    def __post_init__(self) -> None:
        if _finite("tempo bpm", self.bpm) <= 0:
            raise InvalidParameter(f"tempo bpm must be positive, got {self.bpm}")
        _unit("tempo confidence", self.confidence)


@dataclass(frozen=True)
class Tempo:
    """The chosen tempo and the ranked alternatives (``candidates[0]`` is not required to be it).

    ``runner_up`` is the best candidate whose BPM differs from ``bpm`` by more than 2 %, the one a
    one-click flip (½×, 2×, …) offers.
    """

    bpm: float
    confidence: float
    candidates: tuple[TempoCandidate, ...] = ()

    def __post_init__(self) -> None:
        TempoCandidate(self.bpm, self.confidence)  # same validation

    @property
    def runner_up(self) -> TempoCandidate | None:
        """Best candidate at a clearly different tempo, or ``None``."""
        others = [c for c in self.candidates if abs(c.bpm - self.bpm) > 0.02 * self.bpm]
        return max(others, key=lambda c: c.confidence) if others else None


@dataclass(frozen=True)
class TimeSignature:
    """Meter such as 4/4, 3/4, 6/8."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if not 1 <= self.numerator <= 32 or self.denominator not in (1, 2, 4, 8, 16, 32):
            raise InvalidParameter(f"invalid time signature {self.numerator}/{self.denominator}")

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @classmethod
    def parse(cls, text: str) -> TimeSignature:
        """Parse ``"4/4"``; raises :class:`InvalidParameter` on anything else."""
        try:
            num, den = (int(part) for part in str(text).split("/"))
        except ValueError:
            raise InvalidParameter(f"time signature must look like '4/4', got {text!r}") from None
        return cls(num, den)


@dataclass(frozen=True)
class TempoSection:
    """A stretch of constant tempo: ``start``–``end`` in seconds at ``bpm`` with ``confidence``.

    A track with a tempo change, or a DJ mix, has several."""

    start: float
    end: float
    bpm: float
    confidence: float


@dataclass(frozen=True)
class DrumHit:
    """One drum hit: onset ``time`` (s), ``instrument`` (shared vocabulary), MIDI ``velocity``
    1–127 from the hit's energy, and detection ``confidence`` 0–1."""

    time: float
    instrument: str
    velocity: int
    confidence: float

    def __post_init__(self) -> None:
        if _finite("drum hit time", self.time) < 0:
            raise InvalidParameter(f"drum hit time must be >= 0 s, got {self.time}")
        if not is_drum_instrument(self.instrument):
            raise InvalidParameter(f"unknown drum instrument {self.instrument!r}")
        if not isinstance(self.velocity, int) or not 1 <= self.velocity <= 127:
            raise InvalidParameter(
                f"drum hit velocity must be an integer 1–127, got {self.velocity!r}")
        _unit("drum hit confidence", self.confidence)


@dataclass(frozen=True)
class Microtiming:
    """Deviation of one instrument's hits from the grid: mean and spread in milliseconds
    (positive = late), over ``count`` hits."""

    instrument: str
    mean_ms: float
    std_ms: float
    count: int


@dataclass(frozen=True)
class Groove:
    """Swing ratios (long/short duration of paired 8ths or 16ths; 1.0 straight, 2.0 triplet
    shuffle) and per-instrument microtiming."""

    swing_8th: float | None = None
    swing_16th: float | None = None
    microtiming: tuple[Microtiming, ...] = ()


@dataclass(frozen=True)
class Key:
    """Musical key: ``tonic`` pitch class (C, C#, …, B), ``mode`` major/minor, ``confidence``."""

    tonic: str
    mode: str
    confidence: float

    def __post_init__(self) -> None:
        if self.tonic not in _PITCH_CLASSES or self.mode not in _MODES:
            raise InvalidParameter(f"invalid key {self.tonic!r} {self.mode!r}")
        _unit("key confidence", self.confidence)

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@dataclass(frozen=True)
class Loop:
    """A loop region: ``start``/``end`` in seconds, length in ``bars``, optional ``score`` 0–1."""

    start: float
    end: float
    bars: int
    score: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= _finite("loop start", self.start) < _finite("loop end", self.end):
            raise InvalidParameter(
                f"loop must satisfy 0 <= start < end, got {self.start}, {self.end}")
        if self.bars < 1:
            raise InvalidParameter(f"loop bars must be >= 1, got {self.bars}")


@dataclass(frozen=True)
class Segment:
    """A structural section (intro, build, drop, breakdown, outro, …), ``start``–``end`` in s."""

    start: float
    end: float
    label: str
    confidence: float | None = None


@dataclass(frozen=True)
class Loudness:
    """Loudness per ITU-R BS.1770-4 / EBU R128. ``None`` where undefined (e.g. silence).

    Peaks and RMS of digital silence read −200 dB (a JSON-safe floor instead of −inf).
    """

    integrated_lufs: float | None
    loudness_range_lu: float | None
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    max_momentary_lufs: float | None = None
    max_short_term_lufs: float | None = None


@dataclass(frozen=True)
class FileInfo:
    """The analysed file: path, size, content hash (BLAKE2b hex) and its audio format."""

    path: str
    size_bytes: int
    content_hash: str | None
    format: str
    channels: int
    sample_rate: int
    duration: float

    @property
    def name(self) -> str:
        """File name without folders."""
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Backend:
    """What produced one part of the analysis (``part`` such as "tempo" or "loudness")."""

    part: str
    name: str
    version: str = ""
    device: str | None = None

    def __str__(self) -> str:
        text = f"{self.name} {self.version}".strip()
        return f"{text} on {self.device}" if self.device else text


@dataclass(frozen=True)
class TrackAnalysis:
    """Everything Breakroom knows about one track. Later stages fill more fields via
    :meth:`updated`; ``backends`` records which backend produced each part."""

    file: FileInfo
    duration: float
    sample_rate: int
    tempo: Tempo | None = None
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    time_signature: TimeSignature | None = None
    grid_confidence: float | None = None
    tempo_sections: tuple[TempoSection, ...] = ()
    onsets: tuple[float, ...] = ()
    drum_hits: tuple[DrumHit, ...] = ()
    groove: Groove | None = None
    key: Key | None = None
    loop: Loop | None = None
    segments: tuple[Segment, ...] = ()
    loudness: Loudness | None = None
    backends: tuple[Backend, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def tempo_bpm(self) -> float | None:
        """The chosen tempo in BPM, or ``None``."""
        return self.tempo.bpm if self.tempo else None

    def updated(self, **changes: Any) -> TrackAnalysis:
        """A copy with ``changes`` applied (dataclasses.replace)."""
        return replace(self, **changes)

    def backend(self, part: str) -> Backend | None:
        """The backend that produced ``part``, if recorded."""
        return next((b for b in self.backends if b.part == part), None)

    def with_backend(self, backend: Backend) -> TrackAnalysis:
        """A copy recording ``backend`` (replacing any earlier one for the same part)."""
        kept = tuple(b for b in self.backends if b.part != backend.part)
        return replace(self, backends=(*kept, backend))


# --------------------------------------------------------------------------- serialisation


def to_dict(analysis: TrackAnalysis) -> dict[str, Any]:
    """The JSON-ready form (plain dicts, lists, str, float, int, None)."""
    a = analysis
    tempo = a.tempo
    return {
        "schema_version": SCHEMA_VERSION,
        "file": {"path": a.file.path, "name": a.file.name, "size_bytes": a.file.size_bytes,
                 "content_hash": a.file.content_hash, "format": a.file.format,
                 "channels": a.file.channels, "sample_rate": a.file.sample_rate,
                 "duration": a.file.duration},
        "duration": a.duration,
        "sample_rate": a.sample_rate,
        "tempo_bpm": tempo.bpm if tempo else None,
        "tempo_confidence": tempo.confidence if tempo else None,
        "tempo_candidates": [{"bpm": c.bpm, "confidence": c.confidence}
                             for c in (tempo.candidates if tempo else ())],
        "beats": list(a.beats),
        "downbeats": list(a.downbeats),
        "time_signature": str(a.time_signature) if a.time_signature else None,
        "grid_confidence": a.grid_confidence,
        "tempo_sections": [_plain(t) for t in a.tempo_sections],
        "onsets": list(a.onsets),
        "drum_hits": [{"time": h.time, "instrument": h.instrument, "velocity": h.velocity,
                       "confidence": h.confidence} for h in a.drum_hits],
        "groove": _groove_to_dict(a.groove),
        "key": ({"tonic": a.key.tonic, "mode": a.key.mode, "confidence": a.key.confidence}
                if a.key else None),
        "loop": ({"start": a.loop.start, "end": a.loop.end, "bars": a.loop.bars,
                  "score": a.loop.score} if a.loop else None),
        "segments": [{"start": s.start, "end": s.end, "label": s.label,
                      "confidence": s.confidence} for s in a.segments],
        "loudness": _plain(a.loudness),
        "backends": {b.part: {"name": b.name, "version": b.version, "device": b.device}
                     for b in a.backends},
        "warnings": list(a.warnings),
    }


def _plain(obj: Any) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def _groove_to_dict(groove: Groove | None) -> dict[str, Any] | None:
    if groove is None:
        return None
    return {"swing_8th": groove.swing_8th, "swing_16th": groove.swing_16th,
            "microtiming": [_plain(m) for m in groove.microtiming]}


def from_dict(data: Mapping[str, Any]) -> TrackAnalysis:
    """Rebuild a :class:`TrackAnalysis` from :func:`to_dict` output.

    Raises :class:`ResultFormatError` naming the problem when ``data`` is not a result of a
    supported schema version or a field is malformed.
    """
    if not isinstance(data, Mapping):
        raise ResultFormatError("analysis result must be a mapping")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultFormatError(
            f"unsupported schema_version {version!r} (this Breakroom reads {SCHEMA_VERSION})")
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError, InvalidParameter) as exc:
        raise ResultFormatError(f"malformed analysis result: {exc}") from None


def _build(d: Mapping[str, Any]) -> TrackAnalysis:
    f = d["file"]
    tempo = None
    if d.get("tempo_bpm") is not None:
        tempo = Tempo(float(d["tempo_bpm"]), float(d.get("tempo_confidence") or 0.0),
                      tuple(TempoCandidate(float(c["bpm"]), float(c["confidence"]))
                            for c in d.get("tempo_candidates", ())))
    groove = d.get("groove")
    key = d.get("key")
    loop = d.get("loop")
    return TrackAnalysis(
        file=FileInfo(str(f["path"]), int(f["size_bytes"]), f.get("content_hash"),
                      str(f["format"]), int(f["channels"]), int(f["sample_rate"]),
                      float(f["duration"])),
        duration=float(d["duration"]),
        sample_rate=int(d["sample_rate"]),
        tempo=tempo,
        beats=_floats(d.get("beats", ())),
        downbeats=_floats(d.get("downbeats", ())),
        time_signature=(TimeSignature.parse(d["time_signature"])
                        if d.get("time_signature") else None),
        grid_confidence=d.get("grid_confidence"),
        tempo_sections=tuple(TempoSection(**t) for t in d.get("tempo_sections", ())),
        onsets=_floats(d.get("onsets", ())),
        drum_hits=tuple(DrumHit(float(h["time"]), str(h["instrument"]), int(h["velocity"]),
                                float(h["confidence"])) for h in d.get("drum_hits", ())),
        groove=(Groove(groove.get("swing_8th"), groove.get("swing_16th"),
                       tuple(Microtiming(**m) for m in groove.get("microtiming", ())))
                if groove else None),
        key=Key(key["tonic"], key["mode"], float(key["confidence"])) if key else None,
        loop=(Loop(float(loop["start"]), float(loop["end"]), int(loop["bars"]),
                   loop.get("score")) if loop else None),
        segments=tuple(Segment(float(s["start"]), float(s["end"]), str(s["label"]),
                               s.get("confidence")) for s in d.get("segments", ())),
        loudness=Loudness(**d["loudness"]) if d.get("loudness") else None,
        backends=tuple(Backend(part, b["name"], b.get("version", ""), b.get("device"))
                       for part, b in d.get("backends", {}).items()),
        warnings=tuple(str(w) for w in d.get("warnings", ())),
    )


def _floats(values: Iterable[Any]) -> tuple[float, ...]:
    return tuple(_finite("time", v) for v in values)
