"""Errors of the latent lab: every one names the file (or folder) and says why."""

from __future__ import annotations

from core.errors import PathError


class LatentDataError(PathError):
    """A MIDI file or folder cannot give training clips (corrupt, type 2, no CC, too short,
    nothing usable). ``str(error)`` is ``"<path>: <reason>"``."""


class CheckpointError(PathError):
    """A checkpoint cannot be used: not a Breakroom latent checkpoint, damaged, or trained
    with a different configuration than the one it is resumed with."""
