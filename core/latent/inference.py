"""A trained latent model: encode clips, decode latent vectors, sample and interpolate.

:class:`LatentModel` loads a checkpoint once and runs on the chosen device. Decoded rolls are
thresholded at probability 0.5; decoded clips carry the controllers that at least half of the
training clips had (or, for interpolations, those of either end).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.devices import resolve_device
from core.errors import InvalidParameter
from core.latent.checkpoint import Checkpoint, read_checkpoint
from core.latent.clip import GridClip, GridSpec
from core.latent.config import LatentConfig
from core.latent.dataset import ClipArrays, stack_clips
from core.latent.errors import CheckpointError
from core.latent.model import PerformanceVAE, classes_to_roll, kl_per_clip, top_note_classes

BATCH = 64
"""Clips per forward pass at inference."""


@dataclass(frozen=True)
class Reconstruction:
    """Reconstructions of a set of clips: the decoded arrays, the posterior (``mu``,
    ``logvar`` ``[n, Z]``), KL per clip (nats) and the reconstruction loss per clip (per
    step, see :mod:`core.latent.metrics`)."""

    arrays: ClipArrays
    mu: np.ndarray
    logvar: np.ndarray
    kl: np.ndarray
    recon: np.ndarray


def build_net(config: LatentConfig) -> PerformanceVAE:
    """A freshly initialised network for ``config`` (uses torch's global generator)."""
    return PerformanceVAE(config.model, steps=config.grid.steps, n_cc=config.grid.n_cc)


def reconstruction_loss(outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
                        onsets: torch.Tensor, active: torch.Tensor, cc: torch.Tensor,
                        cc_present: torch.Tensor, cc_weight: float) -> torch.Tensor:
    """Reconstruction loss of each clip (per step; see :mod:`core.latent.metrics`): ``[B]``."""
    onset_logits, active_logits, cc_pred = outputs
    ce = torch.nn.functional.cross_entropy
    on = ce(onset_logits.transpose(1, 2), top_note_classes(onsets), reduction="none")
    act = ce(active_logits.transpose(1, 2), top_note_classes(active), reduction="none")
    mask = cc_present.to(cc.dtype)[:, None, :]
    err = (torch.abs(cc_pred - cc) * mask).sum(-1)
    return (on + act + cc_weight * err).mean(-1)


def batch_tensors(arrays: ClipArrays, index: np.ndarray | slice, device: str
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Tensors of the clips at ``index`` on ``device``."""
    return (torch.from_numpy(np.ascontiguousarray(arrays.onsets[index])).to(device),
            torch.from_numpy(np.ascontiguousarray(arrays.active[index])).to(device),
            torch.from_numpy(np.ascontiguousarray(arrays.cc[index], dtype=np.float32)).to(device),
            torch.from_numpy(np.ascontiguousarray(arrays.cc_present[index])).to(device))


@torch.no_grad()
def reconstruct_arrays(net: PerformanceVAE, arrays: ClipArrays, *, device: str,
                       cc_weight: float) -> Reconstruction:
    """Encode to the posterior mean and decode every clip (eval mode, no sampling)."""
    was_training = net.training
    net.eval()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("on", "act", "cc", "mu", "lv", "kl", "rec")}
    try:
        for start in range(0, len(arrays), BATCH):
            index = slice(start, start + BATCH)
            on, act, cc, present = batch_tensors(arrays, index, device)
            outputs, mu, logvar = net(net.step_features(on, act, cc, present), sample=False)
            parts["rec"].append(reconstruction_loss(outputs, on, act, cc, present, cc_weight)
                                .cpu().numpy())
            parts["on"].append(classes_to_roll(outputs[0]).cpu().numpy())
            parts["act"].append(classes_to_roll(outputs[1]).cpu().numpy())
            parts["cc"].append(outputs[2].float().cpu().numpy())
            parts["mu"].append(mu.float().cpu().numpy())
            parts["lv"].append(logvar.float().cpu().numpy())
            parts["kl"].append(kl_per_clip(mu, logvar).float().cpu().numpy())
    finally:
        net.train(was_training)
    out = ClipArrays(np.concatenate(parts["on"]), np.concatenate(parts["act"]),
                     np.concatenate(parts["cc"]), arrays.cc_present.copy())
    return Reconstruction(out, np.concatenate(parts["mu"]), np.concatenate(parts["lv"]),
                          np.concatenate(parts["kl"]), np.concatenate(parts["rec"]))


class LatentModel:
    """A trained model ready for inference (build with :meth:`load` or :meth:`from_checkpoint`).

    Attributes: ``config``, ``grid``, ``net`` (eval mode), ``device``, ``checkpoint``.
    """

    def __init__(self, checkpoint: Checkpoint, device: str = "auto") -> None:
        self.checkpoint = checkpoint
        self.config: LatentConfig = checkpoint.config
        self.grid: GridSpec = checkpoint.config.grid
        self.device = resolve_device(device, purpose="latent model")
        with torch.random.fork_rng(devices=[]):  # initial weights are overwritten anyway
            net = build_net(self.config)
        try:
            net.load_state_dict(checkpoint.model_state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0]
            raise CheckpointError(checkpoint.path, "the weights do not match the checkpoint's "
                                                   f"config ({first})") from None
        self.net = net.to(self.device).eval()
        self.baseline = checkpoint.baseline.numpy()
        self.default_present = checkpoint.cc_present_rate.numpy() >= 0.5

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str = "auto") -> LatentModel:
        """Load a checkpoint file or run folder. Raises :class:`CheckpointError`."""
        return cls(read_checkpoint(path), device)

    @property
    def latent_dim(self) -> int:
        """Size of the latent vectors."""
        return self.config.model.latent_dim

    def check_clips(self, clips: Sequence[GridClip]) -> None:
        """Raise :class:`InvalidParameter` unless every clip has this model's shape."""
        for clip in clips:
            if clip.onsets.shape[0] != self.grid.steps or clip.cc.shape[1] != self.grid.n_cc:
                raise InvalidParameter(
                    f"{clip.source or 'clip'}: {clip.onsets.shape[0]} steps × "
                    f"{clip.cc.shape[1]} CCs, the model reads {self.grid.steps} × "
                    f"{self.grid.n_cc}")

    def reconstruct(self, clips: Sequence[GridClip] | ClipArrays) -> Reconstruction:
        """Posterior means and reconstructions of ``clips``."""
        arrays = clips if isinstance(clips, ClipArrays) else self._stack(clips)
        return reconstruct_arrays(self.net, arrays, device=self.device,
                                  cc_weight=self.config.train.cc_weight)

    def encode(self, clips: Sequence[GridClip] | ClipArrays) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, logvar)`` ``[n, Z]`` of ``clips``."""
        rec = self.reconstruct(clips)
        return rec.mu, rec.logvar

    @torch.no_grad()
    def decode(self, z: np.ndarray, present: np.ndarray | None = None) -> ClipArrays:
        """Clips ``[n, …]`` decoded from latent vectors ``z`` ``[n, Z]``; ``present`` ``[n_cc]``
        marks the controllers of the result (default: the training clips' usual ones)."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise InvalidParameter(f"latent vectors must be [n, {self.latent_dim}], got "
                                   f"{list(z.shape)}")
        mask = self.default_present if present is None else np.asarray(present, bool)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for start in range(0, len(z), BATCH):
            on, act, cc = self.net.decode(torch.from_numpy(z[start:start + BATCH])
                                          .to(self.device))
            parts.append((classes_to_roll(on).cpu().numpy(), classes_to_roll(act).cpu().numpy(),
                          cc.float().cpu().numpy()))
        return ClipArrays(np.concatenate([p[0] for p in parts]),
                          np.concatenate([p[1] for p in parts]),
                          np.concatenate([p[2] for p in parts]),
                          np.repeat(mask[None, :], len(z), axis=0))

    def to_clips(self, arrays: ClipArrays, *, bpm: float | Sequence[float] = 120.0,
                 names: Sequence[str] | None = None, tag: str = "generated") -> list[GridClip]:
        """Grid clips of decoded arrays (CC values rounded to the 0–127 MIDI grid)."""
        bpms = [float(bpm)] * len(arrays) if np.isscalar(bpm) else [float(b) for b in bpm]
        out = []
        for k in range(len(arrays)):
            cc = np.round(np.clip(arrays.cc[k], 0, 1) * 127.0) / 127.0
            out.append(GridClip(onsets=arrays.onsets[k], active=arrays.active[k] | arrays.onsets[k],
                                cc=cc.astype(np.float32), cc_present=arrays.cc_present[k],
                                bpm=bpms[k], source=names[k] if names else f"{tag}_{k + 1:02d}",
                                tag=tag))
        return out

    def sample(self, count: int, *, seed: int = 0, temperature: float = 1.0,
               bpm: float = 120.0) -> list[GridClip]:
        """``count`` clips decoded from ``z ~ N(0, temperature² I)`` (seeded)."""
        if not 1 <= count <= 10_000 or not 0.0 <= temperature <= 10.0:
            raise InvalidParameter(f"count must be 1–10000 and temperature 0–10, got {count}, "
                                   f"{temperature}")
        z = np.random.default_rng(seed).standard_normal((count, self.latent_dim)) * temperature
        return self.to_clips(self.decode(z), bpm=bpm, tag="sample")

    def interpolate(self, a: GridClip, b: GridClip, steps: int = 8) -> tuple[list[GridClip],
                                                                           np.ndarray]:
        """``steps`` clips decoded along the straight line between the posterior means of ``a``
        and ``b`` (both ends included), and the latent vectors ``[steps, Z]``. Tempo moves
        linearly from ``a``'s to ``b``'s."""
        if not 2 <= steps <= 256:
            raise InvalidParameter(f"interpolation steps must be 2–256, got {steps}")
        self.check_clips([a, b])
        mu, _ = self.encode([a, b])
        weights = np.linspace(0.0, 1.0, steps)[:, None]
        z = (1 - weights) * mu[0] + weights * mu[1]
        present = np.asarray(a.cc_present, bool) | np.asarray(b.cc_present, bool)
        bpms = list((1 - weights[:, 0]) * a.bpm + weights[:, 0] * b.bpm)
        clips = self.to_clips(self.decode(z, present), bpm=bpms, tag="interp",
                              names=[f"interp_{k + 1:02d}" for k in range(steps)])
        return clips, z

    def _stack(self, clips: Sequence[GridClip]) -> ClipArrays:
        if not clips:
            raise InvalidParameter("no clips to encode")
        self.check_clips(clips)
        return stack_clips(clips, self.grid)
