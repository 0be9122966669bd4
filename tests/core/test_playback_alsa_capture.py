"""The playback engine through a real PortAudio stream whose device writes into a file (see
:mod:`tests.support.alsa_capture`)."""

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

RATE = CAPTURE_RATE

PLAYER = textwrap.dedent("""\
    import sys, time
    from core.playback.engine import PlaybackEngine, audio_output_status
    ok, reason = audio_output_status()
    if not ok:
        print("NO-DEVICE", reason)
        sys.exit(0)
    engine = PlaybackEngine()
    mix, drums, bass = sys.argv[1:4]
    engine.load(mix, stems={"drums": drums, "bass": bass})
    engine.set_stem("bass", mute=True)
    # The null sink pulls as fast as the CPU allows: have the whole second decoded first,
    # as a paced sound card would never outrun the reader.
    assert engine.wait_ready(1.5, timeout_s=30)
    engine.play()
    deadline = time.monotonic() + 20
    while not engine.ended() and time.monotonic() < deadline:
        time.sleep(0.005)
    print("ENDED" if engine.ended() else "TIMEOUT")
    engine.close()
""")


def _tone(freq_l: float, freq_r: float, seconds: float = 1.0) -> np.ndarray:
    """``[frames, 2]`` float32: a sine of ``freq_l`` Hz left (0.4) and ``freq_r`` Hz right
    (0.2)."""
    t = np.arange(round(seconds * RATE)) / RATE
    return np.stack([0.4 * np.sin(2 * np.pi * freq_l * t),
                     0.2 * np.sin(2 * np.pi * freq_r * t)], axis=1).astype(np.float32)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ALSA is Linux's")
def test_playback_reaches_the_sound_card_sample_for_sample(tmp_path: Path) -> None:
    drums, bass = _tone(440.0, 660.0), _tone(55.0, 82.5)
    files = {"mix": drums + bass, "drums": drums, "bass": bass}
    for name, audio in files.items():
        sf.write(tmp_path / f"{name}.wav", audio, RATE, subtype="FLOAT")
    out, played = run_with_capture(tmp_path, PLAYER,
                                   *(str(tmp_path / f"{name}.wav") for name in files))
    if out.startswith("NO-DEVICE"):
        pytest.skip(f"PortAudio sees no ALSA device here: {out.strip()}")
    assert out.startswith("ENDED"), out
    # Silence is rendered while paused and after the end; the track starts at the first sound.
    start = first_sound(played)
    body = slice(RATE // 10, len(drums) - RATE // 10)  # past the stem switch's short fade
    # What reached the device is the drums stem alone, sample for sample up to 16-bit
    # rounding: the muted bass is not in it, the mix is not played.
    assert best_match_error(played, start, drums, body) < 2.0 / 32768.0
    assert np.abs(played[start + len(drums) + 4:]).max(initial=0.0) < 1e-4  # silence after
