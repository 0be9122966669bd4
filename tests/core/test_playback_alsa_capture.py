"""The playback engine through a real PortAudio stream: ALSA plays into a file.

A machine without a sound card still has ALSA's ``file`` and ``null`` plugins. A private ALSA
configuration (``$HOME/.asoundrc`` of a child process) makes the default output device write
every sample it receives to a raw 16-bit file, so the real sounddevice/PortAudio path — device
discovery, stream start, the callback on PortAudio's thread, stop and close — runs end to end
and what reached the "sound card" can be compared with the source. The null sink does not pace
the stream, so a second of audio plays in milliseconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
RATE = 44100

ASOUNDRC = """\
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
    home = tmp_path / "home"
    home.mkdir()
    capture = tmp_path / "capture.raw"
    (home / ".asoundrc").write_text(ASOUNDRC.format(rate=RATE, capture=capture))
    drums, bass = _tone(440.0, 660.0), _tone(55.0, 82.5)
    files = {"mix": drums + bass, "drums": drums, "bass": bass}
    for name, audio in files.items():
        sf.write(tmp_path / f"{name}.wav", audio, RATE, subtype="FLOAT")
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PLAYER,
                           *(str(tmp_path / f"{name}.wav") for name in files)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("NO-DEVICE"):
        pytest.skip(f"PortAudio sees no ALSA device here: {done.stdout.strip()}")
    assert done.stdout.startswith("ENDED"), done.stdout + done.stderr
    played = np.fromfile(capture, dtype="<i2").reshape(-1, 2).astype(np.float32) / 32768.0
    # Silence is rendered while paused and after the end; the track starts at the first sound.
    start = int(np.argmax(np.abs(played).max(axis=1) > 1e-3))
    body = slice(RATE // 10, len(drums) - RATE // 10)  # past the stem switch's short fade
    errors = {lag: float(np.abs(played[start - lag:][body] - drums[body]).max())
              for lag in range(0, 4) if start >= lag}
    # What reached the device is the drums stem alone, sample for sample up to 16-bit
    # rounding: the muted bass is not in it, the mix is not played.
    assert min(errors.values()) < 2.0 / 32768.0, errors
    assert np.abs(played[start + len(drums) + 4:]).max(initial=0.0) < 1e-4  # silence after
