"""Render labelled clips of the development set from a :class:`ClipSpec`.

A clip is ``lead_in`` seconds of silence, ``intro_bars`` bars of pads only (full mix), then
``bars`` bars of drums (and, in a full mix, bass, pads and a vocal-like lead), then a 0.5 s
tail. The drums end every ``phrase_bars``-bar phrase with a fill (``fills``); an optional
``breakdown`` silences them for some bars while the accompaniment plays on, and a crash marks
their return. Ground truth is exact:

* hits: the sample where the (head-trimmed) one-shot starts, divided by the sample rate, with
  the MIDI velocity that scaled it (see :mod:`core.devset.drums` for the gain law);
* beats and downbeats: the producer's grid, labelled from the first drum bar on (the intro's
  grid continues silently, without onsets to find, so it is not labelled; a breakdown's is,
  as in an annotated song); a tempo change moves the grid and is listed in
  ``tempo_changes``; 6/8 beats are dotted quarters;
* the arrangement: every bar's downbeat time (intro included) and role (``"intro"``,
  ``"beat"``, ``"fill"``, ``"breakdown"``) in ``bar_starts`` / ``bar_roles``;
* ``tempo_bpm``: the label a producer would give (140 for half-time dubstep);
* ``swing_8th``/``swing_16th``: the ratio applied for the style's swing unit (1.0 straight).

Full mix: the drum bus and the accompaniment bus are set so that their RMS (over the drum
bars, breakdown excluded) differ by ``drum_to_rest_db``; ``Clip.drums`` holds the drum stem
alone (same gain; for a drums-only clip it is the clip's own ``samples``).
The mix is peak-normalised to −1 dBFS. With ``augment`` the drum bus gets EQ, compression,
saturation and reverb, the accompaniment EQ and saturation, and both the same master EQ —
the stem stays exactly additive: ``samples == drums + rest``.

Parts: ``render_clip(spec, with_parts=True)`` also returns ``Clip.parts``, the mix split into
``"drums"``, ``"bass"``, ``"pads"`` and ``"vocal"`` (:data:`PARTS`) after the same bus
processing, summing to ``samples`` up to float32 rounding: about 1e-7 of full scale, up to
~1e-4 with ``augment`` (the mix's bus EQs run in float32 and their rounding noise is the
mix's alone; the parts are filtered in float64). The samples, stem and labels are
bit-identical to a render without parts. The drum bus acts on
the drum stem alone, so ``parts["drums"]`` is ``Clip.drums``. The accompaniment bus is
linear (EQ, gains) except for its ``tanh`` saturation, which is not additive: the parts take
the saturation as the sample-by-sample gain it applies to the accompaniment,
``tanh(g·x)/(g·x)`` for the bus signal ``x``, each part multiplied by the same gain — as if
the saturator were a compressor with instant attack keyed from the whole bus. The parts
stay exactly additive and carry the gain modulation the mix has; the saturation's
intermodulation between parts is shared out in proportion to each part's instantaneous
amplitude. A drums-only clip's bass, pads and vocal parts are silent.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import signal

from core.devset import augment as aug
from core.devset._dsp import biquad, db_to_gain, rms
from core.devset.accompaniment import render_accompaniment, render_accompaniment_parts
from core.devset.drums import PlacedHit, render_drums
from core.devset.kits import Kit, load_kit
from core.devset.patterns import Hit, Style, arrange_song, style
from core.devset.timing import Grid, build_grid, humanize, jitter_velocities, swing
from core.devset.truth import Clip, GroundTruth
from core.errors import InvalidParameter
from core.results import DrumHit
from core.vocabulary import is_drum_instrument

RENDER_VERSION = 1
"""Bumped whenever an unchanged :class:`ClipSpec` would render different samples or labels;
include it in the keys of caches built from rendered clips."""

SAMPLE_RATE = 44100
"""Sample rate (Hz) of every clip."""

PEAK_DBFS = -1.0
"""Peak level of every rendered clip."""

TAIL_SECONDS = 0.5
"""Seconds after the last bar (decays ring out)."""

END_FADE = 0.02
"""Seconds of fade-out at the very end of the clip (mix and stem alike)."""

PARTS: tuple[str, ...] = ("drums", "bass", "pads", "vocal")
"""Keys of ``Clip.parts`` (``render_clip(spec, with_parts=True)``)."""


@dataclass(frozen=True)
class ClipSpec:
    """Everything that determines a clip; equal specs render identical samples.

    ``bpm`` is the labelled tempo (beats per minute; dotted quarters for 6/8). ``bars`` counts
    drum bars. ``mix`` is ``"drums"`` or ``"full"``. ``drum_to_rest_db``: drum-stem RMS minus
    accompaniment RMS (full mix). ``humanize_ms``: timing jitter std in ms. ``velocity_jitter``:
    velocity std in MIDI steps. ``swing``: long/short ratio on the style's swing unit (must be
    1.0 for straight styles). ``tempo_change``: ``(drum bar, new_bpm)``. ``time_signature``:
    ``None`` or the style's meter as text. ``pitch_semitones``: kit pitch shift.
    ``instruments``: play only these (``None``: all). ``lead_in``: seconds of silence first.
    ``phrase_bars``: phrase length in bars; with ``fills`` the last bar of every complete
    phrase ends with a fill. ``breakdown``: ``(first drum bar, number of bars)`` (0-based
    drum bars, intro not counted) during which the drums are silent — their hits are dropped
    from audio and truth; a full mix's accompaniment plays on — with a crash on the downbeat
    after it.

    Caches keyed on a spec should hash :meth:`key_fields`, which leaves out fields added
    later while they hold their defaults, so existing specs keep their keys.
    """

    style: str
    bpm: float
    bars: int
    kit: str
    seed: int = 0
    mix: str = "drums"
    drum_to_rest_db: float = 0.0
    humanize_ms: float = 0.0
    velocity_jitter: float = 0.0
    swing: float = 1.0
    tempo_change: tuple[int, float] | None = None
    time_signature: str | None = None
    pitch_semitones: float = 0.0
    augment: bool = False
    intro_bars: int = 0
    lead_in: float = 0.0
    instruments: tuple[str, ...] | None = None
    fills: bool = True
    phrase_bars: int = 4
    breakdown: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        st = style(self.style)
        if self.mix not in ("drums", "full"):
            raise InvalidParameter(f"mix must be 'drums' or 'full', got {self.mix!r}")
        if not 20 <= self.bpm <= 400 or self.bars < 1 or self.intro_bars < 0:
            raise InvalidParameter(f"bad clip spec: bpm {self.bpm}, bars {self.bars}, "
                                   f"intro_bars {self.intro_bars}")
        if self.humanize_ms < 0 or self.velocity_jitter < 0 or self.lead_in < 0:
            raise InvalidParameter("humanize_ms, velocity_jitter and lead_in must be >= 0")
        if self.swing != 1.0 and st.swing_unit is None:
            raise InvalidParameter(f"style {self.style} is straight; swing must be 1.0")
        if self.time_signature not in (None, str(st.time_signature)):
            raise InvalidParameter(f"style {self.style} is in {st.time_signature}, "
                                   f"not {self.time_signature}")
        if self.tempo_change is not None and not 0 < self.tempo_change[0] < self.bars:
            raise InvalidParameter(f"tempo change bar must be within 1–{self.bars - 1}")
        bad = [i for i in self.instruments or () if not is_drum_instrument(i)]
        if bad:
            raise InvalidParameter(f"unknown instruments {bad}")
        if not _is_int(self.phrase_bars) or self.phrase_bars < 1:
            raise InvalidParameter(f"phrase_bars must be a whole number of bars >= 1, "
                                   f"got {self.phrase_bars!r}")
        if self.breakdown is not None:
            b = self.breakdown
            if not (isinstance(b, tuple) and len(b) == 2 and _is_int(b[0]) and _is_int(b[1])
                    and b[0] >= 1 and b[1] >= 1 and b[0] + b[1] <= self.bars):
                raise InvalidParameter(
                    f"breakdown must be (first drum bar, number of bars) with the first bar "
                    f"within 1–{self.bars - 1}, at least 1 bar and ending by drum bar "
                    f"{self.bars} (of {self.bars}), got {b!r}")

    def key_fields(self) -> dict[str, Any]:
        """The spec as :func:`dataclasses.asdict`, less the fields added after caches keyed on
        specs existed (``phrase_bars``, ``breakdown``) while they hold their defaults: hash this
        so that existing specs keep their cache keys."""
        fields = asdict(self)
        for name, default in _LATER_FIELDS.items():
            if fields[name] == default:
                del fields[name]
        return fields

    @property
    def name(self) -> str:
        """A file-name-safe unique name, e.g. ``dnb-174bpm-fluidr3_808-full-s12``."""
        return (f"{self.style}-{self.bpm:g}bpm-{self.kit.replace(':', '_')}-{self.mix}"
                f"-s{self.seed}")


_LATER_FIELDS: dict[str, object] = {"phrase_bars": 4, "breakdown": None}
"""Fields added to :class:`ClipSpec` later, with the defaults that leave a spec's render
unchanged; :meth:`ClipSpec.key_fields` omits them at these values."""


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _breakdown_bars(spec: ClipSpec) -> range:
    """The drum bars (0-based, intro not counted) of the breakdown; empty without one."""
    if spec.breakdown is None:
        return range(0)
    first, count = spec.breakdown
    return range(first, first + count)


def _streams(spec: ClipSpec) -> dict[str, np.random.Generator]:
    """Independent generators per aspect, so changing one setting leaves the others alone."""
    names = ("arrange", "humanize", "velocity", "drums", "music", "augment")
    base = [spec.seed, zlib.crc32(spec.style.encode())]
    return {n: np.random.default_rng([*base, k]) for k, n in enumerate(names)}


def _grid(spec: ClipSpec, st: Style) -> Grid:
    change = None
    if spec.tempo_change is not None:
        change = (spec.tempo_change[0] + spec.intro_bars, float(spec.tempo_change[1]))
    return build_grid(spec.bpm, spec.intro_bars + spec.bars, st.beats_per_bar,
                      start=spec.lead_in, tempo_change=change)


def _placed_hits(spec: ClipSpec, st: Style, grid: Grid,
                 rngs: dict[str, np.random.Generator]) -> tuple[list[PlacedHit], list[str]]:
    """The clip's hits (sorted by sample, instrument) and the role of each bar of the clip."""
    bpb = st.beats_per_bar
    song = arrange_song(st, spec.bars, rngs["arrange"], fills=spec.fills,
                        phrase_bars=spec.phrase_bars)
    hits = list(song.hits)
    silent = _breakdown_bars(spec)
    if silent:
        hits = [h for h in hits if int(h.beat // bpb) not in silent]
        back = silent.stop * bpb  # the drums return with a crash
        if silent.stop < spec.bars and not any(h.beat == back and h.instrument == "crash"
                                               for h in hits):
            hits = sorted([*hits, Hit(float(back), "crash", 110)],
                          key=lambda h: (h.beat, h.instrument))
    roles = ["intro"] * spec.intro_bars + [
        "breakdown" if bar in silent else "fill" if bar in song.fill_bars else "beat"
        for bar in range(spec.bars)]
    if spec.instruments is not None:
        hits = [h for h in hits if h.instrument in spec.instruments]
    beats = np.array([h.beat for h in hits], dtype=np.float64)
    if st.swing_unit is not None and spec.swing != 1.0:
        beats = swing(beats, spec.swing, st.swing_unit)
    times = grid.time(beats + spec.intro_bars * st.beats_per_bar)
    times = humanize(times, spec.humanize_ms, rngs["humanize"])
    velocities = jitter_velocities(np.array([h.velocity for h in hits]), spec.velocity_jitter,
                                   rngs["velocity"])
    samples = np.round(times * SAMPLE_RATE).astype(int)
    placed = [PlacedHit(int(s), h.instrument, int(v))
              for s, h, v in zip(samples, hits, velocities, strict=True)]
    return sorted(placed, key=lambda p: (p.sample, p.instrument)), roles


def _truth(spec: ClipSpec, st: Style, grid: Grid, hits: list[PlacedHit],
           roles: list[str]) -> GroundTruth:
    bpb = st.beats_per_bar
    first = spec.intro_bars * bpb
    beats = tuple(float(t) for t in grid.beat_times[first:grid.beats])
    changes: tuple[tuple[float, float], ...] = ()
    if spec.tempo_change is not None:
        bar, bpm = spec.tempo_change
        changes = ((grid.bar_start(bar + spec.intro_bars), float(bpm)),)
    unit = st.swing_unit
    return GroundTruth(
        tempo_bpm=float(spec.bpm), beats=beats, downbeats=beats[::bpb],
        time_signature=st.time_signature,
        hits=tuple(DrumHit(h.sample / SAMPLE_RATE, h.instrument, h.velocity, 1.0) for h in hits),
        style=spec.style, kit=spec.kit, mix=spec.mix,
        drum_to_rest_db=float(spec.drum_to_rest_db) if spec.mix == "full" else None,
        swing_8th=float(spec.swing) if unit == 8 else None,
        swing_16th=float(spec.swing) if unit == 16 else None,
        tempo_changes=changes, humanized=spec.humanize_ms > 0, bar_roles=tuple(roles),
        bar_starts=tuple(grid.bar_start(k) for k in range(len(roles))),
        bars_end=float(grid.beat_times[-1]))


def _music_bus_parts(bus_in: np.ndarray, bus_out: np.ndarray, parts: dict[str, np.ndarray],
                     rng: np.random.Generator) -> None:
    """Put the accompaniment ``parts`` (summing to ``bus_in``) through the
    :func:`augment.music_bus` call that turned ``bus_in`` into ``bus_out``, in place.

    ``rng`` is a copy of the generator as ``music_bus`` received it: its draws are replayed
    (EQ bands, then the drive), and the replayed bus must reproduce ``bus_out`` exactly. The
    saturation becomes a shared per-sample gain (see the module docstring).

    Raises
    ------
    RuntimeError
        The replay does not match ``music_bus`` (it changed; update this function).
    """
    bands = aug.random_eq_bands(rng)
    eq = aug.equalize(bus_in, SAMPLE_RATE, bands)
    peak = float(np.max(np.abs(eq))) or 1.0
    drive = rng.uniform(0.0, 6.0)
    if not np.array_equal(aug.saturate(eq / peak, drive), bus_out):
        raise RuntimeError("augment.music_bus changed; update generate._music_bus_parts")
    gx = (eq / peak).astype(np.float64) * db_to_gain(drive)
    tiny = np.abs(gx) < 1e-12
    share = np.tanh(gx) / np.where(tiny, 1.0, gx)
    share[tiny] = 1.0
    for name, part in parts.items():
        parts[name] = _equalize_like(bus_in, part, bands) * (share / peak)


def _equalize_like(bus: np.ndarray, part: np.ndarray,
                   bands: list[tuple[str, float, float, float]]) -> np.ndarray:
    """``part`` (float64) through the filter :func:`augment.equalize` applies to ``bus``: a
    float32 bus is filtered with float32 coefficients, so the part's are rounded alike
    (the rounding alone moves a low shelf by ~1e-4 of full scale)."""
    if bus.dtype != np.float32:
        return aug.equalize(part, SAMPLE_RATE, bands)
    sos = np.vstack([biquad(kind, f, SAMPLE_RATE, g, q) for kind, f, g, q in bands])
    return signal.sosfilt(sos.astype(np.float32).astype(np.float64), part, axis=-1)


def _master(spec: ClipSpec, st: Style, grid: Grid, drums: np.ndarray, n: int,
            rngs: dict[str, np.random.Generator], parts: dict[str, np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(mix, drum stem)`` before peak normalisation; fill ``parts`` (when given)
    with the accompaniment's parts, processed like the accompaniment (not yet normalised)."""
    rest = None
    if spec.mix == "full":
        if parts is None:
            rest = render_accompaniment(st.bass, grid, n, SAMPLE_RATE, rngs["music"],
                                        first_bar=spec.intro_bars)
        else:
            rest, own = render_accompaniment_parts(st.bass, grid, n, SAMPLE_RATE, rngs["music"],
                                                   first_bar=spec.intro_bars)
            parts.update(own)
    if spec.augment:
        r = rngs["augment"]
        drums = aug.drum_bus(drums, SAMPLE_RATE, r)
        if rest is not None:
            replay = copy.deepcopy(r)  # music_bus's draws, for the parts
            bus_in, rest = rest, aug.music_bus(rest, SAMPLE_RATE, r)
            if parts:
                _music_bus_parts(bus_in, rest, parts, replay)
        bands = aug.random_eq_bands(r, max_db=3.0)  # the same master EQ on both buses
        drums = aug.equalize(drums, SAMPLE_RATE, bands)
        if rest is not None:
            if parts:
                for name, part in parts.items():
                    parts[name] = _equalize_like(rest, part, bands)
            rest = aug.equalize(rest, SAMPLE_RATE, bands)
    if rest is None:
        return drums, drums
    a = round(grid.bar_start(spec.intro_bars) * SAMPLE_RATE)  # the drum bars only
    b = round(grid.beat_times[-1] * SAMPLE_RATE)
    silent = _breakdown_bars(spec)
    if silent:  # the level is set where the drums play
        c = round(grid.bar_start(spec.intro_bars + silent.start) * SAMPLE_RATE)
        d = round(grid.beat_times[(spec.intro_bars + silent.stop) * st.beats_per_bar]
                  * SAMPLE_RATE)
        level_d = rms(np.concatenate((drums[:, a:c], drums[:, d:b]), axis=1))
        level_r = rms(np.concatenate((rest[:, a:c], rest[:, d:b]), axis=1))
    else:
        level_d, level_r = rms(drums[:, a:b]), rms(rest[:, a:b])
    if level_r > 0 and level_d > 0:
        rest = rest * (level_d / level_r / db_to_gain(spec.drum_to_rest_db))
        if parts:
            for name, part in parts.items():
                parts[name] = part * (level_d / level_r / db_to_gain(spec.drum_to_rest_db))
    return drums + rest, drums


def ground_truth(spec: ClipSpec) -> GroundTruth:
    """The labels :func:`render_clip` gives ``spec``, without rendering audio (cheap)."""
    st = style(spec.style)
    rngs = _streams(spec)
    grid = _grid(spec, st)
    return _truth(spec, st, grid, *_placed_hits(spec, st, grid, rngs))


def render_clip(spec: ClipSpec, kits: Mapping[str, Kit] | None = None, *,
                with_parts: bool = False) -> Clip:
    """Render ``spec`` to a stereo 44.1 kHz :class:`Clip` with exact ground truth.

    ``kits`` maps kit names to kits; the spec's kit is loaded with :func:`load_kit` when it is
    absent (or ``kits`` is ``None``). ``with_parts`` also fills ``Clip.parts`` (see the module
    docstring; costs about a third more time); everything else is the same either way.

    Raises
    ------
    InvalidParameter
        The kit is unknown or not installed.
    """
    st = style(spec.style)
    kit = kits[spec.kit] if kits is not None and spec.kit in kits else load_kit(spec.kit)
    rngs = _streams(spec)
    grid = _grid(spec, st)
    hits, roles = _placed_hits(spec, st, grid, rngs)
    n = round((grid.beat_times[-1] + TAIL_SECONDS) * SAMPLE_RATE)
    drums = render_drums(hits, kit, n, rngs["drums"], pitch_semitones=spec.pitch_semitones)
    acc: dict[str, np.ndarray] | None = {} if with_parts else None
    mix, stem = _master(spec, st, grid, drums, n, rngs, acc)
    fade = round(END_FADE * SAMPLE_RATE)
    envelope = np.ones(n)
    envelope[n - fade:] = np.linspace(1.0, 0.0, fade)
    peak = float(np.max(np.abs(mix * envelope)))
    scale = envelope * (db_to_gain(PEAK_DBFS) / peak if peak > 0 else 1.0)
    samples = (mix * scale).astype(np.float32)
    stem_out = samples if stem is mix else (stem * scale).astype(np.float32)
    parts = None
    if acc is not None:
        silent = np.zeros_like(samples)
        parts = {"drums": stem_out, **{name: (acc[name] * scale).astype(np.float32)
                                        if name in acc else silent for name in PARTS[1:]}}
    return Clip(spec.name, samples, SAMPLE_RATE, _truth(spec, st, grid, hits, roles), stem_out,
                parts)
