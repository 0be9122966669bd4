"""Play through a real PortAudio stream on a machine without a sound card, and hear it.

ALSA's ``file`` and ``null`` plugins exist wherever ALSA does. A private configuration
(``$HOME/.asoundrc`` of a child process) makes the default output device write every sample it
receives to a raw 16-bit stereo file, so the real sounddevice/PortAudio path — device discovery,
stream start, the callback on PortAudio's thread, stop and close — runs end to end, and what
reached the "sound card" can be compared with what should have. The null sink does not pace
the stream: a second of audio plays in milliseconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CAPTURE_RATE = 44100
"""Sample rate (Hz) the capture device runs at."""

_ASOUNDRC = """\
pcm.!default {{
    type plug
    slave {{ pcm "capture_file"; format S16_LE; rate {rate}; channels 2 }}
}}
pcm.capture_file {{
    type file
    slave.pcm "null"
    file "{capture}"
    format "raw"
}}
"""


def run_with_capture(tmp_path: Path, code: str, *args: str,
                     extra_env: dict[str, str] | None = None) -> tuple[str, np.ndarray]:
    """Run ``code`` in a child Python whose default audio output writes into a file.

    Returns the child's stdout and what it played, ``[frames, 2]`` float32 (an empty array when
    nothing was played). Raises ``AssertionError`` with the child's stderr if it failed.
    """
    home = tmp_path / "alsa-home"
    home.mkdir(exist_ok=True)
    capture = tmp_path / "capture.raw"
    (home / ".asoundrc").write_text(_ASOUNDRC.format(rate=CAPTURE_RATE, capture=capture))
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    played = (np.fromfile(capture, dtype="<i2").reshape(-1, 2).astype(np.float32) / 32768.0
              if capture.exists() else np.zeros((0, 2), np.float32))
    return done.stdout, played


def first_sound(played: np.ndarray, threshold: float = 1e-3) -> int:
    """Index of the first frame louder than ``threshold`` (silence is rendered while paused)."""
    loud = np.abs(played).max(axis=1) > threshold
    return int(np.argmax(loud)) if loud.any() else -1


def best_match_error(played: np.ndarray, start: int, expected: np.ndarray,
                     body: slice) -> float:
    """Smallest max-abs difference between ``expected[body]`` and the capture from ``start``
    (trying lags of 0–3 frames, for the threshold crossing of a slow attack)."""
    errors = [float(np.abs(played[start - lag:][body] - expected[body]).max())
              for lag in range(4) if start >= lag and len(played) - start + lag > body.stop]
    return min(errors) if errors else float("inf")
