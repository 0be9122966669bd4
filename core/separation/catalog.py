"""The separation models Breakroom knows: what each is good for, its stems, its weight files.

Demucs checkpoints are named ``<signature>-<sha256 prefix>.th`` and served from the Demucs
release host; the part after the dash is the first 8 hex digits of the file's SHA-256, which
is how a download or an imported file is verified. A "bag" (``htdemucs_ft``) is several
checkpoints, one per stem, combined with a weight matrix.

Published quality is the SDR on the MUSDB18-HQ test set as reported by the Demucs authors
(Rouard, Massa, Défossez, "Hybrid Transformers for Music Source Separation", ICASSP 2023, and
the Demucs README); ``None`` where no per-stem figure was published for that model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from core.errors import InvalidParameter

DEMUCS_URL_ROOT = "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/"
"""Where the Hybrid Transformer Demucs checkpoints are published."""


@dataclass(frozen=True)
class WeightFile:
    """One checkpoint: file ``name`` (``<signature>-<sha256 prefix>.th``) and download URL."""

    name: str
    url: str

    @property
    def sha256_prefix(self) -> str:
        """The SHA-256 prefix encoded in the file name."""
        return self.name.rsplit(".", 1)[0].split("-")[-1]


@dataclass(frozen=True)
class ModelInfo:
    """A separation model: ``name``, one-line ``summary`` (what it is good for), ``stems`` in
    output order, its ``files`` (none for the offline separator), the bag ``weights`` (per
    file, per stem; ``None`` = plain average), the published overall SDR (dB) and per-stem
    SDR (dB, where published), approximate ``size_mb`` to download, and ``notes``."""

    name: str
    summary: str
    stems: tuple[str, ...]
    files: tuple[WeightFile, ...] = ()
    bag_weights: tuple[tuple[float, ...], ...] | None = None
    published_sdr_db: float | None = None
    published_stem_sdr_db: MappingProxyType = field(
        default_factory=lambda: MappingProxyType({}))
    size_mb: float = 0.0
    notes: str = ""

    @property
    def needs_weights(self) -> bool:
        """Whether the model needs downloaded weight files."""
        return bool(self.files)


def _demucs(name: str) -> WeightFile:
    return WeightFile(name, DEMUCS_URL_ROOT + name)


_FOUR = ("drums", "bass", "other", "vocals")

MODELS: MappingProxyType = MappingProxyType({
    "htdemucs": ModelInfo(
        "htdemucs", "Hybrid Transformer Demucs v4: the default; good all round, 4 stems",
        _FOUR, (_demucs("955717e8-8726e21a.th"),), published_sdr_db=9.00, size_mb=80.0,
        notes="trained on MUSDB18-HQ plus 800 extra songs"),
    "htdemucs_ft": ModelInfo(
        "htdemucs_ft", "fine-tuned Hybrid Transformer Demucs: best quality, 4× slower",
        _FOUR, (_demucs("f7e0c4bc-ba3fe64a.th"), _demucs("d12395a8-e57c48e6.th"),
                _demucs("92cfc3b6-ef3bcb9c.th"), _demucs("04573f0d-f3cf25b2.th")),
        bag_weights=((1.0, 0.0, 0.0, 0.0), (0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0),
                     (0.0, 0.0, 0.0, 1.0)),
        published_sdr_db=9.20, published_stem_sdr_db=MappingProxyType({"drums": 10.83}),
        size_mb=320.0, notes="one model per stem (a bag of four)"),
    "htdemucs_6s": ModelInfo(
        "htdemucs_6s", "6 stems (adds guitar and piano); piano is weak per its authors",
        ("drums", "bass", "other", "vocals", "guitar", "piano"),
        (_demucs("5c90dfd2-34c22ccb.th"),), size_mb=55.0,
        notes="experimental; no published MUSDB figure (MUSDB has no guitar/piano stems)"),
    "classic": ModelInfo(
        "classic", "offline separator (harmonic/percussive + spectral masks): no download, "
        "fast; good enough for drum analysis and auditioning", ("drums", "bass", "other"),
        notes="Breakroom's own; measured by benchmarks/separation_quality.py"),
})
"""Every model, by name."""

DEFAULT_MODEL = "htdemucs"
"""The model used when its weights are present (else :data:`OFFLINE_MODEL`)."""
OFFLINE_MODEL = "classic"
"""The separator that needs no download."""


def model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of ``name``; :class:`InvalidParameter` lists the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise InvalidParameter(f"unknown separation model {name!r}; known: "
                               f"{', '.join(MODELS)}") from None
