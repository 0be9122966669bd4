"""Deterministic example clips: wobble bass, IDM glitch and acid lines with dense CC automation.

Every clip is a function of ``(style, seed, bars)`` only (NumPy's PCG64 generator), so tests,
benchmarks and first-time users get the same files everywhere. Written files are type-1 MIDI at
480 PPQ named ``<style>_<bpm>_<seed>.mid``; the automation is on the default CC map (CC1
cutoff, CC2 resonance, CC3 LFO rate, CC4 LFO amount, CC5 attack, CC6 decay, CC7 drive, CC8
reverb send, CC9 delay send, CC10 custom) with an event on every 1/64 note where a value
changes.

* ``wobble`` — dubstep bass at 140 BPM: long low notes (one or two per bar, repeated every two
  bars), the cutoff driven by an LFO whose rate (1/4, 1/8, 1/8T, 1/16 note) changes every half
  bar (CC3 follows it), depth on CC4, resonance drifting, drive pumping on downbeats.
* ``idm`` — glitch at 160–175 BPM: a one-bar 1/16 pattern with 1/32 ratchets and pitch jumps,
  mutated in the last bar of four; cutoff as sample-and-hold on 1/16 notes, resonance spikes,
  stepped attack/decay, a "custom" (bit-crush) controller jumping per beat.
* ``acid`` — techno acid at 125–135 BPM: a one- or two-bar 1/16 line with accents and slides,
  the cutoff sweeping slowly over the clip plus accent bumps, resonance and decay sweeping.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from core.errors import InvalidParameter
from core.fileutil import unique_path
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.latent.clip import DEFAULT_CC_NUMBERS, GridClip, GridSpec, Note, notes_to_rolls
from core.latent.midi_io import write_clip_midi

STYLES = ("wobble", "idm", "acid")
"""Styles of generated clips."""

SPB = 16
"""Steps per quarter note of generated clips (a 1/64-note grid)."""

_MINOR = (0, 2, 3, 5, 7, 8, 10)


def _wobble(rng: np.random.Generator, bars: int) -> tuple[float, list[Note], np.ndarray]:
    steps = bars * 4 * SPB
    root = int(rng.integers(26, 33))  # D1–G#1
    motif: list[tuple[int, int, int]] = []  # (start step in 2 bars, length, pitch)
    position = 0
    while position < 2 * 4 * SPB:
        length = int(rng.choice([2, 4, 6, 8])) * SPB // 2
        pitch = root + int(rng.choice([0, 0, 0, 12, 7, 3, 5]))
        motif.append((position, min(length, 8 * SPB - position) - SPB // 8, pitch))
        position += length
    notes = [Note(b * 8 * SPB + s, b * 8 * SPB + s + n, p)
             for b in range((bars + 1) // 2) for s, n, p in motif if b * 8 * SPB + s < steps]
    rates = (1.0, 2.0, 3.0, 4.0)  # LFO cycles per beat: 1/4, 1/8, 1/8T, 1/16 notes
    half = 2 * SPB
    choice = rng.integers(0, 4, size=(steps + half - 1) // half)
    rate = np.repeat(np.array(rates)[choice], half)[:steps]
    phase = np.cumsum(rate / SPB)
    shape = rng.choice(["sine", "triangle"])
    lfo = (0.5 - 0.5 * np.cos(2 * np.pi * phase) if shape == "sine"
           else 1.0 - np.abs(2.0 * (phase % 1.0) - 1.0))
    depth = 0.35 + 0.3 * rng.random()
    base = 0.15 + 0.15 * rng.random()
    cc = np.zeros((steps, 10), dtype=np.float32)
    t = np.arange(steps) / steps
    cc[:, 0] = base + depth * lfo
    cc[:, 1] = 0.45 + 0.2 * np.sin(2 * np.pi * (t * rng.uniform(0.5, 1.5) + rng.random()))
    cc[:, 2] = (np.array(rates)[choice] / 4.0).repeat(half)[:steps]
    cc[:, 3] = depth + 0.05 * np.sin(2 * np.pi * t * 2)
    cc[:, 4] = 0.02
    cc[:, 5] = 0.6
    beat = (np.arange(steps) % (4 * SPB)) / (4 * SPB)
    cc[:, 6] = 0.55 + 0.3 * np.exp(-6.0 * beat)
    cc[:, 7] = 0.2
    cc[:, 8] = 0.15
    cc[:, 9] = 0.5
    return 140.0, notes, cc


def _idm(rng: np.random.Generator, bars: int) -> tuple[float, list[Note], np.ndarray]:
    steps = bars * 4 * SPB
    bpm = float(rng.integers(160, 176))
    root = int(rng.integers(40, 52))
    sixteenth = SPB // 4

    def bar_pattern() -> list[tuple[int, int, int]]:
        pattern = []
        for k in range(16):
            if rng.random() < 0.55:
                pitch = root + int(rng.choice(_MINOR)) + 12 * int(rng.integers(0, 2))
                if rng.random() < 0.3:  # 1/32 ratchet
                    pattern.append((k * sixteenth, sixteenth // 2, pitch))
                    pattern.append((k * sixteenth + sixteenth // 2, sixteenth // 2, pitch + 12))
                else:
                    pattern.append((k * sixteenth, sixteenth - 1, pitch))
        return pattern or [(0, sixteenth, root)]

    main, alt = bar_pattern(), bar_pattern()
    notes: list[Note] = []
    for b in range(bars):
        pattern = alt if b % 4 == 3 else main
        notes += [Note(b * 4 * SPB + s, b * 4 * SPB + s + n, p) for s, n, p in pattern]
    cc = np.zeros((steps, 10), dtype=np.float32)
    held = rng.random(16)
    sh = np.tile(np.repeat(held, sixteenth), bars)[:steps]
    cc[:, 0] = 0.2 + 0.7 * sh
    spikes = np.zeros(steps)
    for s in rng.choice(steps // sixteenth, size=max(1, bars * 2), replace=False):
        spikes[s * sixteenth:(s + 1) * sixteenth] = 1.0
    cc[:, 1] = 0.3 + 0.55 * spikes
    cc[:, 2] = np.repeat(rng.random(bars), 4 * SPB)[:steps]
    cc[:, 3] = 0.3
    beats = bars * 4
    cc[:, 4] = np.repeat(0.25 * rng.random(beats), SPB)[:steps]
    cc[:, 5] = np.repeat(0.15 + 0.5 * rng.random(4), SPB).repeat(1)[np.arange(steps) % (4 * SPB)]
    cc[:, 6] = 0.4
    cc[:, 7] = 0.35
    cc[:, 8] = np.repeat(rng.choice([0.1, 0.6], size=beats), SPB)[:steps]
    cc[:, 9] = np.repeat(rng.random(beats), SPB)[:steps]
    return bpm, notes, cc


def _acid(rng: np.random.Generator, bars: int) -> tuple[float, list[Note], np.ndarray]:
    steps = bars * 4 * SPB
    bpm = float(rng.integers(125, 136))
    root = int(rng.integers(33, 45))
    sixteenth = SPB // 4
    length = int(rng.choice([16, 32]))
    gates = rng.random(length) < 0.7
    gates[0] = True
    pitches = root + rng.choice([0, 0, 12, 3, 7, 10, 0, 12], size=length)
    slides = rng.random(length) < 0.2
    accents = rng.random(length) < 0.3
    notes: list[Note] = []
    for k in range(bars * 16):
        i = k % length
        if not gates[i]:
            continue
        start = k * sixteenth
        end = start + (sixteenth + 1 if slides[i] and gates[(i + 1) % length] else sixteenth - 1)
        notes.append(Note(start, min(end, steps), int(pitches[i])))
    t = np.arange(steps) / steps
    cc = np.zeros((steps, 10), dtype=np.float32)
    accent_curve = np.zeros(steps)
    for k in range(bars * 16):
        if gates[k % length] and accents[k % length]:
            accent_curve[k * sixteenth:(k + 1) * sixteenth] = np.linspace(1.0, 0.3, sixteenth)
    sweep = 0.5 - 0.5 * np.cos(2 * np.pi * (t * rng.uniform(0.5, 1.0) + rng.uniform(0, 0.5)))
    cc[:, 0] = 0.1 + 0.6 * sweep + 0.2 * accent_curve
    cc[:, 1] = 0.4 + 0.45 * (0.5 - 0.5 * np.cos(2 * np.pi * (t * 0.5 + rng.random())))
    cc[:, 2] = 0.0
    cc[:, 3] = 0.0
    cc[:, 4] = 0.0
    cc[:, 5] = 0.2 + 0.6 * (1 - sweep)
    cc[:, 6] = 0.5 + 0.1 * rng.random()
    cc[:, 7] = 0.1
    cc[:, 8] = 0.3
    cc[:, 9] = 0.0
    return bpm, notes, cc


_MAKERS = {"wobble": _wobble, "idm": _idm, "acid": _acid}


def example_clip(style: str, seed: int, *, bars: int = 8) -> GridClip:
    """The example clip of ``style`` and ``seed``: ``bars`` bars of 4/4 on a 1/64-note grid
    (16 steps per beat) with all ten default controllers present.

    Raises
    ------
    InvalidParameter
        Unknown style or ``bars`` outside 1–64.
    """
    if style not in _MAKERS:
        raise InvalidParameter(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if not 1 <= int(bars) <= 64:
        raise InvalidParameter(f"bars must be 1–64, got {bars}")
    rng = np.random.default_rng([int(seed), STYLES.index(style), 0x1A7E])
    bpm, notes, cc = _MAKERS[style](rng, int(bars))
    steps = int(bars) * 4 * SPB
    onsets, active = notes_to_rolls(notes, steps)
    cc = np.clip(np.round(cc * 127.0) / 127.0, 0.0, 1.0).astype(np.float32)
    return GridClip(onsets=onsets, active=active, cc=cc,
                    cc_present=np.ones(len(DEFAULT_CC_NUMBERS), dtype=bool), bpm=bpm,
                    source=f"{style}_{round(bpm)}_{seed:04d}", tag=style)


def example_grid(bars: int = 8) -> GridSpec:
    """The grid generated clips are written on."""
    return GridSpec(steps_per_beat=SPB, bars=bars, beats_per_bar=4,
                    cc_numbers=DEFAULT_CC_NUMBERS)


def generate_examples(out_dir: str | os.PathLike[str], *, per_style: int = 8, seed: int = 0,
                      bars: int = 8, styles: tuple[str, ...] = STYLES,
                      progress: ProgressCallback | None = None,
                      cancel: CancelToken | None = None) -> list[Path]:
    """Write ``per_style`` clips of each style into ``out_dir`` (created if missing).

    Seeds run ``seed, seed + 1, …`` per style. An existing file is never replaced: the new one
    gets a free ``name (2).mid``. Returns the written paths.

    Raises
    ------
    InvalidParameter
        ``per_style`` outside 1–10 000, or an unknown style.
    LatentDataError
        A file cannot be written.
    """
    if not 1 <= int(per_style) <= 10_000:
        raise InvalidParameter(f"per_style must be 1–10000, got {per_style}")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    grid = example_grid(bars)
    written: list[Path] = []
    total = len(styles) * per_style
    for k in range(total):
        check_cancel(cancel)
        style, offset = styles[k // per_style], k % per_style
        clip = example_clip(style, seed + offset, bars=bars)
        path = unique_path(folder / f"{clip.source}.mid")
        written.append(write_clip_midi(path, clip, grid))
        report(progress, (k + 1) / total, f"wrote {path.name}")
    return written
