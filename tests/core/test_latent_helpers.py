"""Shared helpers of the latent-lab tests (no tests here): a tiny config that trains in
seconds and MIDI files written by hand for the bad-input cases."""

from __future__ import annotations

from pathlib import Path

import mido

from core.latent.config import LatentConfig
from core.latent.examples import generate_examples

TINY = {
    "seed": 3,
    "data": {"steps_per_beat": 4, "bars": 2},
    "model": {"latent_dim": 32, "d_model": 32, "heads": 2, "encoder_layers": 1,
              "decoder_layers": 1, "ff_dim": 64, "dropout": 0.0, "patch_steps": 4,
              "memory_tokens": 2},
    "train": {"epochs": 3, "batch_size": 4, "learning_rate": 0.003, "warmup_steps": 5,
              "beta_max": 0.01, "beta_warmup_epochs": 5, "cc_weight": 2.0, "transpose": 0,
              "holdout_fraction": 0.0, "threads": 1, "device": "cpu"},
}


def tiny_config(**train: object) -> LatentConfig:
    """A 2-bar, 1/16-grid, 32-D model with ~30 k parameters (seconds per run on a CPU)."""
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in TINY.items()}
    data["train"].update(train)  # type: ignore[union-attr]
    return LatentConfig.from_dict(data)


def write_examples(folder: Path, per_style: int = 2, bars: int = 4) -> list[Path]:
    """Generated example clips (every style) in ``folder``."""
    return generate_examples(folder, per_style=per_style, bars=bars, seed=0)


def write_midi(path: Path, *, cc: bool = True, beats: int = 16, midi_type: int = 1,
               ppq: int = 480) -> Path:
    """A hand-made clip: a quarter-note line (C3, E3, G3, C4 …) over ``beats`` beats and, with
    ``cc``, CC1 rising by 8 every beat (0, 8, 16 …)."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(128), time=0)])
    pitches = (48, 52, 55, 60)
    for beat in range(beats):
        if cc:
            track.append(mido.Message("control_change", control=1, value=min(127, 8 * beat),
                                      time=0))
        track.append(mido.Message("note_on", note=pitches[beat % 4], velocity=90, time=0))
        track.append(mido.Message("note_off", note=pitches[beat % 4], velocity=0,
                                  time=ppq // 2))
        track.append(mido.MetaMessage("marker", text="", time=ppq - ppq // 2))
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=ppq)
    midi.tracks.append(track)
    if midi_type == 2:
        midi.tracks.append(mido.MidiTrack(list(track)))
    midi.save(path)
    return path
