"""Drum-model weights: a safetensors file with JSON metadata, verified by a SHA-256 file.

Layout of a weights file (``resources/models/drums-v1.safetensors``):

* tensors: the :class:`~core.analysis.drum_model.model.DrumNet` state dict (float32);
* metadata key ``"breakroom"``: JSON of :class:`ModelMetadata` (classes, feature and model
  parameters, per-class peak thresholds, velocity calibration, time offset, training record).

Beside it, ``drums-v1.sha256`` holds ``"<hex digest>  drums-v1.safetensors"`` (the
``sha256sum`` format). :func:`load_model` refuses a file whose digest differs, or whose
metadata does not match this code's features, with :class:`core.errors.ModelUnavailable`
saying what to do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.analysis.drum_model.features import FeatureParams
from core.analysis.drum_model.model import DrumNet, ModelConfig
from core.devices import resolve_device as _resolve_device
from core.errors import ModelUnavailable
from core.vocabulary import DRUM_INSTRUMENTS

MODEL_NAME = "drums"
MODEL_VERSION = "1"
FORMAT_VERSION = 1
"""Version of the metadata layout."""
_META_KEY = "breakroom"
_TRAIN_HINT = ("re-create it with `python -m core.analysis.drum_model.train --config "
               "configs/drums_train.yaml --out resources/models/drums-v1.safetensors`, or "
               "restore it from the Breakroom repository")


def default_weights_path() -> Path:
    """The shipped weights: ``resources/models/drums-v1.safetensors`` of the repository."""
    root = Path(__file__).resolve().parents[3]
    return root / "resources" / "models" / f"{MODEL_NAME}-v{MODEL_VERSION}.safetensors"


def checksum_path(weights: Path) -> Path:
    """The checksum file beside ``weights`` (same stem, ``.sha256``)."""
    return weights.with_suffix(".sha256")


@dataclass(frozen=True)
class ModelMetadata:
    """Everything inference needs besides the tensors.

    ``thresholds``: per-class peak-picking thresholds on the activation (0–1).
    ``velocity_bands``: per-class ``(low, high)`` Hz band whose peak level (dB) sets velocity.
    ``velocity_map``: per-class ``(slope, intercept)``: velocity = 10 ** (slope · level_dB +
    intercept), clipped to 1–127.
    ``time_offset``: seconds added to every detected frame time (latency correction).
    """

    classes: tuple[str, ...] = DRUM_INSTRUMENTS
    features: FeatureParams = field(default_factory=FeatureParams)
    model: ModelConfig = field(default_factory=ModelConfig)
    thresholds: tuple[float, ...] = (0.5,) * len(DRUM_INSTRUMENTS)
    velocity_bands: tuple[tuple[float, float], ...] = ()
    velocity_map: tuple[tuple[float, float], ...] = ()
    time_offset: float = 0.0
    name: str = MODEL_NAME
    version: str = MODEL_VERSION
    training: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialised form stored in the safetensors metadata."""
        data = asdict(self)
        data["model"] = self.model.to_dict()
        data["format_version"] = FORMAT_VERSION
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelMetadata:
        """Inverse of :meth:`to_json`; raises ``ValueError``/``KeyError`` on bad input."""
        data = json.loads(text)
        if data.pop("format_version", None) != FORMAT_VERSION:
            raise ValueError("unknown metadata format version")
        return cls(
            classes=tuple(data["classes"]),
            features=FeatureParams(**data["features"]),
            model=ModelConfig.from_dict(data["model"]),
            thresholds=tuple(float(t) for t in data["thresholds"]),
            velocity_bands=tuple((float(a), float(b)) for a, b in data["velocity_bands"]),
            velocity_map=tuple((float(a), float(b)) for a, b in data["velocity_map"]),
            time_offset=float(data["time_offset"]),
            name=str(data["name"]), version=str(data["version"]),
            training=dict(data.get("training", {})),
        )


@dataclass(frozen=True)
class LoadedModel:
    """A verified model ready for inference on ``device`` (``"cpu"``, ``"cuda"``, ``"mps"``)."""

    net: DrumNet
    metadata: ModelMetadata
    device: str
    path: Path
    sha256: str


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_model(net: DrumNet, metadata: ModelMetadata, path: str | Path) -> str:
    """Write ``net`` + ``metadata`` to ``path`` and its ``.sha256`` file; return the digest."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous()
               for k, v in net.state_dict().items() if v.is_floating_point()}
    tensors.update({k: v.detach().cpu().contiguous()
                    for k, v in net.state_dict().items() if not v.is_floating_point()})
    save_file(tensors, str(path), metadata={_META_KEY: metadata.to_json()})
    digest = sha256_file(path)
    checksum_path(path).write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    return digest


def resolve_device(device: str = "auto") -> str:
    """The torch device for the drum model (see :func:`core.devices.resolve_device`)."""
    return _resolve_device(device, purpose="drum")


def load_model(path: str | Path | None = None, *, device: str = "auto",
               verify: bool = True) -> LoadedModel:
    """Load and verify drum-model weights.

    Parameters
    ----------
    path : path-like or None
        Weights file; ``None`` = :func:`default_weights_path`.
    device : str
        ``"auto"`` (cuda > mps > cpu), ``"cpu"``, ``"cuda"`` or ``"mps"``.
    verify : bool
        Check the SHA-256 against the ``.sha256`` file beside the weights (required).

    Raises
    ------
    ModelUnavailable
        The file or its checksum file is missing, the digest differs, or the file is not a
        Breakroom drum model of a compatible version. The message says what to do.
    InvalidParameter
        ``device`` is unknown or unavailable.
    """
    path = Path(path) if path is not None else default_weights_path()
    device = resolve_device(device)
    if not path.is_file():
        raise ModelUnavailable(f"drum model weights not found at {path}; {_TRAIN_HINT}")
    digest = sha256_file(path)
    if verify:
        _verify_checksum(path, digest)
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt", device="cpu") as handle:
            meta_text = (handle.metadata() or {}).get(_META_KEY)
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
        if meta_text is None:
            raise ValueError("no Breakroom metadata")
        metadata = ModelMetadata.from_json(meta_text)
        _check_compatible(metadata)
        net = DrumNet(metadata.model)
        net.load_state_dict(tensors, strict=True)
    except ModelUnavailable:
        raise
    except Exception as exc:  # corrupt file, wrong tensors, bad metadata
        raise ModelUnavailable(
            f"drum model weights at {path} cannot be used ({exc}); {_TRAIN_HINT}") from None
    net.eval().to(device)
    return LoadedModel(net, metadata, device, path, digest)


def _verify_checksum(path: Path, digest: str) -> None:
    sums = checksum_path(path)
    if not sums.is_file():
        raise ModelUnavailable(
            f"checksum file {sums} is missing, so the drum model at {path} cannot be verified; "
            f"{_TRAIN_HINT}")
    expected = sums.read_text(encoding="utf-8").split()[:1]
    if expected != [digest]:
        raise ModelUnavailable(
            f"drum model weights at {path} do not match their checksum in {sums.name} (the file "
            f"is damaged or was replaced); {_TRAIN_HINT}")


def _check_compatible(metadata: ModelMetadata) -> None:
    if metadata.name != MODEL_NAME:
        raise ValueError(f"not a drum model ({metadata.name!r})")
    if metadata.features != FeatureParams():
        raise ValueError("its feature parameters differ from this Breakroom's")
    n = len(metadata.classes)
    if any(c not in DRUM_INSTRUMENTS for c in metadata.classes) or n != metadata.model.n_classes:
        raise ValueError("its instrument classes are not Breakroom's vocabulary")
    if len(metadata.thresholds) != n or len(metadata.velocity_bands) != n \
            or len(metadata.velocity_map) != n:
        raise ValueError("its per-class thresholds or velocity calibration are incomplete")
