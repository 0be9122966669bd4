"""The transport controller on the real engine and a real PortAudio stream (whose device writes
into a file, see :mod:`tests.support.alsa_capture`): the controls are enabled, Space plays the
track to the end, and the metronome's clicks land on the beats."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.support.alsa_capture import (
    CAPTURE_RATE,
    best_match_error,
    first_sound,
    run_with_capture,
)

WINDOW = textwrap.dedent("""\
    import sys, time
    from PySide6.QtWidgets import QApplication
    from app.playback import TransportBar, TransportController, TransportState
    app = QApplication(["breakroom-test"])
    controller = TransportController()
    bar = TransportBar(controller)
    if not controller.available:
        print("NO-DEVICE", controller.unavailable_reason)
        sys.exit(0)
    print("ENABLED", controller.play_action.isEnabled() is False)  # nothing loaded yet
    beats = [0.25 * k for k in range(4)]
    assert controller.load(sys.argv[1], beats=beats, downbeats=[0.0])
    controller.metronome_action.setChecked(sys.argv[2] == "click")
    # The null sink pulls as fast as the CPU allows: decode the whole track first.
    assert controller.engine.wait_ready(1.5, timeout_s=30)
    controller.play_action.trigger()  # Space
    states = [controller.state]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        app.processEvents()
        if controller.state != states[-1]:
            states.append(controller.state)
        if states[-1] != TransportState.PLAYING:
            break
        time.sleep(0.005)
    print("STATES", ",".join(states))
    controller.close()
""")


def _tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(seconds * CAPTURE_RATE)) / CAPTURE_RATE
    return np.stack([0.3 * np.sin(2 * np.pi * 220.0 * t)] * 2, axis=1).astype(np.float32)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ALSA is Linux's")
@pytest.mark.parametrize("click", [False, True])
def test_space_plays_the_track_to_the_end(tmp_path: Path, click: bool) -> None:
    track = _tone()
    sf.write(tmp_path / "track.wav", track, CAPTURE_RATE, subtype="FLOAT")
    out, played = run_with_capture(tmp_path, WINDOW, str(tmp_path / "track.wav"),
                                   "click" if click else "plain",
                                   extra_env={"QT_QPA_PLATFORM": "offscreen"})
    if out.startswith("NO-DEVICE"):
        pytest.skip(f"PortAudio sees no ALSA device here: {out.strip()}")
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert lines["ENABLED"] == "True"
    assert lines["STATES"].split(",")[:2] == ["playing", "stopped"]  # ran to the end by itself
    start = first_sound(played)
    assert start >= 0
    body = slice(CAPTURE_RATE // 50, len(track) - CAPTURE_RATE // 50)
    error = best_match_error(played, start, track, body)
    if not click:
        assert error < 2.0 / 32768.0  # the track, sample for sample
        return
    # With the metronome on, the difference from the track is the clicks: one starting on
    # every beat (0.25 s apart), silence of the click in between.
    clicks = np.abs(played[start:start + len(track), 0] - track[:, 0])
    onsets = np.flatnonzero((clicks[1:] > 1e-3) & (clicks[:-1] <= 1e-3)) + 1
    beat_frames = np.array([round(0.25 * k * CAPTURE_RATE) for k in range(1, 4)])
    for frame in beat_frames:
        assert np.min(np.abs(onsets - frame)) <= 2
