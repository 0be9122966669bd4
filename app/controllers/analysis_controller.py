"""Turns "these files were opened" into tracks in the session and analysis workers.

The controller is the only writer of analysis state in :class:`SessionModel`: it adds tracks,
queues them, starts at most ``max_concurrent`` workers over the core pipeline, and writes their
progress, results, failures and cancellations back into the model. Failures also go to the
notifier. Folder expansion (a walk that can be slow on large libraries) also runs in a worker.
"""

from __future__ import annotations

import functools
import os
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.models.session_model import SessionModel, TrackStatus
from app.workers.worker import Worker
from core.audio import find_audio_files
from core.errors import CoreError
from core.jobs import CancelToken, ProgressCallback, report

AnalyzeFn = Callable[..., Any]
"""``fn(path, *, progress, cancel) -> TrackAnalysis`` (the core pipeline by default)."""


def scan_paths(paths: list[Path], *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[Path]:
    """Worker body: expand files and folders into audio files (recursive)."""
    report(progress, 0.0, "scanning folders")
    found = find_audio_files(paths, recursive=True)
    report(progress, 1.0, f"found {len(found)} files")
    return found


def error_text(exc: object) -> str:
    """A one-line, person-readable reason for a worker failure."""
    if isinstance(exc, CoreError):
        return str(exc)
    return (f"internal error ({type(exc).__name__}: {exc}); see the log file for details "
            "and please report it")


class AnalysisController(QObject):
    """Adds tracks and runs their analysis.

    Parameters
    ----------
    context
        Config, cache, runner and notifier.
    session
        The model this controller writes.
    analyze_fn
        The core call run per track; ``None`` = :func:`core.analysis.pipeline.analyze_file` with
        options from the config and the context's cache. Tests may inject a slow fake.
    max_concurrent
        Most analyses running at once; ``None`` = ``context.max_concurrent_analyses``.

    Signals
    -------
    paths_opened(list)
        The paths the user opened (files and folders, as given), for the recent-files menu.
    """

    paths_opened = Signal(list)

    def __init__(self, context: AppContext, session: SessionModel, *,
                 analyze_fn: AnalyzeFn | None = None, max_concurrent: int | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._session = session
        self._analyze_fn = analyze_fn or self._default_analyze_fn()
        self.max_concurrent = max(1, max_concurrent or context.max_concurrent_analyses)
        self._queue: deque[str] = deque()
        self._active: dict[str, Worker] = {}
        self._tempo_override: dict[str, float] = {}
        session.track_removed.connect(self._on_track_removed)

    @property
    def session(self) -> SessionModel:
        """The model this controller writes."""
        return self._session

    def _default_analyze_fn(self) -> AnalyzeFn:
        """The core pipeline with the options of the configuration *at the time each job
        starts* (so a preferences change applies to the next analysis)."""
        from core.analysis.pipeline import AnalysisOptions, analyze_at_tempo, analyze_file

        def analyze(path: Path, *, bpm: float | None = None, **kwargs: Any) -> Any:
            options = AnalysisOptions.from_config(self._context.config)
            cache = self._context.cache if self._context.cache.enabled else None
            if bpm is not None:
                return analyze_at_tempo(path, bpm, options=options, cache=cache, **kwargs)
            return analyze_file(path, options=options, cache=cache, **kwargs)

        return analyze

    def flip_tempo(self, track_id: str, factor: float) -> bool:
        """Analyse the track again with its tempo held at ``factor`` × the current one (the
        one-click ½× / 2× flip); the grid, downbeats and groove follow. Returns whether it was
        queued."""
        entry = self._session.track(track_id)
        if entry is None or entry.analysis is None or entry.analysis.tempo_bpm is None:
            return False
        if self.is_busy(track_id):
            return False
        self._tempo_override[track_id] = float(entry.analysis.tempo_bpm) * float(factor)
        self._enqueue(track_id)
        return True

    # -- opening ------------------------------------------------------------------------------

    def add_paths(self, paths: Iterable[str | Path]) -> list[str]:
        """Add files (at once) and folders (expanded in a worker) to the session.

        Files already in the session are not duplicated. When ``app.analyze_on_drop`` is on,
        new tracks are queued for analysis. Returns the ids of the files added synchronously
        (tracks found in folders arrive later through the model's ``track_added``).
        """
        given = [Path(os.path.expanduser(os.fspath(p))) for p in paths]
        if not given:
            return []
        self.paths_opened.emit([str(p) for p in given])
        folders = [p for p in given if p.is_dir()]
        ids = self._add_files([p for p in given if not p.is_dir()])
        if folders:
            self._start_scan(folders)
        return ids

    def _add_files(self, files: Iterable[Path]) -> list[str]:
        added: list[str] = []
        for path in files:
            track_id, is_new = self._session.add_track(path)
            if is_new:
                added.append(track_id)
                if self._context.analyze_on_drop:
                    self._enqueue(track_id)
        if added and self._session.selected_id is None:
            self._session.select(added[0])
        return added

    def _start_scan(self, folders: list[Path]) -> None:
        names = ", ".join(f.name or str(f) for f in folders)
        worker = Worker(scan_paths, folders, title=f"Scan {names}")
        worker.succeeded.connect(self._add_files)
        worker.failed.connect(functools.partial(self._on_scan_failed, names))
        self._start(worker)

    def _on_scan_failed(self, names: str, exc: object) -> None:
        self._context.notifier.error(f"Could not read {names}", error_text(exc))

    # -- analysis -----------------------------------------------------------------------------

    def reanalyze(self, track_id: str) -> bool:
        """Queue a track for (re-)analysis unless it is queued or running already.

        Returns whether it was queued.
        """
        if track_id not in self._session or track_id in self._active or \
                track_id in self._queue:
            return False
        self._enqueue(track_id)
        return True

    def cancel(self, track_id: str) -> bool:
        """Cancel a queued or running analysis; returns whether there was one."""
        if track_id in self._queue:
            self._queue.remove(track_id)
            self._session.set_cancelled(track_id)
            return True
        worker = self._active.get(track_id)
        if worker is None:
            return False
        worker.cancel()
        self._session.update_track(track_id, stage="cancelling")
        return True

    def cancel_all(self) -> None:
        """Cancel every queued and running analysis."""
        for track_id in list(self._queue):
            self.cancel(track_id)
        for track_id in list(self._active):
            self.cancel(track_id)

    def remove(self, track_id: str) -> None:
        """Remove a track from the session, cancelling its analysis."""
        self.cancel(track_id)
        self._session.remove_track(track_id)

    def is_busy(self, track_id: str) -> bool:
        """Whether the track is queued or being analysed."""
        return track_id in self._queue or track_id in self._active

    def worker_for(self, track_id: str) -> Worker | None:
        """The running worker of a track, if any."""
        return self._active.get(track_id)

    @property
    def queued_count(self) -> int:
        """Tracks waiting for a free analysis slot."""
        return len(self._queue)

    def _enqueue(self, track_id: str) -> None:
        self._session.set_queued(track_id)
        self._queue.append(track_id)
        self._pump()

    def _pump(self) -> None:
        """Start queued analyses while slots are free."""
        while self._queue and len(self._active) < self.max_concurrent:
            if self._context.runner.is_shut_down:
                return
            track_id = self._queue.popleft()
            entry = self._session.track(track_id)
            if entry is None or entry.status is not TrackStatus.QUEUED:
                continue
            bpm = self._tempo_override.pop(track_id, None)
            if bpm is None:
                worker = Worker(self._analyze_fn, entry.path, title=f"Analyse {entry.name}")
            else:
                worker = Worker(self._analyze_fn, entry.path, bpm=bpm,
                                title=f"Analyse {entry.name} at {bpm:.1f} BPM")
            self._active[track_id] = worker
            worker.progressed.connect(functools.partial(self._on_progress, track_id))
            worker.succeeded.connect(functools.partial(self._on_succeeded, track_id))
            worker.failed.connect(functools.partial(self._on_failed, track_id, worker))
            worker.cancelled.connect(functools.partial(self._session.set_cancelled, track_id))
            worker.finished.connect(functools.partial(self._on_finished, track_id, worker))
            self._session.set_analyzing(track_id)
            self._start(worker)

    def _start(self, worker: Worker) -> None:
        if not self._context.runner.is_shut_down:
            self._context.runner.start(worker)

    def _on_progress(self, track_id: str, fraction: float, stage: str) -> None:
        entry = self._session.track(track_id)
        if entry is not None and entry.stage != "cancelling":
            self._session.set_progress(track_id, fraction, stage)

    def _on_succeeded(self, track_id: str, analysis: object) -> None:
        self._session.set_result(track_id, analysis)  # type: ignore[arg-type]

    def _on_failed(self, track_id: str, worker: Worker, exc: object) -> None:
        entry = self._session.track(track_id)
        if entry is None:  # removed while it ran: nobody is waiting for this result
            return
        message = error_text(exc)
        self._session.set_failed(track_id, message)
        name = entry.name
        details = worker.traceback_text or f"{type(exc).__name__}: {exc}"
        self._context.notifier.error(f"Could not analyse {name}", message, details)

    def _on_finished(self, track_id: str, worker: Worker) -> None:
        if self._active.get(track_id) is worker:
            del self._active[track_id]
        self._pump()

    def _on_track_removed(self, track_id: str) -> None:
        if track_id in self._queue:
            self._queue.remove(track_id)
        worker = self._active.get(track_id)
        if worker is not None:
            worker.cancel()
