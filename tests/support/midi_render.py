"""Render MIDI back to audio (fluidsynth + a GM soundfont) and find its onsets, for tests and
benchmarks that check where exported drums land."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
              Path("/usr/share/sounds/sf2/TimGM6mb.sf2"))


def soundfont() -> Path | None:
    """The first GM soundfont installed, or ``None``."""
    return next((p for p in SOUNDFONTS if p.is_file()), None)


def can_render() -> bool:
    """Whether the fluidsynth binary and a GM soundfont are present."""
    return shutil.which("fluidsynth") is not None and soundfont() is not None


def render_midi(midi: Path, wav: Path, rate: int = 44100) -> tuple[np.ndarray, int]:
    """Render ``midi`` to ``wav`` with fluidsynth; returns (mono samples, rate)."""
    subprocess.run(["fluidsynth", "-ni", "-g", "1.0", "-r", str(rate), "-F", str(wav),
                    str(soundfont()), str(midi)], check=True, capture_output=True, timeout=120)
    audio, sr = sf.read(wav, always_2d=True)
    return audio.mean(axis=1), sr


def onset_times(mono: np.ndarray, rate: int) -> np.ndarray:
    """Onset times (s) from a spectral-flux detector (librosa), not from Breakroom's code."""
    import librosa

    return librosa.onset.onset_detect(y=mono.astype(np.float32), sr=rate, units="time",
                                      hop_length=256, backtrack=False, delta=0.02, wait=4)


def unique_times(times: np.ndarray, merge_s: float = 0.02) -> np.ndarray:
    """Sorted times with those closer than ``merge_s`` merged (simultaneous hits)."""
    out: list[float] = []
    for t in np.sort(np.asarray(times, dtype=float)):
        if not out or t - out[-1] > merge_s:
            out.append(float(t))
    return np.array(out)
