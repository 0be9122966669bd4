"""A folder of MIDI+CC clips → fixed-length grid clips for the latent model, with a report.

Each ``.mid``/``.midi`` file is read onto the step grid (:mod:`core.latent.midi_io`) and cut at
its bar lines into segments of the model's length (``GridSpec.bars`` bars of 4/4; files in
another meter get as many whole bars as fit, padded with silence). A trailing part shorter
than half a bar less than a segment is dropped; a segment without notes is skipped.

Files are skipped — and the report says why — when they are corrupt or type-2 MIDI, have no
event on the configured CC list, have no notes, or are shorter than one segment.

The quality score (0–100 %) of a used file is the mean of four parts, each capped at 1:
CC events per beat / 5 (the user's "dense automation" threshold), automated controllers
(at least two distinct values) / 3, notes per bar / 2, and the file's length / one segment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.latent.clip import GridClip, GridSpec, Note, hold_curve, notes_to_rolls
from core.latent.errors import LatentDataError
from core.latent.midi_io import MidiPerformance, read_performance

MIDI_SUFFIXES = (".mid", ".midi", ".smf")
"""File name endings read as MIDI."""


@dataclass(frozen=True)
class FileReport:
    """One file's line of the dataset report.

    ``status`` is ``"used"`` or ``"skipped"`` (then ``reason`` says why); lengths in beats
    (quarter notes), bars and seconds at ``bpm``; ``cc_per_beat`` counts events of the
    configured controllers; ``quality`` is in percent (see the module docstring).
    """

    path: str
    status: str
    reason: str = ""
    notes: int = 0
    cc_events: int = 0
    cc_per_beat: float = 0.0
    beats: float = 0.0
    bars: float = 0.0
    seconds: float = 0.0
    bpm: float = 0.0
    segments: int = 0
    quality: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON)."""
        return asdict(self)


@dataclass(frozen=True)
class DatasetReport:
    """Every file looked at, used or skipped, in path order."""

    files: tuple[FileReport, ...]

    @property
    def used(self) -> tuple[FileReport, ...]:
        """Files that gave clips."""
        return tuple(f for f in self.files if f.status == "used")

    @property
    def skipped(self) -> tuple[FileReport, ...]:
        """Files that gave none, with the reason."""
        return tuple(f for f in self.files if f.status != "used")

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON)."""
        return {"files": [f.to_dict() for f in self.files], "used": len(self.used),
                "skipped": len(self.skipped),
                "segments": sum(f.segments for f in self.used)}


@dataclass(frozen=True)
class ClipArrays:
    """Clips stacked for the model: ``onsets``/``active`` ``[n, steps, 128]`` bool, ``cc``
    ``[n, steps, n_cc]`` float32 in 0–1, ``cc_present`` ``[n, n_cc]`` bool."""

    onsets: np.ndarray
    active: np.ndarray
    cc: np.ndarray
    cc_present: np.ndarray

    def __len__(self) -> int:
        return int(self.onsets.shape[0])

    def subset(self, index: Sequence[int] | np.ndarray) -> ClipArrays:
        """The clips at ``index``."""
        idx = np.asarray(index, dtype=int)
        return ClipArrays(self.onsets[idx], self.active[idx], self.cc[idx], self.cc_present[idx])


@dataclass(frozen=True)
class LatentDataset:
    """The usable clips of a folder, their grid and the report."""

    grid: GridSpec
    clips: tuple[GridClip, ...]
    report: DatasetReport

    def arrays(self) -> ClipArrays:
        """The clips stacked (see :class:`ClipArrays`)."""
        return stack_clips(self.clips, self.grid)


def stack_clips(clips: Sequence[GridClip], grid: GridSpec) -> ClipArrays:
    """Stack clips of the grid's length into :class:`ClipArrays`."""
    n, t, c = len(clips), grid.steps, grid.n_cc
    if n == 0:
        return ClipArrays(np.zeros((0, t, 128), bool), np.zeros((0, t, 128), bool),
                          np.zeros((0, t, c), np.float32), np.zeros((0, c), bool))
    return ClipArrays(np.stack([x.onsets for x in clips]), np.stack([x.active for x in clips]),
                      np.stack([x.cc for x in clips]).astype(np.float32),
                      np.stack([x.cc_present for x in clips]))


def tag_of(path: str | os.PathLike[str]) -> str:
    """The clip's tag: its file name up to the first ``_`` or ``-`` (``wobble_140_03.mid`` →
    ``wobble``)."""
    stem = Path(path).stem
    for sep in ("_", "-", " "):
        stem = stem.split(sep)[0]
    return stem or Path(path).stem


def find_midi_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """MIDI files among ``paths``; folders are searched recursively; sorted, no duplicates.

    Raises
    ------
    LatentDataError
        A path does not exist.
    """
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*")
                            if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise LatentDataError(path, "not found")
    unique: list[Path] = []
    for p in found:
        if p not in unique:
            unique.append(p)
    return unique


def _quality(perf: MidiPerformance, grid: GridSpec) -> float:
    beats = max(perf.length_beats, 1e-9)
    automated = sum(1 for events in perf.cc_events.values()
                    if len({round(v * 127) for _, v in events}) >= 2)
    bars = beats / perf.beats_per_bar
    parts = (min(1.0, perf.cc_event_count / beats / 5.0), min(1.0, automated / 3.0),
             min(1.0, len(perf.notes) / max(bars, 1e-9) / 2.0), min(1.0, bars / grid.bars))
    return 100.0 * float(np.mean(parts))


def _segment_steps(perf: MidiPerformance, grid: GridSpec) -> tuple[int, int]:
    """(bar length, segment length) in steps for this file's meter."""
    bar = max(1, round(perf.beats_per_bar * grid.steps_per_beat))
    return bar, min(grid.steps, max(1, grid.steps // bar) * bar)


def performance_clips(perf: MidiPerformance, grid: GridSpec) -> list[GridClip]:
    """Cut a read performance into grid clips at its bar lines (see the module docstring)."""
    bar, seg = _segment_steps(perf, grid)
    count = int((perf.length_steps + bar // 2) // seg)
    total = max(count * seg, perf.length_steps)
    curves = np.zeros((total, grid.n_cc), dtype=np.float32)
    present = np.zeros(grid.n_cc, dtype=bool)
    for k, number in enumerate(grid.cc_numbers):
        events = perf.cc_events.get(number)
        if events:
            present[k] = True
            curves[:, k] = hold_curve(events, total)
    clips: list[GridClip] = []
    for index in range(count):
        start = index * seg
        notes = [Note(n.start - start, min(n.end, start + seg) - start, n.pitch, n.velocity)
                 for n in perf.notes if start <= n.start < start + seg]
        if not notes:
            continue
        onsets, active = notes_to_rolls(notes, grid.steps)
        cc = np.zeros((grid.steps, grid.n_cc), dtype=np.float32)
        cc[:seg] = curves[start:start + seg]
        if seg < grid.steps:
            cc[seg:] = cc[seg - 1]
        clips.append(GridClip(onsets=onsets, active=active, cc=cc, cc_present=present.copy(),
                              bpm=perf.bpm, source=f"{perf.path}#{index + 1}",
                              tag=tag_of(perf.path),
                              meta={"file": perf.path, "segment": index + 1,
                                    "first_bar": index * seg // bar + 1}))
    return clips


def clips_from_file(path: str | os.PathLike[str], grid: GridSpec) -> tuple[list[GridClip],
                                                                           FileReport]:
    """The clips of one file and its report line.

    Raises
    ------
    LatentDataError
        The file is corrupt or type 2, has no CC on the list, no notes, or is too short —
        the message names the file and the reason.
    """
    file = Path(path)
    perf = read_performance(file, steps_per_beat=grid.steps_per_beat,
                            cc_numbers=grid.cc_numbers)
    listed = ", ".join(str(c) for c in grid.cc_numbers)
    if perf.cc_event_count == 0:
        raise LatentDataError(file, f"no CC automation on the configured controllers "
                                    f"(CC {listed}); export the clip with its automation")
    if not perf.notes:
        raise LatentDataError(file, "no notes")
    bar, seg = _segment_steps(perf, grid)
    if perf.length_steps + bar // 2 < seg:
        raise LatentDataError(file, f"too short: {perf.length_beats / perf.beats_per_bar:.1f} "
                                    f"bars, a clip needs {seg // bar}")
    clips = performance_clips(perf, grid)
    if not clips:
        raise LatentDataError(file, "every segment is silent (no notes)")
    beats = perf.length_beats
    line = FileReport(path=str(file), status="used", notes=len(perf.notes),
                      cc_events=perf.cc_event_count,
                      cc_per_beat=perf.cc_event_count / max(beats, 1e-9), beats=beats,
                      bars=beats / perf.beats_per_bar, seconds=perf.seconds, bpm=perf.bpm,
                      segments=len(clips), quality=_quality(perf, grid))
    return clips, line


def load_dataset(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                 grid: GridSpec, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> LatentDataset:
    """Read every MIDI file under ``paths`` (a folder, a file, or a list of them).

    Raises
    ------
    LatentDataError
        A path does not exist, or nothing usable was found (the message lists why files were
        skipped).
    core.errors.Cancelled
        ``cancel`` was set.
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files = find_midi_files(items)
    where = items[0] if len(items) == 1 else ", ".join(str(p) for p in items)
    clips: list[GridClip] = []
    lines: list[FileReport] = []
    for k, file in enumerate(files):
        check_cancel(cancel)
        report(progress, k / max(1, len(files)), f"reading {file.name}")
        try:
            found, line = clips_from_file(file, grid)
        except LatentDataError as exc:
            lines.append(FileReport(path=str(file), status="skipped", reason=exc.reason))
            continue
        clips += found
        lines.append(line)
    report(progress, 1.0, "read")
    result = DatasetReport(tuple(lines))
    if not clips:
        if not files:
            raise LatentDataError(where, "no MIDI files (.mid) found")
        why = "; ".join(f"{Path(f.path).name}: {f.reason}" for f in result.skipped[:5])
        more = f" (and {len(result.skipped) - 5} more)" if len(result.skipped) > 5 else ""
        raise LatentDataError(where, f"no usable MIDI clip in {len(files)} file(s): {why}{more}")
    return LatentDataset(grid=grid, clips=tuple(clips), report=result)


def clip_from_spec(spec: str | os.PathLike[str], grid: GridSpec) -> GridClip:
    """One clip named ``file.mid`` (its first segment) or ``file.mid#N`` (segment N).

    Raises
    ------
    LatentDataError
        The file cannot give clips, or it has fewer than N segments.
    """
    text = str(spec)
    path, sep, number = text.rpartition("#")
    if not sep or not number.isdigit() or Path(text).exists():
        path, index = text, 1
    else:
        index = int(number)
    clips, _ = clips_from_file(path, grid)
    if not 1 <= index <= len(clips):
        raise LatentDataError(path, f"has {len(clips)} clip(s) of {grid.bars} bars; there is no "
                                    f"segment #{index}")
    return clips[index - 1]
