"""Everything the selected track needs besides its analysis: waveform peaks, spectrogram,
loop candidates, stems — each computed in a worker — and the playback transport.

The controller follows the session's selection. When the selected track has an analysis it
starts (once per track and content) a worker for the peak pyramid, one for the spectrogram and
one for the loop candidates, and loads the track (and its stems) into the transport. Results
are kept per track id, so switching tracks back and forth is instant. It also runs
separation (Track ▸ Separate Stems) and writes the stems into the session.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.controllers.analysis_controller import error_text
from app.models.session_model import SessionModel, TrackEntry
from app.workers.worker import Worker
from core.jobs import CancelToken, ProgressCallback, report
from core.process_job import run_in_process

_VIEW_JOBS = ("peaks", "spectrogram", "loops")
"""The selected track's view jobs, run one after the other."""


def build_peaks(path: Path, *, progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> object:
    """Worker body: the waveform's min/max pyramid."""
    from core.audio.peaks import PeakPyramid

    return PeakPyramid.from_file(path, cancel=cancel, progress=progress)


def build_spectrogram(path: Path, *, progress: ProgressCallback | None = None,
                      cancel: CancelToken | None = None) -> object:
    """Worker body: the spectrogram image (log frequency, dB)."""
    from core.analysis.spectrogram import spectrogram_image

    return spectrogram_image(path, cancel=cancel, progress=progress)


def rank_loops(path: Path, analysis: object, bars: int, stem: Path | None, *,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> tuple:
    """Worker body: the ranked loop candidates (empty for a track without a grid)."""
    from core.analysis.loops import NoBeatGrid, find_loops

    try:
        return tuple(find_loops(path, analysis, bars=bars, drum_stem=stem, top=10,  # type: ignore[arg-type]
                                progress=progress, cancel=cancel))
    except NoBeatGrid:
        report(progress, 1.0, "no beat grid: no loops")
        return ()


class MediaController(QObject):
    """Per-track media of the selection (see module docstring).

    Signals
    -------
    peaks_ready(str, object), spectrogram_ready(str, object)
        Track id and the pyramid / image, when computed (or at once from memory).
    media_cleared()
        The selection has nothing to show (no track, or no analysis yet).
    separation_done(str)
        Stems of that track were written.
    """

    peaks_ready = Signal(str, object)
    spectrogram_ready = Signal(str, object)
    media_cleared = Signal()
    separation_done = Signal(str)

    def __init__(self, context: AppContext, session: SessionModel, *,
                 reanalyze: object = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._session = session
        self._reanalyze = reanalyze
        self._peaks: dict[str, object] = {}
        self._spectrograms: dict[str, object] = {}
        self._running: dict[tuple[str, str], Worker] = {}
        self._finished: set[tuple[str, str]] = set()  # peaks/spectrogram run (or failed)
        self._ranked_for: dict[str, object] = {}  # the analysis each track's loops came from
        self._shown: str | None = None
        self.loop_bars = int(context.config.get("export.bars"))
        session.selection_changed.connect(self._on_selection)
        session.track_changed.connect(self._on_changed)
        session.track_removed.connect(self._forget)

    # -- selection ----------------------------------------------------------------------------

    def _on_selection(self, track_id: object) -> None:
        self._shown = None
        self._refresh(track_id if isinstance(track_id, str) else None)

    def _on_changed(self, track_id: str) -> None:
        if track_id == self._session.selected_id:
            self._refresh(track_id)

    def _refresh(self, track_id: str | None) -> None:
        entry = self._session.track(track_id) if track_id else None
        if entry is None or entry.analysis is None:
            if self._shown is not None or entry is None:
                self.media_cleared.emit()
            self._shown = None
            return
        first_time = self._shown != track_id
        self._shown = track_id
        self._start_next(entry)
        if first_time:
            for store, signal in ((self._peaks, self.peaks_ready),
                                  (self._spectrograms, self.spectrogram_ready)):
                if track_id in store:
                    signal.emit(track_id, store[track_id])

    def _start_next(self, entry: TrackEntry) -> None:
        """Start the first view job the track still needs — waveform peaks, spectrogram, then
        loop ranking — one at a time: each holds the interpreter lock between its numpy calls,
        and next to analysis and separation on a 2-core machine a third and fourth such thread
        made the window wait for it (the next one starts when this one finishes)."""
        if any((kind, entry.id) in self._running for kind in _VIEW_JOBS):
            return
        if entry.id not in self._peaks and ("peaks", entry.id) not in self._finished:
            self._ensure(entry, "peaks")
        elif (entry.id not in self._spectrograms
              and ("spectrogram", entry.id) not in self._finished):
            self._ensure(entry, "spectrogram")
        elif not entry.loops and self._ranked_for.get(entry.id) is not entry.analysis:
            self._start_loops(entry)

    def _ensure(self, entry: TrackEntry, kind: str) -> None:
        fn = build_peaks if kind == "peaks" else build_spectrogram
        worker = Worker(fn, entry.path, title=f"{kind.capitalize()} of {entry.name}")
        worker.succeeded.connect(functools.partial(self._on_media, entry.id, kind))
        worker.failed.connect(functools.partial(self._on_failed, entry.name, kind))
        self._track(kind, entry.id, worker)

    def _start_loops(self, entry: TrackEntry) -> None:
        self._ranked_for[entry.id] = entry.analysis
        bars = self.loop_bars
        stem = entry.stem_files.get("drums")
        worker = Worker(rank_loops, entry.path, entry.analysis, bars, stem,
                        title=f"Find loops in {entry.name}")
        worker.succeeded.connect(functools.partial(self._on_loops, entry.id))
        worker.failed.connect(functools.partial(self._on_failed, entry.name, "loops"))
        self._track("loops", entry.id, worker)

    def _track(self, kind: str, track_id: str, worker: Worker) -> None:
        key = (kind, track_id)
        self._running[key] = worker
        worker.finished.connect(functools.partial(self._running.pop, key, None))
        if kind in _VIEW_JOBS:
            worker.finished.connect(functools.partial(self._on_view_job_done, kind, track_id))
        if not self._context.runner.is_shut_down:
            self._context.runner.start(worker)

    def _on_view_job_done(self, kind: str, track_id: str) -> None:
        """Start the selected track's next view job (peaks or a spectrogram that failed or was
        cancelled are not tried again for this track; loops again only for a new analysis)."""
        self._finished.add((kind, track_id))
        entry = self._session.track(track_id) if track_id in self._session else None
        if (entry is not None and entry.analysis is not None and self._shown == track_id
                and track_id == self._session.selected_id
                and not self._context.runner.is_shut_down):
            self._start_next(entry)

    def _on_media(self, track_id: str, kind: str, value: object) -> None:
        if track_id not in self._session:
            return
        (self._peaks if kind == "peaks" else self._spectrograms)[track_id] = value
        if track_id == self._session.selected_id:
            (self.peaks_ready if kind == "peaks" else self.spectrogram_ready).emit(track_id,
                                                                                   value)

    def _on_loops(self, track_id: str, loops: object) -> None:
        candidates = tuple(loops)  # type: ignore[arg-type]
        best = candidates[0] if candidates else None
        self._session.update_track(track_id, loops=candidates,
                                   loop=(best.start, best.end, best.bars) if best else None)

    def _on_failed(self, name: str, kind: str, exc: object) -> None:
        self._context.notifier.error(f"Could not compute the {kind} of {name}", error_text(exc))

    def _forget(self, track_id: str) -> None:
        self._peaks.pop(track_id, None)
        self._spectrograms.pop(track_id, None)
        self._finished = {key for key in self._finished if key[1] != track_id}
        self._ranked_for.pop(track_id, None)
        for key, worker in list(self._running.items()):
            if key[1] == track_id:
                worker.cancel()

    def refresh_loops(self, track_id: str) -> None:
        """Rank the loops again (after the bars setting or the stems changed)."""
        entry = self._session.track(track_id)
        if entry is not None and entry.analysis is not None:
            self._session.update_track(track_id, loops=(), loop=None)
            self._ranked_for.pop(track_id, None)
            if ("loops", track_id) not in self._running:
                self._start_loops(entry)

    # -- separation ---------------------------------------------------------------------------

    def separate(self, track_id: str) -> Worker | None:
        """Separate the track's stems with the configured model; returns the worker."""
        from core.separation.pipeline import SeparationOptions, separate_file

        entry = self._session.track(track_id)
        if entry is None or ("separate", track_id) in self._running:
            return None
        cfg = self._context.config
        options = SeparationOptions(model=str(cfg.get("separation.model")),
                                    device=str(cfg.get("separation.device")),
                                    format=str(cfg.get("separation.format")),
                                    overlap=float(cfg.get("separation.overlap")))
        # In its own process: next to analysis it would hold the interpreter lock the window
        # needs (core/process_job.py).
        worker = Worker(run_in_process, separate_file, entry.path, options,
                        title=f"Separate {entry.name}")
        worker.succeeded.connect(functools.partial(self._on_separated, track_id))
        worker.failed.connect(functools.partial(self._on_failed, entry.name, "stems"))
        self._track("separate", track_id, worker)
        return worker

    def is_separating(self, track_id: str) -> bool:
        """Whether a separation of that track is running."""
        return ("separate", track_id) in self._running

    def _on_separated(self, track_id: str, result: object) -> None:
        stems = tuple(sorted(result.stems.items()))  # type: ignore[attr-defined]
        self._session.update_track(track_id, stems=stems,
                                   separation=f"{result.backend} — {result.reason}")  # type: ignore[attr-defined]
        self._context.notifier.info(f"Stems ready: {result.backend}")  # type: ignore[attr-defined]
        self.separation_done.emit(track_id)
        from core.analysis.pipeline import STEM_MODELS_FOR_DRUMS

        # Analysis takes the drum stem only from these models: re-analyse only then.
        if callable(self._reanalyze) and result.model in STEM_MODELS_FOR_DRUMS:  # type: ignore[attr-defined]
            self._reanalyze(track_id)
