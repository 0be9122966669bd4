"""Assemble drum kits from the LMMS sample library (Debian package lmms-common).

Files in ``/usr/share/lmms/samples/drums`` are sorted into instruments by their name prefix;
generic ``tom*`` files are sorted into low/mid/high by their dominant frequency. The files of
each instrument are dealt round-robin to three kits "a", "b", "c"; kit "c" is held out for
evaluation, so it never receives a file that "a" or "b" uses (it gets a synthesized sound
instead when an instrument has too few files).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from core.devset._dsp import finish_one_shot

log = logging.getLogger(__name__)

LMMS_DRUMS = Path("/usr/share/lmms/samples/drums")
"""Where lmms-common installs its drum one-shots."""

LMMS_KITS: tuple[str, ...] = ("a", "b", "c")
"""Kit letters; "c" is the held-out one."""

_RULES: tuple[tuple[str, str], ...] = (  # first matching prefix wins
    ("hihat_foot_pedal", "hihat_pedal"), ("hihat_closed", "hihat_closed"),
    ("hihat_opened", "hihat_open"), ("snare_rim", "rim"), ("sidestick", "rim"),
    ("nasty_rim", "rim"), ("rim", "rim"), ("bassdrum", "kick"), ("kick", "kick"),
    ("snare", "snare"), ("clap", "clap"), ("ride", "ride"), ("crash", "crash"),
    ("tom_low", "tom_low"), ("tom_mid", "tom_mid"), ("tom_hi", "tom_high"), ("tom", "tom"),
    ("shaker", "percussion"), ("clav", "percussion"), ("wood", "percussion"),
)


def classify(name: str) -> str | None:
    """Instrument of an LMMS drum file name (``"tom"`` for generic toms), or ``None``."""
    stem = name.lower()
    return next((inst for prefix, inst in _RULES if stem.startswith(prefix)), None)


def load_one_shot(path: Path, sample_rate: int) -> np.ndarray:
    """Read ``path`` as a mono, ``sample_rate`` Hz, trimmed, peak-normalised float32 one-shot."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate)
    return finish_one_shot(mono, sample_rate)


def _dominant_hz(x: np.ndarray, sample_rate: int) -> float:
    head = x[: int(0.3 * sample_rate)]
    spectrum = np.abs(np.fft.rfft(head, n=1 << 15))
    freqs = np.fft.rfftfreq(1 << 15, 1.0 / sample_rate)
    band = (freqs >= 40) & (freqs <= 1000)
    return float(freqs[band][np.argmax(spectrum[band])])


def _grouped(directory: Path, sample_rate: int) -> dict[str, list[np.ndarray]]:
    groups: dict[str, list[np.ndarray]] = {}
    for path in sorted(directory.glob("*.ogg")):
        instrument = classify(path.name)
        if instrument is None:
            continue
        try:
            groups.setdefault(instrument, []).append(load_one_shot(path, sample_rate))
        except (OSError, RuntimeError, ValueError) as exc:
            log.info("skipping unreadable LMMS sample %s: %s", path, exc)
    generic = sorted(groups.pop("tom", []), key=lambda x: _dominant_hz(x, sample_rate))
    for part, name in zip(np.array_split(np.arange(len(generic)), 3),
                          ("tom_low", "tom_mid", "tom_high"), strict=True):
        groups.setdefault(name, []).extend(generic[i] for i in part)
    return groups


def deal(files: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Deal one instrument's one-shots to kits "a", "b", "c" (index mod 3).

    Kits "a" and "b" reuse a training file when their share is empty; "c" never does.
    """
    shares = {kit: [f for i, f in enumerate(files) if i % 3 == k]
              for k, kit in enumerate(LMMS_KITS)}
    training = [f for i, f in enumerate(files) if i % 3 != 2]
    for k, kit in enumerate(LMMS_KITS[:2]):
        if not shares[kit] and training:
            shares[kit] = [training[k % len(training)]]
    return shares


def lmms_sounds(directory: Path,
                sample_rate: int = 44100) -> dict[str, dict[str, tuple[np.ndarray, ...]]]:
    """Sounds of the LMMS kits: kit letter → instrument → one-shots (variants).

    Instruments without any file are absent; an empty dict when ``directory`` is missing.
    """
    if not directory.is_dir():
        log.info("LMMS drum samples not found in %s; LMMS kits are skipped", directory)
        return {}
    kits: dict[str, dict[str, tuple[np.ndarray, ...]]] = {kit: {} for kit in LMMS_KITS}
    for instrument, files in _grouped(directory, sample_rate).items():
        for kit, share in deal(files).items():
            if share:
                kits[kit][instrument] = tuple(share)
    return {kit: sounds for kit, sounds in kits.items() if sounds}
