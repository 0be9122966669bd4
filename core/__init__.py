"""Breakroom's core library: audio I/O, analysis, separation, MIDI, SysEx and the latent lab.

Pure Python over numpy, scipy, librosa, torch and mido. Never imports Qt or ``app``.
"""

from __future__ import annotations

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("breakroom")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
