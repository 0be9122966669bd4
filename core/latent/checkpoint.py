"""Latent-model checkpoints: one safetensors file with the weights, the optimiser state, the
random-number state and the training record, so training resumes bit for bit.

Tensors: ``model.<name>`` (weights), ``optim.<index>.<key>`` (Adam moments and step),
``rng.torch`` (torch's CPU generator state), ``baseline`` (the training set's per-step mean CC
curve, ``[steps, n_cc]``), ``cc_present_rate`` (share of training clips with each controller).
Metadata (strings): ``format``, ``config`` (JSON of the training config), ``arch_hash``,
``epoch``, ``global_step``, ``complete``, ``history``, ``param_groups``, ``data`` and
``evaluation`` (JSON).
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from core.errors import ConfigError
from core.fileutil import write_output
from core.latent.config import LatentConfig
from core.latent.errors import CheckpointError

FORMAT = "breakroom-latent-v1"
"""Value of the ``format`` metadata key."""

CHECKPOINT_NAME = "checkpoint.safetensors"
"""File name of a run folder's checkpoint."""

MAX_CHECKPOINT_BYTES = 4 * 2**30


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds (see the module docstring)."""

    path: Path
    config: LatentConfig
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None
    rng_state: torch.Tensor | None
    baseline: torch.Tensor
    cc_present_rate: torch.Tensor
    epoch: int
    global_step: int
    complete: bool
    history: list[dict[str, Any]]
    data: dict[str, Any]
    evaluation: dict[str, Any]
    arch_hash: str


def resolve_checkpoint_path(path: str | os.PathLike[str]) -> Path:
    """A run folder → its checkpoint file; a file stays itself."""
    p = Path(path)
    return p / CHECKPOINT_NAME if p.is_dir() else p


def save_checkpoint(path: str | os.PathLike[str], *, config: LatentConfig,
                    model: torch.nn.Module, optimizer: torch.optim.Optimizer | None,
                    rng_state: torch.Tensor | None, baseline: torch.Tensor,
                    cc_present_rate: torch.Tensor, epoch: int, global_step: int,
                    complete: bool, history: list[dict[str, Any]], data: dict[str, Any],
                    evaluation: dict[str, Any], overwrite: bool = True) -> Path:
    """Write a checkpoint atomically (the previous file stays whole until the new one is
    complete). Raises :class:`CheckpointError` when it cannot be written."""
    tensors: dict[str, torch.Tensor] = {
        f"model.{k}": v.detach().cpu().clone().contiguous()
        for k, v in model.state_dict().items()}
    groups: list[dict[str, Any]] = []
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, values in state["state"].items():
            for key, value in values.items():
                tensor = value if torch.is_tensor(value) else torch.tensor(value)
                tensors[f"optim.{index}.{key}"] = tensor.detach().cpu().clone().contiguous()
        groups = state["param_groups"]
    if rng_state is not None:
        tensors["rng.torch"] = rng_state.clone().contiguous()
    tensors["baseline"] = baseline.detach().cpu().float().contiguous()
    tensors["cc_present_rate"] = cc_present_rate.detach().cpu().float().contiguous()
    metadata = {"format": FORMAT, "config": json.dumps(config.to_dict()),
                "arch_hash": config.architecture_hash(), "epoch": str(int(epoch)),
                "global_step": str(int(global_step)), "complete": "1" if complete else "0",
                "history": json.dumps(history), "param_groups": json.dumps(groups),
                "data": json.dumps(data), "evaluation": json.dumps(evaluation)}
    blob = save_tensors(tensors, metadata=metadata)
    return write_output(path, blob, overwrite=overwrite, what="the checkpoint",
                        error=CheckpointError)


def _metadata(path: Path, blob: bytes) -> dict[str, str]:
    if len(blob) < 8:
        raise CheckpointError(path, "not a Breakroom latent checkpoint (file too short)")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > len(blob) - 8:
        raise CheckpointError(path, "not a Breakroom latent checkpoint (damaged header)")
    try:
        header = json.loads(blob[8:8 + size])
    except (UnicodeDecodeError, ValueError):
        raise CheckpointError(path, "not a Breakroom latent checkpoint (damaged header)"
                              ) from None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(path, "not a Breakroom latent checkpoint (safetensors without "
                                    f"the {FORMAT} metadata)")
    return meta


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint file (or a run folder's).

    Raises
    ------
    CheckpointError
        Missing, unreadable, damaged, or not a Breakroom latent checkpoint.
    """
    file = resolve_checkpoint_path(path)
    try:
        if file.stat().st_size > MAX_CHECKPOINT_BYTES:
            raise CheckpointError(file, "checkpoint is larger than 4 GiB; refusing to load it")
        blob = file.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(file, "checkpoint not found") from None
    except IsADirectoryError:
        raise CheckpointError(file, "is a folder without a checkpoint") from None
    except OSError as exc:
        raise CheckpointError(file, f"cannot read the checkpoint ({exc.strerror or exc})"
                              ) from None
    meta = _metadata(file, blob)
    try:
        tensors = load_tensors(blob)
        config = LatentConfig.from_dict(json.loads(meta["config"]), source=str(file))
        groups = json.loads(meta.get("param_groups", "[]"))
        optimizer: dict[str, Any] | None = None
        if groups:
            state: dict[int, dict[str, torch.Tensor]] = {}
            for key, value in tensors.items():
                if key.startswith("optim."):
                    _, index, name = key.split(".", 2)
                    state.setdefault(int(index), {})[name] = value
            optimizer = {"state": state, "param_groups": groups}
        return Checkpoint(
            path=file, config=config,
            model_state={k[6:]: v for k, v in tensors.items() if k.startswith("model.")},
            optimizer_state=optimizer, rng_state=tensors.get("rng.torch"),
            baseline=tensors["baseline"], cc_present_rate=tensors["cc_present_rate"],
            epoch=int(meta["epoch"]), global_step=int(meta["global_step"]),
            complete=meta.get("complete") == "1", history=json.loads(meta["history"]),
            data=json.loads(meta.get("data", "{}")),
            evaluation=json.loads(meta.get("evaluation", "{}")), arch_hash=meta["arch_hash"])
    except CheckpointError:
        raise
    except ConfigError as exc:
        raise CheckpointError(file, f"the checkpoint's config is invalid ({exc})") from None
    except Exception as exc:  # safetensors, JSON or missing keys: a damaged file
        raise CheckpointError(file, f"damaged checkpoint ({type(exc).__name__}: {exc})"
                              ) from None


def config_differences(a: LatentConfig, b: LatentConfig) -> list[str]:
    """Human-readable differences between two configs' architecture-relevant settings."""
    da, db = a.to_dict(), b.to_dict()
    out: list[str] = []
    for section in ("data", "model", "train"):
        for key in sorted(set(da[section]) | set(db[section])):
            if section == "train" and key in ("epochs", "threads", "device", "max_minutes"):
                continue
            if da[section].get(key) != db[section].get(key):
                out.append(f"{section}.{key} {da[section].get(key)} vs {db[section].get(key)}")
    if da["seed"] != db["seed"]:
        out.append(f"seed {da['seed']} vs {db['seed']}")
    return out
