"""Read and write analysis results as JSON, YAML and CSV.

JSON and YAML carry the whole :class:`~core.results.TrackAnalysis`; CSV writes three tables
(beats, drum hits, segments) that spreadsheets and DAW scripts read directly. Every write is
atomic and refuses to replace an existing file unless ``overwrite`` is true.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml

from core.errors import InvalidParameter, OutputExists, ResultFormatError
from core.fileutil import atomic_write_text
from core.results import DrumHit, Segment, TrackAnalysis, from_dict, to_dict

FORMATS = ("json", "yaml", "csv")
"""Export formats understood by :func:`export_analysis`."""

CSV_TABLES = ("beats", "drums", "segments")


def dumps_json(analysis: TrackAnalysis) -> str:
    """Serialise to JSON text (UTF-8, indented, no NaN/Infinity)."""
    return json.dumps(to_dict(analysis), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def loads_json(text: str, *, source: str = "JSON") -> TrackAnalysis:
    """Parse :func:`dumps_json` output; raises :class:`ResultFormatError` naming ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultFormatError(f"{source}: not valid JSON ({exc})") from None
    return _from(data, source)


def dumps_yaml(analysis: TrackAnalysis) -> str:
    """Serialise to YAML text with the same structure as the JSON form."""
    return yaml.safe_dump(to_dict(analysis), sort_keys=False, allow_unicode=True)


def loads_yaml(text: str, *, source: str = "YAML") -> TrackAnalysis:
    """Parse :func:`dumps_yaml` output; raises :class:`ResultFormatError` naming ``source``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ResultFormatError(f"{source}: not valid YAML ({exc})") from None
    return _from(data, source)


def _from(data: object, source: str) -> TrackAnalysis:
    try:
        return from_dict(data)  # type: ignore[arg-type]
    except ResultFormatError as exc:
        raise ResultFormatError(f"{source}: {exc}") from None


def load_result(path: str | Path) -> TrackAnalysis:
    """Read a ``.json`` or ``.yaml``/``.yml`` result file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFormatError(f"{path}: cannot read ({exc})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return loads_yaml(text, source=str(path))
    return loads_json(text, source=str(path))


def beats_csv(analysis: TrackAnalysis) -> str:
    """CSV of the beat grid: ``time`` (s), ``bar`` (1-based, empty before the first downbeat),
    ``beat`` (1-based position in the bar), ``downbeat`` (0/1)."""
    downbeats = sorted(analysis.downbeats)
    down_set = set(downbeats)
    rows, bar, beat = [], 0, 0
    for t in analysis.beats:
        if t in down_set:
            bar, beat = bar + 1, 1
        elif bar:
            beat += 1
        rows.append((_num(t), bar or "", beat or "", int(t in down_set)))
    return _csv(("time", "bar", "beat", "downbeat"), rows)


def drum_hits_csv(analysis: TrackAnalysis) -> str:
    """CSV of drum hits: ``time`` (s), ``instrument``, ``velocity`` 1–127, ``confidence``."""
    rows = [(_num(h.time), h.instrument, h.velocity, _num(h.confidence))
            for h in analysis.drum_hits]
    return _csv(("time", "instrument", "velocity", "confidence"), rows)


def segments_csv(analysis: TrackAnalysis) -> str:
    """CSV of sections: ``start``, ``end`` (s), ``label``, ``confidence`` (may be empty)."""
    rows = [(_num(s.start), _num(s.end), s.label,
             "" if s.confidence is None else _num(s.confidence)) for s in analysis.segments]
    return _csv(("start", "end", "label", "confidence"), rows)


def read_drum_hits_csv(text: str) -> tuple[DrumHit, ...]:
    """Parse :func:`drum_hits_csv` output back into hits."""
    return tuple(DrumHit(float(r["time"]), r["instrument"], int(r["velocity"]),
                         float(r["confidence"])) for r in csv.DictReader(io.StringIO(text)))


def read_segments_csv(text: str) -> tuple[Segment, ...]:
    """Parse :func:`segments_csv` output back into segments."""
    return tuple(Segment(float(r["start"]), float(r["end"]), r["label"],
                         float(r["confidence"]) if r["confidence"] else None)
                 for r in csv.DictReader(io.StringIO(text)))


def read_beats_csv(text: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Parse :func:`beats_csv` output into ``(beats, downbeats)``."""
    rows = list(csv.DictReader(io.StringIO(text)))
    beats = tuple(float(r["time"]) for r in rows)
    downbeats = tuple(float(r["time"]) for r in rows if r["downbeat"] == "1")
    return beats, downbeats


def _num(value: float) -> str:
    return repr(float(value))


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def export_analysis(analysis: TrackAnalysis, out_dir: str | Path, *, fmt: str = "json",
                    stem: str | None = None, overwrite: bool = False) -> list[Path]:
    """Write ``analysis`` into ``out_dir`` and return the written paths.

    ``fmt`` is ``json`` (``<stem>.analysis.json``), ``yaml`` (``<stem>.analysis.yaml``) or
    ``csv`` (``<stem>.beats.csv``, ``<stem>.drums.csv``, ``<stem>.segments.csv``). ``stem``
    defaults to the track's file name without extension. Raises
    :class:`core.errors.OutputExists` rather than replacing a file unless ``overwrite``.
    """
    if fmt not in FORMATS:
        raise InvalidParameter(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = stem or Path(analysis.file.name).stem
    if fmt == "csv":
        texts = {out / f"{stem}.beats.csv": beats_csv(analysis),
                 out / f"{stem}.drums.csv": drum_hits_csv(analysis),
                 out / f"{stem}.segments.csv": segments_csv(analysis)}
    else:
        dump = dumps_json if fmt == "json" else dumps_yaml
        texts = {out / f"{stem}.analysis.{fmt}": dump(analysis)}
    if not overwrite:  # check all first so a batch of tables is never half-written
        for path in texts:
            if path.exists():
                raise OutputExists(path)
    for path, text in texts.items():
        atomic_write_text(path, text, overwrite=overwrite)
    return list(texts)
