"""The session: every track the user opened, by id, with its analysis status and result.

Controllers write this model; views subscribe to its signals and redraw. Entries are frozen
:class:`TrackEntry` values replaced on every change, so a view never sees half an update.
"""

from __future__ import annotations

import enum
import itertools
import os
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.results import TrackAnalysis


class TrackStatus(str, enum.Enum):
    """Where a track's analysis stands."""

    QUEUED = "queued"
    ANALYZING = "analyzing"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TrackEntry:
    """One track of the session.

    ``progress`` is the analysis fraction 0–1 and ``stage`` its label while analysing;
    ``analysis`` is set once done; ``error`` holds the person-readable reason of a failure.
    ``stems`` are separated stem files (name → path, as ``(name, path)`` pairs) and
    ``separation`` the line saying which separator made them; ``loops`` the ranked loop
    candidates (:class:`core.analysis.loops.LoopCandidate`) and ``loop`` the chosen region
    ``(start_s, end_s, bars)``.
    """

    id: str
    path: Path
    status: TrackStatus = TrackStatus.QUEUED
    progress: float = 0.0
    stage: str = ""
    analysis: TrackAnalysis | None = None
    error: str = ""
    stems: tuple[tuple[str, Path], ...] = ()
    separation: str = ""
    loops: tuple = ()
    loop: tuple[float, float, int] | None = None

    @property
    def stem_files(self) -> dict[str, Path]:
        """Stems as a dict, name → file."""
        return dict(self.stems)

    @property
    def name(self) -> str:
        """File name without folders."""
        return self.path.name


def normalized_path(path: str | Path) -> Path:
    """Absolute, user-expanded, normalised path used to recognise the same file twice.

    Uses ``os.path.abspath`` (no file-system access) so it is cheap on the UI thread.
    """
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


class SessionModel(QObject):
    """Tracks by id, in the order they were added, plus the current selection.

    Signals
    -------
    track_added(str), track_changed(str), track_removed(str)
        The id of the track concerned.
    selection_changed(object)
        The selected id, or ``None``.
    """

    track_added = Signal(str)
    track_changed = Signal(str)
    track_removed = Signal(str)
    selection_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[str, TrackEntry] = {}
        self._by_path: dict[Path, str] = {}
        self._selected: str | None = None
        self._ids = itertools.count(1)

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, track_id: object) -> bool:
        return track_id in self._entries

    def track_ids(self) -> list[str]:
        """Ids in the order the tracks were added."""
        return list(self._entries)

    def tracks(self) -> list[TrackEntry]:
        """Entries in the order the tracks were added."""
        return list(self._entries.values())

    def track(self, track_id: str) -> TrackEntry | None:
        """The entry for ``track_id``, or ``None`` if it is not (or no longer) in the session."""
        return self._entries.get(track_id)

    def find_by_path(self, path: str | Path) -> str | None:
        """Id of the track at ``path``, if present."""
        return self._by_path.get(normalized_path(path))

    @property
    def selected_id(self) -> str | None:
        """The selected track id, or ``None``."""
        return self._selected

    def selected_track(self) -> TrackEntry | None:
        """The selected entry, or ``None``."""
        return self._entries.get(self._selected) if self._selected else None

    # -- writing (controllers) ----------------------------------------------------------------

    def add_track(self, path: str | Path) -> tuple[str, bool]:
        """Add the track at ``path`` unless it is already present.

        Returns ``(track_id, added)``; ``added`` is ``False`` when the path was already in the
        session (the existing id is returned and nothing is emitted).
        """
        key = normalized_path(path)
        existing = self._by_path.get(key)
        if existing is not None:
            return existing, False
        track_id = f"t{next(self._ids)}"
        self._entries[track_id] = TrackEntry(id=track_id, path=key)
        self._by_path[key] = track_id
        self.track_added.emit(track_id)
        return track_id, True

    def remove_track(self, track_id: str) -> bool:
        """Remove a track; clears the selection if it was selected. Returns whether it existed."""
        entry = self._entries.pop(track_id, None)
        if entry is None:
            return False
        self._by_path.pop(entry.path, None)
        if self._selected == track_id:
            self._selected = None
            self.selection_changed.emit(None)
        self.track_removed.emit(track_id)
        return True

    def update_track(self, track_id: str, **changes: object) -> TrackEntry | None:
        """Replace fields of a track (``status``, ``progress``, ``stage``, ``analysis``,
        ``error``) and emit ``track_changed``. Unknown ids are ignored (returns ``None``)."""
        entry = self._entries.get(track_id)
        if entry is None:
            return None
        if "id" in changes or "path" in changes:
            raise ValueError("a track's id and path cannot change")
        updated = replace(entry, **changes)  # type: ignore[arg-type]
        if updated != entry:
            self._entries[track_id] = updated
            self.track_changed.emit(track_id)
        return updated

    def set_queued(self, track_id: str) -> None:
        """Mark a track as waiting for analysis (clears an earlier result, error and loops)."""
        self.update_track(track_id, status=TrackStatus.QUEUED, progress=0.0, stage="",
                          analysis=None, error="", loops=(), loop=None)

    def set_analyzing(self, track_id: str) -> None:
        """Mark a track as being analysed, at 0 %."""
        self.update_track(track_id, status=TrackStatus.ANALYZING, progress=0.0,
                          stage="starting", error="")

    def set_progress(self, track_id: str, fraction: float, stage: str) -> None:
        """Record analysis progress (fraction 0–1, stage label)."""
        self.update_track(track_id, progress=min(1.0, max(0.0, float(fraction))), stage=stage)

    def set_result(self, track_id: str, analysis: TrackAnalysis) -> None:
        """Store a finished analysis."""
        self.update_track(track_id, status=TrackStatus.DONE, progress=1.0, stage="",
                          analysis=analysis, error="")

    def set_failed(self, track_id: str, message: str) -> None:
        """Record a failure with its person-readable reason."""
        self.update_track(track_id, status=TrackStatus.FAILED, stage="", error=message)

    def set_cancelled(self, track_id: str) -> None:
        """Record that the analysis was cancelled."""
        self.update_track(track_id, status=TrackStatus.CANCELLED, stage="")

    def select(self, track_id: str | None) -> None:
        """Select a track (or nothing). Unknown ids select nothing."""
        if track_id is not None and track_id not in self._entries:
            track_id = None
        if track_id != self._selected:
            self._selected = track_id
            self.selection_changed.emit(track_id)
