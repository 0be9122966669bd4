"""A generated demo track for first-time users: no download, the same every time.

Thirty-odd seconds of 174 BPM drum & bass — a pad intro without drums, a full beat with fills,
a breakdown and the beat again — rendered from the General MIDI soundfont kits (or Breakroom's
own synthesized kit when no soundfont is installed), so a new user can see the whole flow:
analysis, grid, drum hits, the best loop and its MIDI.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

DEMO_NAME = "breakroom-demo-174bpm.wav"
"""File name of the demo track."""


def demo_path() -> Path:
    """Where the demo track lives (Breakroom's user data folder)."""
    return Path(platformdirs.user_data_dir("breakroom")) / "demo" / DEMO_NAME


def demo_track(path: Path | None = None) -> Path:
    """The demo track, rendered on first use (atomic write) and reused afterwards."""
    import io

    import soundfile as sf

    from core.devset import ClipSpec, kit_names, render_clip
    from core.fileutil import atomic_write_bytes

    target = path or demo_path()
    if target.is_file():
        return target
    kits = kit_names("all")
    kit = next((k for k in kits if k.startswith("fluidr3:")), "synth:1")
    spec = ClipSpec(style="dnb", bpm=174.0, bars=20, kit=kit, seed=7, mix="full",
                    intro_bars=2, phrase_bars=8, breakdown=(12, 2), drum_to_rest_db=0.0)
    clip = render_clip(spec)
    buffer = io.BytesIO()
    sf.write(buffer, clip.samples.T, clip.sample_rate, format="WAV", subtype="PCM_24")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, buffer.getvalue(), overwrite=True)
    return target
