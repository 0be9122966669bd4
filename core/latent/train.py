"""Train the latent β-VAE on a folder of clips, with checkpoints every epoch and resume.

The clips are split by *file* (so both halves of one file never straddle train and held-out)
with the config's seed. Each epoch visits every training clip once in a seeded random order,
transposed by a random −N…+N semitones; the loss is the reconstruction loss plus
β × KL / steps (β-VAE on the per-step scale), β rising linearly to ``beta_max``. After every
epoch the held-out clips are measured (posterior means, no sampling), ``on_epoch`` receives an
:class:`EpochRecord`, and ``checkpoint.safetensors`` in the run folder is replaced atomically.

Cancelling discards the unfinished epoch; the checkpoint of the last whole epoch stays, and
``resume=True`` continues from it. Given the same data, config and thread count on the CPU a
resumed run is bit-identical to an uninterrupted one: the checkpoint holds the optimiser state
and torch's random state, the learning rate is a pure function of the step number, and the
global random state of the caller is restored afterwards.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.devices import resolve_device
from core.errors import OutputExists
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.latent.checkpoint import (
    CHECKPOINT_NAME,
    Checkpoint,
    config_differences,
    read_checkpoint,
    save_checkpoint,
)
from core.latent.config import LatentConfig
from core.latent.dataset import ClipArrays, DatasetReport, LatentDataset, load_dataset
from core.latent.errors import CheckpointError, LatentDataError
from core.latent.evaluate import Evaluation, evaluate_arrays
from core.latent.inference import LatentModel, batch_tensors, build_net, reconstruction_loss
from core.latent.metrics import baseline_curve, cc_modulation_error, note_scores
from core.latent.model import kl_per_clip, parameter_count


@dataclass(frozen=True)
class EpochRecord:
    """One epoch: training means (loss, reconstruction, KL in nats per clip), β and the last
    learning rate, held-out reconstruction/KL/CC-ME/note F1, and the epoch's seconds."""

    epoch: int
    epochs: int
    train_loss: float
    train_recon: float
    train_kl: float
    beta: float
    learning_rate: float
    holdout_recon: float
    holdout_kl: float
    holdout_ccme: float
    holdout_note_f1: float
    seconds: float

    def to_dict(self) -> dict[str, float]:
        """Plain data (JSON), rounded."""
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class TrainResult:
    """What a training run produced: the checkpoint, the per-epoch history, the epochs run now
    (after ``resumed_from``), mean seconds per epoch of this run, the held-out
    :class:`Evaluation` of the final weights, and whether ``train.max_minutes`` ended the run
    before ``train.epochs``."""

    checkpoint: Path
    config: LatentConfig
    history: tuple[dict[str, Any], ...]
    epochs_run: int
    resumed_from: int
    epoch_seconds: float
    evaluation: Evaluation
    parameters: int
    train_clips: int
    holdout_clips: int
    report: DatasetReport | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stopped_by_time: bool = False


def split_by_file(files: Sequence[str], fraction: float, seed: int) -> set[str]:
    """The held-out files: ``round(fraction × n)`` of the distinct ``files`` (at least one when
    there are two or more and ``fraction`` > 0, never all), chosen with ``seed``."""
    distinct = sorted(set(files))
    if fraction <= 0 or len(distinct) < 2:
        return set()
    count = min(len(distinct) - 1, max(1, round(fraction * len(distinct))))
    order = np.random.default_rng(seed).permutation(len(distinct))
    return {distinct[i] for i in order[:count]}


def _transpose(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Shift a ``[T, 128]`` roll by ``shift`` semitones, dropping what leaves the range."""
    if shift == 0:
        return x
    out = torch.zeros_like(x)
    if shift > 0:
        out[:, shift:] = x[:, :-shift]
    else:
        out[:, :shift] = x[:, -shift:]
    return out


def _learning_rate(config: LatentConfig, step: int, total: int) -> float:
    t = config.train
    if step < t.warmup_steps:
        return t.learning_rate * (step + 1) / t.warmup_steps
    progress = min(1.0, (step - t.warmup_steps) / max(1, total - t.warmup_steps))
    floor = t.final_lr_fraction
    return t.learning_rate * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def _beta(config: LatentConfig, epoch: int) -> float:
    warm = config.train.beta_warmup_epochs
    return config.train.beta_max * (1.0 if warm == 0 else min(1.0, epoch / warm))


class _Run:
    """State of one training run (kept together so the loop stays short)."""

    def __init__(self, config: LatentConfig, train: ClipArrays, holdout: ClipArrays,
                 device: str) -> None:
        self.config, self.train, self.holdout, self.device = config, train, holdout, device
        self.net = build_net(config).to(device)
        self.optimizer = torch.optim.AdamW(self.net.parameters(), lr=config.train.learning_rate,
                                           weight_decay=config.train.weight_decay)
        self.steps_per_epoch = max(1, math.ceil(len(train) / config.train.batch_size))
        self.total_steps = self.steps_per_epoch * config.train.epochs
        self.global_step = 0
        self.stopped_by_time = False
        self.history: list[dict[str, Any]] = []
        self.baseline = torch.from_numpy(baseline_curve(train.cc, train.cc_present))
        self.present_rate = torch.from_numpy(train.cc_present.mean(axis=0).astype(np.float32))

    def restore(self, ckpt: Checkpoint) -> None:
        self.net.load_state_dict(ckpt.model_state)
        if ckpt.optimizer_state is not None:
            self.optimizer.load_state_dict(ckpt.optimizer_state)
        self.global_step, self.history = ckpt.global_step, list(ckpt.history)
        if ckpt.rng_state is not None:
            torch.set_rng_state(ckpt.rng_state)

    def epoch(self, epoch: int, cancel: CancelToken | None,
              progress: Callable[[float, str], None]) -> tuple[float, float, float, float]:
        """Train one epoch; returns mean loss, reconstruction, KL and β."""
        t, beta = self.config.train, _beta(self.config, epoch)
        self.net.train()
        order = torch.randperm(len(self.train)).numpy()
        sums = np.zeros(3)
        for b in range(self.steps_per_epoch):
            check_cancel(cancel)
            index = np.sort(order[b * t.batch_size:(b + 1) * t.batch_size])
            on, act, cc, present = batch_tensors(self.train, index, self.device)
            if t.transpose:
                shifts = torch.randint(-t.transpose, t.transpose + 1, (len(index),)).tolist()
                on = torch.stack([_transpose(x, s) for x, s in zip(on, shifts, strict=True)])
                act = torch.stack([_transpose(x, s) for x, s in zip(act, shifts, strict=True)])
            outputs, mu, logvar = self.net(self.net.step_features(on, act, cc, present))
            recon = reconstruction_loss(outputs, on, act, cc, present, t.cc_weight).mean()
            kl = kl_per_clip(mu, logvar).mean()
            loss = recon + beta * kl / self.config.grid.steps
            lr = _learning_rate(self.config, self.global_step, self.total_steps)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if t.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), t.grad_clip)
            self.optimizer.step()
            self.global_step += 1
            sums += (loss.item(), recon.item(), kl.item())
            progress((b + 1) / self.steps_per_epoch, f"loss {loss.item():.4f}")
        means = sums / self.steps_per_epoch
        return float(means[0]), float(means[1]), float(means[2]), beta

    def measure(self) -> tuple[float, float, float, float]:
        """Held-out reconstruction, KL, CC-ME and note F1 (training clips if none held out)."""
        from core.latent.inference import reconstruct_arrays

        data = self.holdout if len(self.holdout) else self.train
        rec = reconstruct_arrays(self.net, data, device=self.device,
                                 cc_weight=self.config.train.cc_weight)
        return (float(rec.recon.mean()), float(rec.kl.mean()),
                cc_modulation_error(rec.arrays.cc, data.cc, data.cc_present),
                note_scores(rec.arrays.onsets, data.onsets).f1)


def _prepare(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | LatentDataset,
             config: LatentConfig, heldout: LatentDataset | None,
             progress: ProgressCallback | None, cancel: CancelToken | None
             ) -> tuple[LatentDataset, ClipArrays, ClipArrays, dict[str, Any]]:
    dataset = data if isinstance(data, LatentDataset) else load_dataset(
        data, config.grid, progress=progress, cancel=cancel)
    if dataset.grid != config.grid:
        raise LatentDataError("dataset", "the clips were read on another grid than the config's")
    files = [str(c.meta.get("file", c.source)) for c in dataset.clips]
    if heldout is not None:
        held_files: set[str] = set()
        holdout = heldout.arrays()
        train_index = np.arange(len(files))
    else:
        held_files = split_by_file(files, config.train.holdout_fraction, config.seed)
        train_index = np.array([i for i, f in enumerate(files) if f not in held_files], int)
        holdout = dataset.arrays().subset([i for i, f in enumerate(files) if f in held_files])
    train = dataset.arrays().subset(train_index)
    info = {"train_clips": len(train), "holdout_clips": len(holdout),
            "holdout_files": sorted(held_files), "files": len(set(files)),
            "separate_holdout": heldout is not None}
    return dataset, train, holdout, info


def train_latent(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | LatentDataset,
                 config: LatentConfig, out_dir: str | os.PathLike[str], *, resume: bool = False,
                 overwrite: bool = False, device: str | None = None,
                 heldout: LatentDataset | None = None, mrstft_clips: int = 8,
                 on_epoch: Callable[[EpochRecord], None] | None = None,
                 progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> TrainResult:
    """Train (or resume) a model on ``data`` and keep its checkpoint in ``out_dir``.

    Parameters
    ----------
    data
        A folder / files of MIDI clips, or an already loaded :class:`LatentDataset`.
    config
        The training configuration (:func:`core.latent.config.load_latent_config`).
    out_dir
        Run folder (created); holds ``checkpoint.safetensors``.
    resume
        Continue from the folder's checkpoint (it must come from the same config, except
        ``train.epochs``, ``threads`` and ``device``).
    overwrite
        Start afresh even though the folder already holds a checkpoint.
    device
        ``auto``/``cpu``/``cuda``/``mps``; ``None`` = the config's ``train.device``.
    heldout
        Clips to measure on instead of splitting ``data`` by file.
    mrstft_clips
        Held-out clips rendered by the built-in synth for the final MR-STFT (0 = skip).
    on_epoch
        Called (on this thread) with each :class:`EpochRecord`.

    Raises
    ------
    LatentDataError
        Nothing usable in ``data``.
    CheckpointError
        Resuming from a missing, damaged or differently configured checkpoint.
    OutputExists
        ``out_dir`` holds a checkpoint and neither ``resume`` nor ``overwrite`` is set.
    core.errors.Cancelled
        Cancelled; the last whole epoch's checkpoint is kept.
    """
    folder = Path(out_dir)
    path = folder / CHECKPOINT_NAME
    ckpt = _resume_checkpoint(path, config) if resume else None
    if ckpt is None and not overwrite and path.exists():
        raise OutputExists(path)
    device = resolve_device(device or config.train.device, purpose="latent training")
    read_share = 0.05
    dataset, train, holdout, info = _prepare(
        data, config, heldout, None if progress is None else
        (lambda f, s: report(progress, f * read_share, s)), cancel)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(folder, f"cannot create the run folder ({exc.strerror or exc})"
                              ) from None
    threads = torch.get_num_threads()
    # The thread cap is applied from the main thread only: changing torch's (OpenMP) thread
    # count from a worker thread is not safe on every build; there the default count is used.
    cap = threading.current_thread() is threading.main_thread()
    if cap:
        torch.set_num_threads(config.train.threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            run = _Run(config, train, holdout, device)
            if ckpt is not None:
                run.restore(ckpt)
            start = len(run.history)
            times = _loop(run, start, path, info, on_epoch, progress, read_share, cancel)
    finally:
        if cap:
            torch.set_num_threads(threads)
    model = LatentModel(read_checkpoint(path), device)
    evaluation = evaluate_arrays(model, holdout if len(holdout) else train,
                                 bpms=_bpms(dataset, heldout, info), mrstft_clips=mrstft_clips,
                                 cancel=cancel)
    final = read_checkpoint(path)
    save_checkpoint(path, config=config, model=run.net, optimizer=run.optimizer,
                    rng_state=final.rng_state, baseline=run.baseline,
                    cc_present_rate=run.present_rate, epoch=final.epoch,
                    global_step=final.global_step, complete=True, history=run.history,
                    data=info, evaluation=evaluation.to_dict())
    report(progress, 1.0, "trained")
    return TrainResult(checkpoint=path, config=config, history=tuple(run.history),
                       epochs_run=len(times), resumed_from=start,
                       epoch_seconds=float(np.mean(times)) if times else float("nan"),
                       evaluation=evaluation, parameters=parameter_count(run.net),
                       train_clips=len(train), holdout_clips=len(holdout),
                       report=dataset.report, data=info, stopped_by_time=run.stopped_by_time)


def _bpms(dataset: LatentDataset, heldout: LatentDataset | None,
          info: dict[str, Any]) -> list[float]:
    if heldout is not None:
        return [c.bpm for c in heldout.clips]
    held = set(info["holdout_files"])
    clips = [c for c in dataset.clips if str(c.meta.get("file", c.source)) in held]
    return [c.bpm for c in clips] or [c.bpm for c in dataset.clips]


def _resume_checkpoint(path: Path, config: LatentConfig) -> Checkpoint:
    ckpt = read_checkpoint(path)
    if ckpt.arch_hash != config.architecture_hash():
        diff = config_differences(ckpt.config, config)
        raise CheckpointError(path, "the checkpoint was trained with a different config ("
                                    + "; ".join(diff[:6]) + "); train afresh or resume with "
                                    "the config it was trained with")
    return ckpt


def _loop(run: _Run, start: int, path: Path, info: dict[str, Any],
          on_epoch: Callable[[EpochRecord], None] | None, progress: ProgressCallback | None,
          offset: float, cancel: CancelToken | None) -> list[float]:
    epochs = run.config.train.epochs
    limit = run.config.train.max_minutes * 60.0
    started = time.perf_counter()
    times: list[float] = []
    span = (1.0 - offset) * 0.97
    for epoch in range(start + 1, epochs + 1):
        t0 = time.perf_counter()
        base = offset + span * (epoch - 1 - start) / max(1, epochs - start)

        def sub(f: float, stage: str, epoch: int = epoch, base: float = base) -> None:
            report(progress, base + span * f / max(1, epochs - start),
                   f"epoch {epoch}/{epochs}: {stage}")

        loss, recon, kl, beta = run.epoch(epoch, cancel, sub)
        h_recon, h_kl, h_ccme, h_f1 = run.measure()
        seconds = time.perf_counter() - t0
        times.append(seconds)
        record = EpochRecord(epoch, epochs, loss, recon, kl, beta,
                             float(run.optimizer.param_groups[0]["lr"]), h_recon, h_kl, h_ccme,
                             h_f1, seconds)
        run.history.append(record.to_dict())
        save_checkpoint(path, config=run.config, model=run.net, optimizer=run.optimizer,
                        rng_state=torch.get_rng_state(), baseline=run.baseline,
                        cc_present_rate=run.present_rate, epoch=epoch,
                        global_step=run.global_step, complete=False, history=run.history,
                        data=info, evaluation={})
        if on_epoch is not None:
            on_epoch(record)
        spent = time.perf_counter() - started
        if limit and epoch < epochs and spent * (len(times) + 1) / len(times) > limit:
            run.stopped_by_time = True
            break
    if not path.exists():
        raise CheckpointError(path, "no epoch to train (config epochs is not above the "
                                    "checkpoint's)")
    return times
