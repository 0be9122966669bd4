"""Training configurations of the latent model: ``configs/latent_quick.yaml``,
``configs/latent_full.yaml`` or any YAML file of the same shape.

Sections: ``seed``; ``data`` (the step grid and the held-out share); ``model`` (see
:class:`core.latent.model.ModelConfig`); ``train`` (epochs, batch, learning rate, β schedule,
augmentation, threads, device); ``examples`` (the generated set the benchmark and first-time
users train on). Unknown keys are errors that name the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError, InvalidParameter
from core.latent.clip import DEFAULT_CC_NUMBERS, GridSpec
from core.latent.model import ModelConfig

CONFIG_NAMES = ("quick", "full")
"""Named configs shipped in ``configs/latent_<name>.yaml``."""


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings.

    ``beta_max`` weighs the KL term against the reconstruction of one clip (β-VAE); β rises
    linearly from 0 over ``beta_warmup_epochs``. ``learning_rate`` warms up over the first
    ``warmup_steps`` optimiser steps, then decays along a cosine to ``learning_rate ×
    final_lr_fraction``. ``transpose`` shifts each training clip by a random −N…+N semitones.
    ``threads`` caps torch's CPU threads while training (when training runs on the main
    thread, as from the command line). ``max_minutes`` (0 = no limit) ends
    training after the last epoch that fits in that many minutes of wall-clock time (measured
    from the first epoch; the held-out evaluation after it is not counted) — the quick config's
    promise to finish in five minutes holds on a busy machine too, at the cost of epochs.
    """

    epochs: int = 30
    batch_size: int = 16
    learning_rate: float = 1e-3
    final_lr_fraction: float = 0.05
    warmup_steps: int = 50
    weight_decay: float = 0.0
    beta_max: float = 0.05
    beta_warmup_epochs: int = 10
    cc_weight: float = 10.0
    grad_clip: float = 1.0
    transpose: int = 5
    holdout_fraction: float = 0.15
    threads: int = 2
    device: str = "auto"
    max_minutes: float = 0.0

    def __post_init__(self) -> None:
        checks = (("max_minutes", 0.0, 100_000.0), ("epochs", 1, 100_000),
                  ("batch_size", 1, 4096), ("learning_rate", 1e-7, 1.0),
                  ("final_lr_fraction", 0.0, 1.0), ("warmup_steps", 0, 10**7),
                  ("weight_decay", 0.0, 1.0), ("beta_max", 0.0, 100.0),
                  ("beta_warmup_epochs", 0, 100_000), ("cc_weight", 0.0, 1e4),
                  ("grad_clip", 0.0, 1e6), ("transpose", 0, 24),
                  ("holdout_fraction", 0.0, 0.9), ("threads", 1, 256))
        for name, low, high in checks:
            value = getattr(self, name)
            if isinstance(value, bool) or not low <= value <= high:
                raise InvalidParameter(f"train.{name} must be {low}–{high}, got {value!r}")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            raise InvalidParameter(f"train.device must be auto, cpu, cuda or mps, got "
                                   f"{self.device!r}")


@dataclass(frozen=True)
class ExampleSettings:
    """The generated example set: ``per_style`` files of ``bars`` bars per style (seed
    ``seed``) and a held-out set of ``heldout_per_style`` files (seed ``heldout_seed``)."""

    per_style: int = 40
    bars: int = 8
    seed: int = 0
    heldout_per_style: int = 8
    heldout_seed: int = 10_000


@dataclass(frozen=True)
class LatentConfig:
    """A whole training configuration (see the module docstring)."""

    name: str = "custom"
    seed: int = 7
    grid: GridSpec = field(default_factory=GridSpec)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainSettings = field(default_factory=TrainSettings)
    examples: ExampleSettings = field(default_factory=ExampleSettings)

    def __post_init__(self) -> None:
        if self.grid.steps % self.model.patch_steps:
            raise InvalidParameter(
                f"model.patch_steps ({self.model.patch_steps}) must divide the clip length "
                f"({self.grid.steps} steps = {self.grid.bars} bars × {self.grid.beats_per_bar} "
                f"beats × {self.grid.steps_per_beat})")
        tokens = self.grid.steps // self.model.patch_steps
        if self.model.latent_dim % tokens:
            raise InvalidParameter(
                f"model.latent_dim ({self.model.latent_dim}) must be a multiple of the clip's "
                f"{tokens} tokens ({self.grid.steps} steps / patch_steps "
                f"{self.model.patch_steps})")

    def with_latent_dim(self, latent_dim: int) -> LatentConfig:
        """The same config with another latent size."""
        return replace(self, model=replace(self.model, latent_dim=int(latent_dim)))

    def with_train(self, **changes: Any) -> LatentConfig:
        """The same config with some training settings changed."""
        return replace(self, train=replace(self.train, **changes))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what the YAML file holds)."""
        return {"name": self.name, "seed": self.seed, "data": self.grid.to_dict(),
                "model": asdict(self.model), "train": asdict(self.train),
                "examples": asdict(self.examples)}

    def architecture_hash(self) -> str:
        """Hash of what a checkpoint's weights and optimiser state depend on (grid, model,
        seed and the optimisation settings that shape the run); 16 hex characters."""
        data = {"seed": self.seed, "data": self.grid.to_dict(), "model": asdict(self.model),
                "train": {k: v for k, v in asdict(self.train).items()
                          if k not in ("epochs", "threads", "device", "max_minutes")}}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config") -> LatentConfig:
        """Build and validate; raises :class:`ConfigError` naming ``source`` and the key."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: a latent training config is a mapping of sections")
        allowed = {"name", "seed", "data", "model", "train", "examples"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{source}: unknown key(s) {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(allowed))}")
        try:
            grid_data = dict(data.get("data") or {})
            grid_data.setdefault("cc_numbers", list(DEFAULT_CC_NUMBERS))
            grid_data["cc_numbers"] = tuple(grid_data["cc_numbers"])
            return cls(name=str(data.get("name", "custom")), seed=int(data.get("seed", 7)),
                       grid=_build(GridSpec, grid_data, "data", source),
                       model=_build(ModelConfig, data.get("model") or {}, "model", source),
                       train=_build(TrainSettings, data.get("train") or {}, "train", source),
                       examples=_build(ExampleSettings, data.get("examples") or {}, "examples",
                                       source))
        except InvalidParameter as exc:
            raise ConfigError(f"{source}: {exc}") from None


def _build(kind: type, values: dict[str, Any], section: str, source: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: section {section!r} must be a mapping")
    names = {f.name for f in fields(kind)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(f'{section}.{k}' for k in unknown)}"
                          f"; known: {', '.join(sorted(names))}")
    try:
        return kind(**values)
    except TypeError as exc:
        raise ConfigError(f"{source}: section {section!r}: {exc}") from None


def configs_dir() -> Path:
    """The folder holding the shipped ``latent_*.yaml`` files."""
    return Path(__file__).resolve().parents[2] / "configs"


def load_latent_config(name_or_path: str | os.PathLike[str] = "quick") -> LatentConfig:
    """Load ``quick``, ``full`` (the shipped files) or a YAML file path.

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or has a bad key or value (named).
    """
    text = str(name_or_path)
    path = configs_dir() / f"latent_{text}.yaml" if text in CONFIG_NAMES else Path(text)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: latent config not found (use quick, full or a YAML file)"
                          ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the latent config ({exc})") from None
    config = LatentConfig.from_dict(data, source=str(path))
    if text in CONFIG_NAMES and config.name != text:
        config = replace(config, name=text)
    return config
