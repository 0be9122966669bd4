"""Runs the latent lab's jobs in workers and writes their results into the lab model:
training (with a live loss curve, cancel and resume), loading a model, encoding a folder into
map items, projecting them, interpolating between two clips, exporting MIDI and auditioning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.context import AppContext
from app.controllers.analysis_controller import error_text
from app.latent.clip_player import ClipPlayer
from app.latent.lab_model import LatentLabModel
from app.workers.worker import Worker
from core.errors import CoreError
from core.jobs import CancelToken, ProgressCallback, report


def train_job(data: str, config_name: str, latent_dim: int | None, run_dir: str, resume: bool,
              on_epoch: Callable[[Any], None], *, progress: ProgressCallback | None = None,
              cancel: CancelToken | None = None) -> tuple[Any, Any]:
    """Worker body: train (or resume) and load the trained model."""
    from core.latent.config import load_latent_config
    from core.latent.inference import LatentModel
    from core.latent.train import train_latent

    config = load_latent_config(config_name)
    if latent_dim:
        config = config.with_latent_dim(latent_dim)
    result = train_latent(data, config, run_dir, resume=resume, overwrite=not resume,
                          on_epoch=on_epoch, progress=progress, cancel=cancel)
    return LatentModel.load(result.checkpoint), result


def load_job(path: str, *, progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> Any:
    """Worker body: load a checkpoint."""
    from core.latent.inference import LatentModel

    report(progress, 0.0, "loading")
    return LatentModel.load(path)


def encode_job(model: Any, data: str, method: str, *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> tuple[list, Any]:
    """Worker body: read a folder, encode its clips into map items and lay them out."""
    from core.jobs import split_progress
    from core.latent.dataset import load_dataset
    from core.latent.map_items import clip_items, layout

    read, enc, proj = split_progress(progress, [1, 2, 2])
    dataset = load_dataset(data, model.grid, progress=read, cancel=cancel)
    items = clip_items(model, list(dataset.clips), progress=enc, cancel=cancel)
    return items, layout(items, method, progress=proj, cancel=cancel)


def layout_job(items: list, method: str, *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> Any:
    """Worker body: new map coordinates."""
    from core.latent.map_items import layout

    return layout(items, method, progress=progress, cancel=cancel)


def interpolate_job(model: Any, a: Any, b: Any, steps: int, *,
                    progress: ProgressCallback | None = None,
                    cancel: CancelToken | None = None) -> list:
    """Worker body: decode the interpolation."""
    report(progress, 0.0, "interpolating")
    clips, _ = model.interpolate(a, b, steps)
    return clips


def export_job(clips: list, grid: Any, folder: str, *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> list[Path]:
    """Worker body: write clips as MIDI with their CC automation (never overwriting)."""
    from core.fileutil import unique_path
    from core.latent.midi_io import write_clip_midi

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, clip in enumerate(clips):
        paths.append(write_clip_midi(unique_path(out / f"{clip.source}.mid"), clip, grid))
        report(progress, (k + 1) / len(clips), "exporting")
    return paths


def audition_job(item: Any, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> Any:
    """Worker body: render an item's audition."""
    return item.audition()


class _EpochRelay(QObject):
    """Carries epoch records from the training thread to the UI thread."""

    epoch = Signal(object)


class LatentLabController(QObject):
    """See the module docstring.

    Signals
    -------
    busy_changed(str, bool)
        A job kind (``train``, ``encode`` …) started or ended.
    progressed(float, str)
        Progress of the running training.
    exported(object)
        The written MIDI paths.
    auditioned(object)
        The :class:`core.latent.map_items.Audition` just played (its curves are shown).
    """

    busy_changed = Signal(str, bool)
    progressed = Signal(float, str)
    exported = Signal(object)
    auditioned = Signal(object)

    def __init__(self, context: AppContext, model: LatentLabModel, *,
                 player: ClipPlayer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self.lab = model
        self.player = player or ClipPlayer()
        self._workers: dict[str, Worker] = {}
        self._relay = _EpochRelay(self)
        self._relay.epoch.connect(self._on_epoch, Qt.ConnectionType.QueuedConnection)
        self.method = "pca"

    def is_busy(self, kind: str) -> bool:
        """Whether a job of ``kind`` runs."""
        return kind in self._workers

    def _start(self, kind: str, title: str, fn: Callable[..., Any], *args: Any,
               done: Callable[[Any], None]) -> Worker | None:
        if kind in self._workers:
            self._context.notifier.info(f"{title}: already running")
            return None
        worker = Worker(fn, *args, title=title)
        worker.succeeded.connect(done)
        worker.failed.connect(functools.partial(self._on_failed, title))
        worker.cancelled.connect(lambda: self._context.notifier.info(f"{title}: cancelled"))
        worker.finished.connect(functools.partial(self._on_finished, kind))
        if kind == "train":
            worker.progressed.connect(self.progressed)
        self._workers[kind] = worker
        self.busy_changed.emit(kind, True)
        self._context.runner.start(worker)
        return worker

    def _on_finished(self, kind: str) -> None:
        self._workers.pop(kind, None)
        self.busy_changed.emit(kind, False)

    def _on_failed(self, title: str, exc: object) -> None:
        self._context.notifier.error(f"{title} failed", error_text(exc))

    # -- training -------------------------------------------------------------------------------

    def train(self, data: str, run_dir: str, *, config: str = "quick",
              latent_dim: int | None = None, resume: bool = False) -> Worker | None:
        """Train on ``data`` into ``run_dir`` (``resume``: continue its checkpoint)."""
        if not resume:
            self.lab.set_history([])
        return self._start("train", "Train the latent model", train_job, data, config,
                           latent_dim, run_dir, resume, self._relay.epoch.emit,
                           done=self._on_trained)

    def cancel_training(self) -> None:
        """Stop training after the current batch (the last whole epoch stays saved)."""
        worker = self._workers.get("train")
        if worker is not None:
            worker.cancel()

    @Slot(object)
    def _on_epoch(self, record: Any) -> None:
        self.lab.add_epoch(record.to_dict())

    def _on_trained(self, result: tuple[Any, Any]) -> None:
        model, training = result
        self.lab.set_history(list(training.history))
        self.lab.set_model(model)
        ev = training.evaluation
        self._context.notifier.info(
            f"Trained: held-out CC-ME {ev.ccme:.4f} (baseline {ev.ccme_baseline:.4f}), "
            f"note F1 {ev.note_f1:.3f}")

    def load_model(self, path: str) -> Worker | None:
        """Load a run folder or checkpoint file."""
        return self._start("load", "Load the latent model", load_job, path,
                           done=self._on_loaded)

    def _on_loaded(self, model: Any) -> None:
        self.lab.set_history(list(model.checkpoint.history))
        self.lab.set_model(model)

    # -- map ------------------------------------------------------------------------------------

    def encode_folder(self, data: str) -> Worker | None:
        """Encode every clip of ``data`` onto the map (needs a model)."""
        if self.lab.model is None:
            self._context.notifier.error("Nothing to encode with",
                                         "train or load a latent model first")
            return None
        return self._start("encode", "Map the clips", encode_job, self.lab.model, data,
                           self.method, done=self._on_encoded)

    def _on_encoded(self, result: tuple[list, Any]) -> None:
        items, coords = result
        self.lab.set_items(items)
        self.lab.set_coords(coords)

    def set_method(self, method: str) -> Worker | None:
        """Lay the map out with ``pca`` or ``tsne``."""
        self.method = method
        if not self.lab.items:
            return None
        return self._start("layout", f"Map layout ({method})", layout_job, list(self.lab.items),
                           method, done=self.lab.set_coords)

    def add_sysex(self, paths: list[str]) -> None:
        """Put the presets of SysEx files on the map beside the clips."""
        from core.latent.map_items import sysex_items

        try:
            items = sysex_items(paths)
        except CoreError as exc:
            self._context.notifier.error("Could not add the presets", str(exc))
            return
        self.lab.add_items(items)
        self.set_method(self.method)

    def add_loops(self, paths: list[str]) -> Worker | None:
        """Analyse audio files in a worker and put their best loops on the map."""
        from core.latent.map_items import loop_items

        return self._start("loops", "Find loops for the map", loop_items, list(paths),
                           done=self._on_loops)

    def _on_loops(self, result: tuple[list, list[str]]) -> None:
        items, skipped = result
        if skipped:
            self._context.notifier.error(
                f"{len(skipped)} file(s) gave no loops for the map", "\n".join(skipped))
        if items:
            self.lab.add_items(items)
            self.set_method(self.method)

    # -- listening, interpolation, export -------------------------------------------------------

    def audition(self, index: int) -> Worker | None:
        """Play item ``index`` (rendered in a worker) and show its curves."""
        if not 0 <= index < len(self.lab.items) or self.lab.items[index].audition is None:
            return None
        return self._start("audition", "Render the clip", audition_job, self.lab.items[index],
                           done=self._play)

    def audition_clip(self, clip: Any) -> Worker | None:
        """Play a decoded clip (e.g. one step of an interpolation)."""
        from core.latent.map_items import MapItem, clip_audition

        grid = self.lab.model.grid
        item = MapItem(vector=clip.cc.mean(axis=0), label=clip.source,
                       audition=lambda: clip_audition(clip, grid), payload=clip)
        return self._start("audition", "Render the clip", audition_job, item, done=self._play)

    def _play(self, audition: Any) -> None:
        self.auditioned.emit(audition)
        try:
            self.player.play(audition)
        except CoreError as exc:
            self._context.notifier.info(str(exc))

    def interpolate(self, steps: int = 8) -> Worker | None:
        """Decode ``steps`` clips between the two last clicked clips."""
        if self.lab.model is None or len(self.lab.pair) < 2:
            self._context.notifier.error("Cannot interpolate",
                                         "click two clips on the map first")
            return None
        a, b = (self.lab.items[i].payload for i in self.lab.pair)
        return self._start("interpolate", "Interpolate", interpolate_job, self.lab.model, a, b,
                           int(steps), done=self.lab.set_interpolation)

    def export(self, folder: str) -> Worker | None:
        """Write the interpolation's clips as MIDI files into ``folder``."""
        if not self.lab.interpolation or self.lab.model is None:
            self._context.notifier.error("Nothing to export", "interpolate two clips first")
            return None
        return self._start("export", "Export MIDI", export_job, list(self.lab.interpolation),
                           self.lab.model.grid, folder, done=self._on_exported)

    def _on_exported(self, paths: list[Path]) -> None:
        self.exported.emit(paths)
        self._context.notifier.info(f"Exported {len(paths)} MIDI clips to {paths[0].parent}")

    def close(self) -> None:
        """Cancel jobs and release the audio output."""
        for worker in list(self._workers.values()):
            worker.cancel()
        self.player.close()
