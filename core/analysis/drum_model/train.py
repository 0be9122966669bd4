"""Train the drum model: one command reproduces ``resources/models/drums-v1.safetensors``.

    .venv/bin/python -m core.analysis.drum_model.train --config configs/drums_train.yaml \\
        --out resources/models/drums-v1.safetensors [--device auto|cpu|cuda|mps]

Steps: render (or load cached) examples from the devset's TRAIN kits and DEV split
(:mod:`.dataset`); train :class:`~.model.DrumNet` with Adam on random crops and a weighted
binary cross-entropy (positive weight ``sqrt(negatives / positives)`` per class, capped),
cosine learning-rate decay, early stopping on the DEV loss; then calibrate on DEV (per-class
thresholds, time offset) and on training clips (velocity map); write the weights, metadata
and the ``.sha256`` file. Seeds are fixed and torch runs with deterministic algorithms, so the
same config on the same machine gives the same weights.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from core.analysis.drum_model import calibrate
from core.analysis.drum_model.dataset import CropSampler, Example, build_examples, frame_targets
from core.analysis.drum_model.kit_augment import KitAugmentation
from core.analysis.drum_model.model import DrumNet, ModelConfig, parameter_count
from core.analysis.drum_model.weights import ModelMetadata, resolve_device, save_model
from core.errors import ConfigError

log = logging.getLogger("core.analysis.drum_model.train")


def config_hash(config: dict[str, Any]) -> str:
    """SHA-256 (hex, 16 chars) of the canonical JSON of ``config``."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a training YAML file; raises :class:`ConfigError` when sections are missing."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    for section in ("data", "model", "train", "calibration"):
        if not isinstance(config, dict) or section not in config:
            raise ConfigError(f"{path}: training config lacks the {section!r} section")
    return config


def _specs(data: dict[str, Any], seed: int) -> tuple[list[object], list[int | None],
                                                     list[object], list[int | None]]:
    """Train specs and their derived-kit seeds (``None``: the kit as it is); the same for DEV."""
    from core.devset import development_set

    train: list[object] = []
    for s in data["train_seeds"]:
        train += development_set("train", seed=int(s),
                                 clips_per_style=int(data["train_clips_per_style"]),
                                 seconds=float(data["train_seconds"]))
    rng = np.random.default_rng([seed, 7])
    fraction = float(data.get("kit_augment_fraction", 0.0))
    kit_seeds = [int(rng.integers(2**31)) if rng.random() < fraction else None for _ in train]
    dev = development_set("dev", seed=int(data["dev_seed"]),
                          clips_per_style=int(data["dev_clips_per_style"]),
                          seconds=float(data["dev_seconds"]))
    dev_fraction = float(data.get("dev_kit_augment_fraction", 0.0))
    dev_seeds = [int(rng.integers(2**31)) if rng.random() < dev_fraction else None for _ in dev]
    return train, kit_seeds, dev, dev_seeds


def _seed_everything(seed: int) -> None:
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def _dev_loss(net: DrumNet, examples: Sequence[Example], targets: Sequence[np.ndarray],
              pos_weight: torch.Tensor, device: str) -> float:
    total, frames = 0.0, 0
    for ex, y in zip(examples, targets, strict=True):
        act = calibrate.activations_of(net, ex.features, device)
        logits = torch.logit(torch.from_numpy(act).clamp(1e-6, 1 - 1e-6))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(y), pos_weight=pos_weight, reduction="sum")
        total += float(loss)
        frames += len(y)
    return total / max(1, frames)


def _pos_weight(sampler: CropSampler, cap: float) -> torch.Tensor:
    """Per-class BCE positive weight ``sqrt(negatives / positives)``, at most ``cap``."""
    rate = np.clip(sampler.positive_rate(), 1e-6, 1.0)
    return torch.tensor(np.minimum(np.sqrt((1 - rate) / rate), cap), dtype=torch.float32)


def _train_epoch(net: DrumNet, sampler: CropSampler, opt: torch.optim.Optimizer,
                 sched: torch.optim.lr_scheduler.LRScheduler, steps: int, batch: int,
                 pos_weight: torch.Tensor, device: str) -> float:
    """One epoch of ``steps`` random batches; returns the mean training loss."""
    net.train()
    running = 0.0
    for _ in range(steps):
        x, y = sampler.batch(batch)
        logits = net(torch.from_numpy(x).to(device))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, torch.from_numpy(y).to(device), pos_weight=pos_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
    return running / steps


def train_net(config: dict[str, Any], train: Sequence[Example], dev: Sequence[Example],
              device: str) -> tuple[DrumNet, dict[str, Any]]:
    """Optimise a :class:`DrumNet`; return the best-on-DEV net and a training record."""
    tc, seed = config["train"], int(config["seed"])
    net = DrumNet(ModelConfig.from_dict(config["model"])).to(device)
    sampler = CropSampler(train, crop=int(tc["crop_frames"]), context=net.context,
                          gain_db=tuple(tc["gain_db"]), eq_db=float(tc.get("eq_db", 0.0)),
                          widening=float(tc["target_widening"]), seed=seed)
    pos_weight = _pos_weight(sampler, float(tc["pos_weight_max"])).to(device)
    batch, epochs = int(tc["batch_size"]), int(tc["epochs"])
    steps = max(1, sampler.total_frames // (batch * int(tc["crop_frames"])))
    opt = torch.optim.Adam(net.parameters(), lr=float(tc["learning_rate"]),
                           weight_decay=float(tc["weight_decay"]))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 0.5 * (1 + math.cos(math.pi * min(1.0, k / (epochs * steps)))))
    dev_targets = [frame_targets(ex, float(tc["target_widening"])) for ex in dev]
    best = (math.inf, -1, copy.deepcopy(net.state_dict()))
    history, start = [], time.perf_counter()
    for epoch in range(1, epochs + 1):
        train_loss = _train_epoch(net, sampler, opt, sched, steps, batch, pos_weight, device)
        dev_loss = _dev_loss(net, dev, dev_targets, pos_weight, device)
        minutes = (time.perf_counter() - start) / 60.0
        history.append({"epoch": epoch, "train_loss": round(train_loss, 5),
                        "dev_loss": round(dev_loss, 5)})
        log.info("epoch %d: train %.4f  dev %.4f  (%.1f min)", epoch, train_loss, dev_loss,
                 minutes)
        if dev_loss < best[0]:
            best = (dev_loss, epoch, copy.deepcopy(net.state_dict()))
        elif epoch - best[1] >= int(tc["patience"]):
            log.info("early stop: no DEV improvement for %s epochs", tc["patience"])
            break
        if minutes * (epoch + 1) / epoch > float(tc["max_minutes"]):
            log.info("stopping: the next epoch would pass max_minutes")
            break
    net.load_state_dict(best[2])
    net.eval()
    record = {"best_epoch": best[1], "best_dev_loss": round(best[0], 5), "history": history,
              "steps_per_epoch": steps, "parameters": parameter_count(net),
              "train_frames": sampler.total_frames, "train_examples": len(train),
              "dev_examples": len(dev)}
    return net, record


def calibrate_model(net: DrumNet, config: dict[str, Any], train: Sequence[Example],
                    dev: Sequence[Example], device: str) -> tuple[ModelMetadata, dict]:
    """Thresholds and time offset on DEV, velocity map on drums-only training examples."""
    cc = config["calibration"]
    meta = ModelMetadata(model=net.config, velocity_bands=calibrate.VELOCITY_BANDS,
                         velocity_map=((1.0 / 34.0, 2.1),) * net.config.n_classes)
    dev_act = [calibrate.activations_of(net, ex.features, device) for ex in dev]
    thresholds, scores = calibrate.tune_thresholds(meta, dev, dev_act, cc["thresholds"])
    meta = replace(meta, thresholds=thresholds)
    meta = replace(meta, time_offset=calibrate.fit_time_offset(meta, dev, dev_act))
    clean = [ex for ex in train if ex.kind in ("drums", "stem")][: int(cc["velocity_clips"])]
    clean_act = [calibrate.activations_of(net, ex.features, device) for ex in clean]
    meta = replace(meta, velocity_map=calibrate.fit_velocity_map(meta, clean, clean_act))
    return meta, {"dev_f_per_class": {k: round(v, 4) for k, v in scores.items()}}


def run(config_path: str | Path, out: str | Path, *, device: str = "auto",
        cache_dir: Path | None = None) -> Path:
    """Train, calibrate and save; returns the weights path."""
    config = load_config(config_path)
    seed = int(config["seed"])
    _seed_everything(seed)
    torch.set_num_threads(int(config["train"].get("threads", 2)))
    device = resolve_device(device)
    t0 = time.perf_counter()
    train_specs, kit_seeds, dev_specs, dev_seeds = _specs(config["data"], seed)
    data = config["data"]

    def progress(done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            log.info("rendered %d/%d", done, total)

    strength = KitAugmentation.from_config(data.get("kit_augmentation"))
    train = build_examples(train_specs, with_stems=bool(data["stems"]), kit_seeds=kit_seeds,
                           cache_dir=cache_dir, workers=int(data["workers"]), progress=progress,
                           kit_augmentation=strength)
    dev = build_examples(dev_specs, with_stems=bool(data["stems"]), kit_seeds=dev_seeds,
                         cache_dir=cache_dir, workers=int(data["workers"]), progress=progress,
                         kit_augmentation=strength)
    t_data = time.perf_counter() - t0
    log.info("data: %d train / %d dev examples in %.0f s", len(train), len(dev), t_data)
    _seed_everything(seed)
    net, record = train_net(config, train, dev, device)
    meta, cal = calibrate_model(net, config, train, dev, device)
    record.update(cal)
    # No wall times in the metadata: the same config gives a byte-identical file (same SHA-256).
    record.update({"config_hash": config_hash(config), "seed": seed, "device": device,
                   "torch": torch.__version__, "config": config})
    meta = replace(meta, training=record)
    digest = save_model(net.cpu(), meta, out)
    log.info("wrote %s (sha256 %s) in %.1f min; DEV F per class %s", out, digest,
             (time.perf_counter() - t0) / 60.0, cal["dev_f_per_class"])
    return Path(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m core.analysis.drum_model.train",
                                     description="Train Breakroom's drum transcription model.")
    parser.add_argument("--config", default="configs/drums_train.yaml")
    parser.add_argument("--out", default="resources/models/drums-v1.safetensors")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="where rendered examples are cached (default: platform cache)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run(args.config, args.out, device=args.device, cache_dir=args.cache_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
