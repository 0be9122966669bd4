"""Choosing the torch device: CUDA, then Apple MPS, then CPU — or what the user asked for."""

from __future__ import annotations

from core.errors import InvalidParameter

DEVICES = ("auto", "cpu", "cuda", "mps")
"""Accepted device names."""


def resolve_device(device: str = "auto", *, purpose: str = "torch") -> str:
    """The torch device to run on: ``auto`` picks cuda > mps > cpu.

    An explicit ``cuda`` or ``mps`` that this machine cannot use raises
    :class:`InvalidParameter` (never a silent fall back to the CPU); ``purpose`` names the
    job in that message (e.g. "separation").
    """
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if device == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if device not in DEVICES:
        raise InvalidParameter(f"{purpose} device must be auto, cpu, cuda or mps, got {device!r}")
    if (device == "cuda" and not cuda) or (device == "mps" and not mps):
        raise InvalidParameter(
            f"{purpose} device {device!r} was requested but this torch build cannot use it; "
            "choose 'auto' or 'cpu'")
    return device
