"""Drum kits rendered from the DrumSynth presets of the LMMS library (Debian: lmms-common).

``/usr/share/lmms/samples/drumsynth`` holds some 800 ``.ds`` presets: INI files that describe a
drum sound as a handful of sections — a swept sine ("Tone"), shaped noise ("Noise"), two
modulated oscillators ("Overtones"), two band-limited noises ("NoiseBand", "NoiseBand2"), a
distortion stage and a resonant filter with an envelope ("General"). This module reads those
parameters and renders them with **our own** synthesis: it follows the parameters' meaning
(frequencies in Hz, envelopes as ``time,level`` points with time in samples at 44.1 kHz and
level in percent, section levels where 128 is unity, tuning in semitones, stretch in percent),
not any other program's code, so a sound is close in character to the preset, not a replica.

The presets are sorted into the drum vocabulary by their file names (``Kick``, ``Snr``,
``Hat_o``, ``linn_cga1`` …; folders of melodic or effect presets are skipped).
:func:`drumsynth_sounds` assembles kit ``n``: one preset per instrument, drawn with seed ``n``
(toms are one tom preset at three tunings; a pedal hat is a closed hat cut short). These kits
only ever train the drum model (``drumsynth:<n>``): the evaluation kits are elsewhere.
"""

from __future__ import annotations

import configparser
import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
import scipy.signal

from core.devset._dsp import finish_one_shot

log = logging.getLogger(__name__)

DRUMSYNTH_DIR = Path("/usr/share/lmms/samples/drumsynth")
"""Where lmms-common installs the DrumSynth presets."""

PRESET_RATE = 44100
"""Sample rate (Hz) the presets' envelope times are counted in."""

MAX_SECONDS = 2.5
"""Longest rendered one-shot, seconds."""

_SKIPPED_FOLDERS = frozenset({"effects", "instrument", "magnetboy", "misc_fx", "misc_synth",
                              "misc_bass", "ferraro"})

_PERCUSSION_WORDS = ("bongo", "conga", "cga", "clave", "cowbell", "cow", "maraca", "tamb",
                     "shake", "wood", "cab", "timbale", "triangle", "guiro", "clav")


def _families(folder: str, words: list[str], stem: str) -> set[str]:
    text = " ".join(words)
    first = words[0] if words else ""
    found: set[str] = set()
    if any(w in text for w in ("cymbal", "cym", "crash")):
        found.add("crash")
    if "ride" in text:
        found.add("ride")
    if "hat" in text or "hh" in words or "oh" in words or stem.startswith("h_"):
        opened = ("open" in text or "oh" in words or "o" in words or "o2" in words)
        found.add("hihat_pedal" if "pedal" in text else
                  "hihat_open" if opened else "hihat_closed")
    if "clap" in text or "clp" in words:
        found.add("clap")
    if "rim" in text or "stk" in words or "stick" in words or "sidestick" in words:
        found.add("rim")
    if any(re.fullmatch(r"(syn)?tom\d*|tommy", w) for w in words):
        found.add("tom")
    if any(w in text for w in _PERCUSSION_WORDS):
        found.add("percussion")
    if ("kick" in text or "kik" in text or "bd" in words or "bass drum" in text
            or (first == "k" and folder in ("electro", "r_n_b")) or stem == "boom"):
        found.add("kick")
    if ("snare" in text or "snr" in text or "sn" in words
            or (first == "s" and folder in ("electro", "r_n_b"))):
        found.add("snare")
    return found


def classify(folder: str, name: str) -> str | None:
    """Vocabulary instrument of preset ``name`` in ``folder`` (``"tom"`` for any tom), or None.

    Uses the words of the file name; a name that points at two instruments ("clappy snare",
    "sticky kick", "hihatopclo") or at none is left out, and so are the folders of melodic,
    bass and effect presets.
    """
    if folder in _SKIPPED_FOLDERS:
        return None
    stem = name.lower().removesuffix(".ds")
    words = [w for w in re.split(r"[^a-z0-9]+", stem) if w]
    found = _families(folder, words, stem)
    return found.pop() if len(found) == 1 and "hihatopclo" not in stem else None


@dataclass
class Preset:
    """The parameters of one ``.ds`` preset: section name → key (lower case) → text value."""

    name: str
    sections: dict[str, dict[str, str]] = field(default_factory=dict)

    def number(self, section: str, key: str, default: float) -> float:
        """A numeric parameter, ``default`` when absent or unreadable."""
        try:
            return float(self.sections.get(section, {}).get(key.lower(), default))
        except ValueError:
            return default

    def on(self, section: str) -> bool:
        """Whether ``section`` is switched on."""
        return section in self.sections and self.number(section, "On", 0) >= 1

    def envelope(self, section: str, key: str = "Envelope") -> list[tuple[float, float]]:
        """Envelope points ``(time in samples at 44.1 kHz, level 0–1)``, times increasing."""
        text = self.sections.get(section, {}).get(key.lower(), "")
        points = []
        for pair in text.split():
            t, _, level = pair.partition(",")
            try:
                points.append((max(0.0, float(t)), min(1.0, max(0.0, float(level) / 100.0))))
            except ValueError:
                continue
        points.sort(key=lambda p: p[0])
        return points or [(0.0, 0.0)]


def read_preset(path: Path) -> Preset:
    """Parse a ``.ds`` file (INI; Latin-1 text).

    Raises
    ------
    ValueError
        The file is not INI text with a ``[General]`` section (the message names the file).
    """
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="latin-1"), source=path.name)
    except configparser.Error as exc:
        raise ValueError(f"{path.name}: not a DrumSynth preset ({exc.__class__.__name__})") from exc
    if not parser.has_section("General"):
        raise ValueError(f"{path.name}: not a DrumSynth preset (no [General] section)")
    return Preset(path.name, {s: dict(parser[s]) for s in parser.sections()})


def _envelope_curve(points: list[tuple[float, float]], stretch: float, n: int) -> np.ndarray:
    times = np.array([p[0] for p in points]) * stretch
    levels = np.array([p[1] for p in points])
    curve = np.interp(np.arange(n), times, levels, right=0.0)
    return curve.astype(np.float64)


def _envelope_end(points: list[tuple[float, float]], stretch: float) -> float:
    return points[-1][0] * stretch if points else 0.0


def _wave(phase: np.ndarray, kind: int) -> np.ndarray:
    """Waveform ``kind`` (0 sine, 1 rectified sine, 2 triangle, 3 saw, 4 square) of ``phase``
    (radians)."""
    cycle = np.mod(phase / (2 * np.pi), 1.0)
    if kind == 1:
        return 2.0 * np.abs(np.sin(phase)) - 1.0
    if kind == 2:
        return 4.0 * np.abs(cycle - 0.5) - 1.0
    if kind == 3:
        return 2.0 * cycle - 1.0
    if kind == 4:
        return np.where(cycle < 0.5, 1.0, -1.0)
    return np.sin(phase)


@numba.njit(cache=True)
def _svf(x: np.ndarray, g: np.ndarray, k: float, highpass: bool) -> np.ndarray:
    """Trapezoidal (zero-delay feedback) state-variable filter, stable for any coefficient:
    ``g[i]`` = tan(π·fc/fs) per sample, ``k`` = 1/Q; lowpass or highpass output."""
    s1 = 0.0
    s2 = 0.0
    out = np.empty_like(x)
    for i in range(x.size):
        gi = g[i]
        high = (x[i] - (k + gi) * s1 - s2) / (1.0 + k * gi + gi * gi)
        band = gi * high + s1
        s1 = gi * high + band
        low = gi * band + s2
        s2 = gi * band + low
        out[i] = high if highpass else low
    return out


def _filter_cutoff(levels: np.ndarray, rate: int) -> np.ndarray:
    """Cutoff (Hz) of filter-envelope ``levels`` (0–1): the classic state-variable filter's
    frequency coefficient ``f = 2·sin(π·fc/fs)`` read as ``f = level``."""
    return rate / np.pi * np.arcsin(np.clip(levels, 0.002, 1.0) / 2.0)


def _band_noise(rng: np.random.Generator, n: int, centre: float, width: float,
                rate: int) -> np.ndarray:
    """Noise in a band ``width`` Hz wide around ``centre`` Hz: low-passed noise shifted up by
    multiplying with a cosine."""
    cutoff = min(0.45 * rate, max(5.0, width / 2.0))
    sos = scipy.signal.butter(2, cutoff, "lowpass", fs=rate, output="sos")
    base = scipy.signal.sosfilt(sos, rng.uniform(-1.0, 1.0, n))
    base /= max(1e-9, float(np.sqrt(np.mean(base**2)))) * 2.0
    return base * np.cos(2 * np.pi * min(centre, 0.49 * rate) * np.arange(n) / rate)


def render_preset(preset: Preset, rate: int = PRESET_RATE, *, tuning: float = 0.0,
                  stretch: float = 1.0, seed: int = 0) -> np.ndarray:
    """Render ``preset`` as a mono float32 one-shot at ``rate`` Hz, trimmed and peak-normalised
    (:func:`core.devset._dsp.finish_one_shot`).

    ``tuning`` (semitones) and ``stretch`` (times) are added to the preset's own; ``seed`` seeds
    the noise. A preset with every section off renders as one zero sample.
    """
    tune = 2.0 ** ((preset.number("General", "Tuning", 0.0) + tuning) / 12.0)
    time_scale = max(0.05, preset.number("General", "Stretch", 100.0) / 100.0) * stretch
    time_scale *= rate / PRESET_RATE
    sections = [s for s in ("Tone", "Noise", "NoiseBand", "NoiseBand2") if preset.on(s)]
    ends = [_envelope_end(preset.envelope(s), time_scale) for s in sections]
    if preset.on("Overtones"):
        ends += [_envelope_end(preset.envelope("Overtones", k), time_scale)
                 for k in ("Envelope1", "Envelope2")]
    n = int(min(max(ends, default=0.0), (MAX_SECONDS + 0.5) * rate))
    if n < 16:
        return np.zeros(1, np.float32)
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    out = np.zeros(n)

    tone_freq = np.full(n, 200.0 * tune)
    if "Tone" in preset.sections:
        f1 = min(0.45 * rate, preset.number("Tone", "F1", 200.0) * tune)
        f2 = min(0.45 * rate, preset.number("Tone", "F2", 120.0) * tune)
        env_points = preset.envelope("Tone")
        length = max(1e-3, _envelope_end(env_points, time_scale) / rate)
        droop = preset.number("Tone", "Droop", 0.0)
        speed = 4.0 * 10.0 ** ((droop - 20.0) / 30.0) / length
        tone_freq = f2 + (f1 - f2) * np.exp(-speed * t)
        if preset.on("Tone"):
            phase = 2 * np.pi * np.cumsum(tone_freq) / rate
            phase += np.deg2rad(preset.number("Tone", "Phase", 0.0))
            out += (preset.number("Tone", "Level", 128) / 128.0
                    * _envelope_curve(env_points, time_scale, n) * np.sin(phase))

    if preset.on("Noise"):
        white = rng.uniform(-1.0, 1.0, n)
        slope = max(-1.0, min(1.0, preset.number("Noise", "Slope", 0.0) / 100.0))
        kind = "lowpass" if slope < 0 else "highpass"
        corner = 300.0 if slope < 0 else 4000.0
        shaped = scipy.signal.sosfilt(
            scipy.signal.butter(1, corner, kind, fs=rate, output="sos"), white)
        shaped *= np.sqrt(np.mean(white**2) / max(1e-12, float(np.mean(shaped**2))))
        noise = (1.0 - abs(slope)) * white + abs(slope) * shaped
        out += (preset.number("Noise", "Level", 128) / 128.0
                * _envelope_curve(preset.envelope("Noise"), time_scale, n) * noise)

    if preset.on("Overtones"):
        oscillators = []
        for k in (1, 2):
            freq = min(0.45 * rate, preset.number("Overtones", f"F{k}", 200.0) * tune)
            if preset.number("Overtones", f"Track{k}", 0) >= 1:
                freq = freq * tone_freq / max(1e-3, tone_freq[0])
            else:
                freq = np.full(n, freq)
            oscillators.append((freq, int(preset.number("Overtones", f"Wave{k}", 0)),
                                _envelope_curve(preset.envelope("Overtones", f"Envelope{k}"),
                                                time_scale, n)))
        (freq1, wave1, env1), (freq2, wave2, env2) = oscillators
        phase1 = 2 * np.pi * np.cumsum(freq1) / rate
        phase2 = 2 * np.pi * np.cumsum(freq2) / rate
        depth = preset.number("Overtones", "Param", 50.0) / 100.0
        method = int(preset.number("Overtones", "Method", 0))
        osc2 = _wave(phase2, wave2) * env2
        if method == 1:  # frequency modulation of oscillator 1 by oscillator 2
            mix = _wave(phase1 + 2 * np.pi * depth * osc2, wave1) * env1
        elif method == 2:  # ring modulation
            mix = _wave(phase1, wave1) * env1 * ((1 - depth) + depth * _wave(phase2, wave2))
        elif method == 3:  # both, modulating each other's phase: metallic clusters
            mix = 0.5 * (_wave(phase1 + 3 * np.pi * depth * osc2, wave1) * env1
                         + _wave(phase2 + 3 * np.pi * depth * _wave(phase1, wave1), wave2)
                         * env2)
        else:  # method 0: added, param balances the two
            mix = (1 - 0.5 * depth) * _wave(phase1, wave1) * env1 + 0.5 * (1 + depth) * osc2
        out += preset.number("Overtones", "Level", 128) / 128.0 * mix

    for section in ("NoiseBand", "NoiseBand2"):
        if preset.on(section):
            centre = preset.number(section, "F", 1000.0) * tune
            width = max(10.0, centre * preset.number(section, "dF", 50.0) / 100.0)
            out += (preset.number(section, "Level", 128) / 128.0
                    * _envelope_curve(preset.envelope(section), time_scale, n)
                    * _band_noise(rng, n, centre, width, rate))

    peak = float(np.max(np.abs(out)))
    if peak <= 0.0:
        return np.zeros(1, np.float32)
    out /= peak
    if preset.on("Distortion"):
        drive = 10.0 ** (preset.number("Distortion", "Clipping", 0.0) / 20.0)
        out = np.clip(out * drive, -1.0, 1.0)
        bits = int(preset.number("Distortion", "Bits", 0))
        if bits > 0:
            step = 2.0 ** (bits - 8)
            out = np.round(out / step) * step
        hold = 2 ** int(preset.number("Distortion", "Rate", 0))
        if hold > 1:
            out = np.repeat(out[::hold], hold)[:n]
    if preset.number("General", "Filter", 0) >= 1:
        levels = _envelope_curve(preset.envelope("General", "FilterEnv"), time_scale, n)
        resonance = min(0.99, max(0.0, preset.number("General", "Resonance", 0.0) / 100.0))
        g = np.tan(np.pi * _filter_cutoff(levels, rate) / rate)
        out = _svf(out, g, 2.0 * (1.0 - resonance) + 0.04,
                   preset.number("General", "HighPass", 0) >= 1)
    return finish_one_shot(out, rate, MAX_SECONDS)


@functools.lru_cache(maxsize=2)
def preset_library(directory: Path = DRUMSYNTH_DIR) -> dict[str, tuple[Preset, ...]]:
    """The classified presets under ``directory``: instrument → presets (sorted by path);
    empty when the folder is missing. Unreadable files are skipped (logged)."""
    library: dict[str, list[Preset]] = {}
    for path in sorted(directory.glob("*/*.ds")):
        instrument = classify(path.parent.name, path.name)
        if instrument is None:
            continue
        try:
            preset = read_preset(path)
        except (OSError, ValueError) as exc:
            log.info("skipping DrumSynth preset %s: %s", path, exc)
            continue
        preset.name = f"{path.parent.name}/{path.name}"
        library.setdefault(instrument, []).append(preset)
    return {k: tuple(v) for k, v in library.items()}


def _audible(x: np.ndarray, rate: int) -> bool:
    return x.size > 0.02 * rate and float(np.max(np.abs(x))) > 0.0


def drumsynth_sounds(variant: int, rate: int = PRESET_RATE,
                     directory: Path = DRUMSYNTH_DIR) -> dict[str, tuple[np.ndarray, ...]]:
    """Kit ``variant``: instrument → one rendered one-shot, one preset per instrument drawn
    with seed ``variant`` (an empty dict when the presets are not installed).

    Toms: one tom preset rendered 4 semitones down, as it is and 4 up (low, mid, high). A pedal
    hat, when no pedal preset is drawn: the kit's closed hat at 0.4× its length.
    """
    library = preset_library(directory)
    if not library:
        return {}
    rng = np.random.default_rng([variant, 0xD5])
    sounds: dict[str, tuple[np.ndarray, ...]] = {}

    def draw(instrument: str, **kwargs: float) -> np.ndarray | None:
        pool = library.get(instrument, ())
        for _ in range(4):
            if not pool:
                return None
            preset = pool[int(rng.integers(len(pool)))]
            shot = render_preset(preset, rate, seed=variant, **kwargs)
            if _audible(shot, rate):
                return shot
        return None

    for instrument in ("kick", "snare", "clap", "rim", "hihat_closed", "hihat_open", "ride",
                       "crash", "percussion"):
        shot = draw(instrument)
        if shot is not None:
            sounds[instrument] = (shot,)
    toms = library.get("tom", ())
    if toms:
        preset = toms[int(rng.integers(len(toms)))]
        for name, shift in (("tom_low", -4.0), ("tom_mid", 0.0), ("tom_high", 4.0)):
            shot = render_preset(preset, rate, tuning=shift, seed=variant)
            if _audible(shot, rate):
                sounds[name] = (shot,)
    pedal = draw("hihat_pedal") if rng.random() < 0.3 else None
    if pedal is None and "hihat_closed" in sounds:
        closed = sounds["hihat_closed"][0]
        pedal = finish_one_shot(closed[: max(16, int(0.4 * closed.size))] * 0.5, rate)
    if pedal is not None:
        sounds["hihat_pedal"] = (pedal,)
    return sounds
