"""The Transformer encoder–decoder β-VAE over grid clips.

Shapes (``B`` clips, ``T`` steps, ``P`` = ``patch_steps``, ``C`` controllers, ``D`` =
``d_model``, ``Z`` = ``latent_dim``):

* input per step: onset (128) + active (128) + CC values (C) + CC present flags (C);
  ``P`` consecutive steps form one token (a linear "patch" embedding), so the Transformer sees
  ``T / P`` tokens while the clip keeps its full step resolution;
* encoder: the patch tokens with learned positions → pre-norm Transformer encoder layers →
  each token's output → (one linear map shared by all tokens) ``Z / tokens`` means and
  log-variances; concatenated over the tokens they are ``mu`` and ``logvar`` (Z). The latent
  vector is thus laid out in time: a 128-D code of a 32-token clip gives 4 numbers per 1/8
  note. (A pooled summary token must squeeze exact note positions through attention averages
  and, like a dense map of all tokens, memorises the training clips instead of learning to
  encode; the shared per-token map generalises from a few hundred clips.)
* decoder: ``z`` is cut back into its per-token parts, each mapped (shared weights) to a
  vector, plus learned positions, and all of ``z`` also becomes ``memory_tokens`` memory
  vectors; Transformer decoder layers (self-attention over
  positions, cross-attention to the memory) → per patch ``P × (129 + 129 + C)`` outputs: per step a
  categorical over "no onset" + the 128 pitches for the note starting there, the same for the
  note sounding there, and the CC values (sigmoid, 0–1).

The outputs are one voice: where the input has chords, the targets are their top notes (the
synth lines this lab is for — basses, leads, acid lines — are monophonic). A categorical per
step learns far faster than 128 independent on/off outputs, which collapse to "no note"
because notes are rare. Decoding is non-autoregressive: one pass gives the whole clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.errors import InvalidParameter

N_PITCHES = 128
N_CLASSES = N_PITCHES + 1
"""Per-step categories: 0 = no note, 1 + p = MIDI pitch p."""


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of :class:`PerformanceVAE` (sizes in units of the tensors above)."""

    latent_dim: int = 256
    d_model: int = 128
    heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    ff_dim: int = 256
    dropout: float = 0.1
    patch_steps: int = 8
    memory_tokens: int = 4

    def __post_init__(self) -> None:
        for name, low, high in (("latent_dim", 2, 4096), ("d_model", 8, 4096), ("heads", 1, 64),
                                ("encoder_layers", 1, 48), ("decoder_layers", 1, 48),
                                ("ff_dim", 8, 16384), ("patch_steps", 1, 256),
                                ("memory_tokens", 1, 256)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidParameter(f"model.{name} must be a whole number {low}–{high}, "
                                       f"got {value!r}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise InvalidParameter(f"model.dropout must be 0–1, got {self.dropout!r}")
        if self.d_model % self.heads:
            raise InvalidParameter(f"model.d_model ({self.d_model}) must be a multiple of "
                                   f"model.heads ({self.heads})")


class PerformanceVAE(nn.Module):
    """The β-VAE (see the module docstring); ``steps`` and ``n_cc`` fix the clip shape."""

    def __init__(self, config: ModelConfig, *, steps: int, n_cc: int) -> None:
        super().__init__()
        if steps % config.patch_steps:
            raise InvalidParameter(f"patch_steps {config.patch_steps} must divide {steps} steps")
        self.config, self.steps, self.n_cc = config, steps, n_cc
        c, d, p = config, config.d_model, config.patch_steps
        self.tokens = steps // p
        self.step_inputs = 2 * N_PITCHES + 2 * n_cc
        self.step_outputs = 2 * N_CLASSES + n_cc
        self.embed = nn.Linear(p * self.step_inputs, d)
        self.enc_pos = nn.Parameter(torch.randn(self.tokens, d) * 0.02)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d, c.heads, c.ff_dim, c.dropout, batch_first=True,
                                       norm_first=True),
            c.encoder_layers, enable_nested_tensor=False)
        self.enc_norm = nn.LayerNorm(d)
        if c.latent_dim % self.tokens:
            raise InvalidParameter(f"model.latent_dim ({c.latent_dim}) must be a multiple of "
                                   f"the number of tokens ({self.tokens} = {steps} steps / "
                                   f"patch_steps {p})")
        self.per_token = c.latent_dim // self.tokens
        self.to_mu = nn.Linear(d, self.per_token)
        self.to_logvar = nn.Linear(d, self.per_token)
        self.to_memory = nn.Linear(c.latent_dim, c.memory_tokens * d)
        self.to_query = nn.Linear(self.per_token, d)
        self.dec_pos = nn.Parameter(torch.randn(self.tokens, d) * 0.02)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(d, c.heads, c.ff_dim, c.dropout, batch_first=True,
                                       norm_first=True),
            c.decoder_layers)
        self.dec_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, p * self.step_outputs)

    def step_features(self, onsets: torch.Tensor, active: torch.Tensor, cc: torch.Tensor,
                      cc_present: torch.Tensor) -> torch.Tensor:
        """``[B, T, 256 + 2C]`` float input of a batch (bool/float rolls, CC 0–1)."""
        present = cc_present.to(cc.dtype)[:, None, :].expand(-1, cc.shape[1], -1)
        return torch.cat([onsets.to(cc.dtype), active.to(cc.dtype), cc * present, present],
                         dim=-1)

    def encode(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``features`` ``[B, T, F]`` → ``(mu, logvar)``, each ``[B, Z]``."""
        b = features.shape[0]
        x = self.embed(features.reshape(b, self.tokens, -1)) + self.enc_pos
        h = self.enc_norm(self.encoder(x))
        return self.to_mu(h).reshape(b, -1), self.to_logvar(h).reshape(b, -1).clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``z`` ``[B, Z]`` → onset logits ``[B, T, 129]``, activity logits ``[B, T, 129]``
        (class 0 = none, 1 + p = pitch p) and CC values ``[B, T, C]`` in 0–1."""
        b, d = z.shape[0], self.config.d_model
        memory = self.to_memory(z).reshape(b, self.config.memory_tokens, d)
        queries = self.dec_pos.unsqueeze(0) + self.to_query(z.reshape(b, self.tokens, -1))
        h = self.dec_norm(self.decoder(queries, memory))
        out = self.head(h).reshape(b, self.steps, self.step_outputs)
        return (out[..., :N_CLASSES], out[..., N_CLASSES:2 * N_CLASSES],
                torch.sigmoid(out[..., 2 * N_CLASSES:]))

    def forward(self, features: torch.Tensor, *, sample: bool = True,
                generator: torch.Generator | None = None
                ) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor,
                           torch.Tensor]:
        """Encode, draw ``z`` (the mean when ``sample`` is false) and decode.

        Returns ``((onset_logits, active_logits, cc), mu, logvar)``.
        """
        mu, logvar = self.encode(features)
        if sample:
            noise = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
            z = mu + noise * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decode(z), mu, logvar


def kl_per_clip(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) ‖ N(0, I)) of each clip, in nats, summed over latent dimensions: ``[B]``."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar, dim=-1)


def parameter_count(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def top_note_classes(roll: torch.Tensor) -> torch.Tensor:
    """Per-step class of a bool roll ``[..., T, 128]``: 0 when empty, else 1 + its highest
    pitch. ``[..., T]`` int64."""
    pitches = torch.arange(1, N_CLASSES, device=roll.device)
    return (roll.to(torch.int64) * pitches).amax(dim=-1)


def classes_to_roll(logits: torch.Tensor) -> torch.Tensor:
    """Bool roll ``[..., T, 128]`` of the most likely class of each step (class 0 → empty)."""
    best = logits.argmax(dim=-1)
    roll = torch.nn.functional.one_hot(best, N_CLASSES)[..., 1:]
    return roll.to(torch.bool)
