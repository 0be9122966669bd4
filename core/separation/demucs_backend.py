"""Demucs as a Breakroom separator: one chunk in, every stem out, on any torch device.

:class:`DemucsSeparator` wraps a loaded ``HTDemucs`` model (or a bag of them) behind the small
interface :mod:`core.separation.pipeline` drives: ``separate(chunk)`` maps a stereo chunk at
the model's rate to ``[stems, 2, samples]``. The chunk length is the model's training segment
(7.8 s for ``htdemucs``); longer signals are handled by the pipeline's overlap-add. As in Demucs
itself, the input is normalised by the whole track's mean and standard deviation
(:meth:`prepare`), and the stems are scaled back.

Cancellation: a forward pre-hook on every encoder and decoder layer checks the cancel token, so a
cancel lands within one layer (well under a second), not at the end of a 7.8 s chunk.
Half precision: on CUDA the forward runs under ``torch.autocast(float16)`` unless disabled; if
the first chunk comes out non-finite, the separator switches to float32 for good and says so.
"""

from __future__ import annotations

import logging

import numpy as np

from core.errors import InvalidParameter
from core.jobs import CancelToken, check_cancel

log = logging.getLogger(__name__)


def _members(model: object) -> list[tuple[object, np.ndarray]]:
    """``(model, per-stem weights)`` of a single model or of each model in a bag."""
    inner = getattr(model, "models", None)
    if inner is None:
        return [(model, np.ones(len(model.sources)))]  # type: ignore[attr-defined]
    weights = getattr(model, "weights", None) or [[1.0] * len(model.sources)] * len(inner)  # type: ignore[attr-defined]
    return [(m, np.asarray(w, dtype=np.float64)) for m, w in zip(inner, weights, strict=True)]


class DemucsSeparator:
    """A Demucs model ready to separate chunks (see module docstring).

    Parameters
    ----------
    model
        A Demucs model or ``BagOfModels`` (from :func:`core.separation.weights.load_demucs`).
    device : str
        A resolved torch device (``cpu``, ``cuda``, ``mps``).
    name : str
        Model name for reports (``htdemucs`` …).
    half : bool
        Allow float16 autocast on CUDA.
    overlap : float
        Fraction of a chunk shared with the next (Demucs' default 0.25).
    segment_seconds : float or None
        Chunk length (s), at most the model's training segment (``None``: that segment).
    """

    needs_stats = True
    window = "triangle"
    """Cross-fade of the overlap-add: Demucs' own triangle (see :mod:`.overlap_add`)."""
    pad_input = True
    """Short chunks are padded to the segment with neighbouring samples, as Demucs does."""

    def __init__(self, model: object, device: str, name: str, *, half: bool = True,
                 overlap: float = 0.25, segment_seconds: float | None = None) -> None:
        import torch

        self.name = name
        self.device = device
        self.stems: tuple[str, ...] = tuple(model.sources)  # type: ignore[attr-defined]
        self.sample_rate = int(model.samplerate)  # type: ignore[attr-defined]
        self.channels = int(model.audio_channels)  # type: ignore[attr-defined]
        segment = float(getattr(model, "segment", 0.0) or 0.0)
        if segment <= 0:
            raise InvalidParameter(f"{name}: model has no training segment")
        if segment_seconds is not None:
            segment = min(segment, float(segment_seconds))
        if not 0.0 <= overlap < 1.0:
            raise InvalidParameter(f"overlap must be a fraction below 1, got {overlap}")
        self.chunk = int(segment * self.sample_rate)
        self.overlap = self.chunk - int((1.0 - overlap) * self.chunk)  # Demucs' stride
        self._members = _members(model)
        for sub, _ in self._members:
            sub.to(device).eval()  # type: ignore[attr-defined]
        self.half = bool(half and device == "cuda")
        self.cancel: CancelToken | None = None
        self._mean, self._std = 0.0, 1.0
        self._torch = torch
        self._hooks = [layer.register_forward_pre_hook(self._check)
                       for sub, _ in self._members for layer in _layers(sub)]

    @property
    def backend(self) -> str:
        """What ran, for reports: e.g. ``demucs htdemucs (cuda, float16)``."""
        precision = "float16" if self.half else "float32"
        return f"demucs {self.name} ({self.device}, {precision})"

    def _check(self, *_: object) -> None:
        check_cancel(self.cancel)

    def prepare(self, mean: float, std: float) -> None:
        """Set the whole track's mean and standard deviation (of the mono mix)."""
        self._mean, self._std = float(mean), float(std) if std > 1e-8 else 1.0

    def separate(self, chunk: np.ndarray) -> np.ndarray:
        """Stems ``[len(stems), channels, n]`` (float32) of ``chunk`` ``[channels, n]``."""
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(chunk, dtype=np.float32))[None]
        x = ((x - self._mean) / self._std).to(self.device)
        out = self._forward(x)
        if self.half and not torch.isfinite(out).all():
            log.warning("%s: float16 output not finite; using float32 from now on", self.name)
            self.half = False
            out = self._forward(x)
        return (out[0].float().cpu().numpy() * self._std + self._mean).astype(np.float32)

    def _forward(self, x: object) -> object:
        torch = self._torch
        total = None
        weight_sum = None
        with torch.inference_mode():
            for sub, w in self._members:
                if self.half:
                    with torch.autocast("cuda", dtype=torch.float16):
                        y = sub(x).float()  # type: ignore[operator]
                else:
                    y = sub(x)  # type: ignore[operator]
                wt = torch.as_tensor(w, dtype=y.dtype, device=y.device)[None, :, None, None]
                total = y * wt if total is None else total + y * wt
                weight_sum = wt if weight_sum is None else weight_sum + wt
        return total / weight_sum  # type: ignore[operator]

    def close(self) -> None:
        """Remove the cancel hooks."""
        for hook in self._hooks:
            hook.remove()
        self._hooks = []


def _layers(model: object) -> list[object]:
    """The layers a cancel check is hooked to (encoders and decoders; else every child)."""
    found = []
    for attr in ("encoder", "decoder", "tencoder", "tdecoder"):
        found += list(getattr(model, attr, []) or [])
    return found or list(model.children())  # type: ignore[attr-defined]
