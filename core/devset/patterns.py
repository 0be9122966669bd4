"""Drum pattern library of the development set: grooves, fills and their arrangement.

A pattern is written as step rows, one per instrument: ``"x...x..."`` where each character is
one step and the row spans the whole pattern, so a row's length sets its grid (16 characters
over a 4/4 bar are 16ths, 32 are 32nds, 24 are 16th triplets). Marks give the MIDI velocity:
``X`` 120 (accent), ``x`` 100, ``o`` 75, ``g`` 45 (ghost); ``.`` is a rest, spaces and ``|``
are ignored. Positions are in beats from the start of the pattern.

Meters and beats: 4/4 and 3/4 styles count quarter-note beats; the 6/8 style counts
dotted-quarter beats, two per bar (the convention of mir_eval-style beat annotations), and its
tempo is in dotted quarters per minute. Half-time styles (dubstep, trap) are labelled at the
producer's tempo (140, not 70): the snare lands on beat 3 of each 4/4 bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from core.errors import InvalidParameter
from core.results import TimeSignature
from core.vocabulary import is_drum_instrument

MARKS = MappingProxyType({"X": 120, "x": 100, "o": 75, "g": 45})
"""Step mark → MIDI velocity."""


@dataclass(frozen=True)
class Hit:
    """One drum hit of a pattern: ``beat`` position (beats), ``instrument``, MIDI ``velocity``."""

    beat: float
    instrument: str
    velocity: int


@dataclass(frozen=True)
class Pattern:
    """A groove or fill ``beats`` long (a whole number of bars for grooves)."""

    name: str
    beats: float
    hits: tuple[Hit, ...]


def pattern(name: str, beats: float, *rows: tuple[str, str]) -> Pattern:
    """Build a :class:`Pattern` from ``(instrument, step row)`` pairs (see module docstring)."""
    hits: dict[tuple[float, str], int] = {}
    for instrument, row in rows:
        if not is_drum_instrument(instrument):
            raise InvalidParameter(f"pattern {name}: unknown instrument {instrument!r}")
        steps = row.replace(" ", "").replace("|", "")
        for k, mark in enumerate(steps):
            if mark == ".":
                continue
            if mark not in MARKS:
                raise InvalidParameter(f"pattern {name}: bad step mark {mark!r}")
            key = (round(beats * k / len(steps), 9), instrument)
            hits[key] = max(hits.get(key, 0), MARKS[mark])
    ordered = sorted(hits.items())
    return Pattern(name, beats, tuple(Hit(b, i, v) for (b, i), v in ordered))


@dataclass(frozen=True)
class Style:
    """A genre: tempo range (BPM, the labelled beat), meter, grooves, fills and feel.

    ``swing_unit`` is 8 or 16 when swing may be applied (to 8th or 16th pairs), else ``None``;
    ``swing_range`` the long/short ratios the development set draws from. ``anchor_bpms`` are
    tempos the development set always includes. ``bass`` names the accompaniment flavour.
    """

    name: str
    bpm_range: tuple[float, float]
    anchor_bpms: tuple[float, ...]
    time_signature: TimeSignature
    grooves: tuple[Pattern, ...]
    fills: tuple[Pattern, ...]
    swing_unit: int | None
    swing_range: tuple[float, float]
    half_time: bool
    bass: str

    @property
    def beats_per_bar(self) -> int:
        """Labelled beats per bar (2 for 6/8: dotted-quarter beats)."""
        ts = self.time_signature
        return ts.numerator // 3 if ts.denominator == 8 and ts.numerator % 3 == 0 \
            else ts.numerator


FILLS_16: tuple[Pattern, ...] = (
    pattern("toms-1", 1, ("tom_high", "xx.."), ("tom_mid", "..xx")),
    pattern("toms-2", 2, ("snare", "oooo...."), ("tom_high", "....x..."),
            ("tom_mid", ".....x.."), ("tom_low", "......XX")),
    pattern("roll-2", 2, ("snare", "gooxxxxX"), ("kick", "x.......")),
    pattern("toms-low-1", 1, ("tom_mid", "x..."), ("tom_low", ".xxX")),
)
"""Fills on a 16th grid (4/4 and 3/4 styles): one or two beats, ending the bar."""

FILLS_68: tuple[Pattern, ...] = (
    pattern("toms-1", 1, ("tom_high", "xxx..."), ("tom_mid", "...xxx")),
    pattern("toms-2", 2, ("snare", "oooooo......"), ("tom_high", "......xx...."),
            ("tom_mid", "........xx.."), ("tom_low", "..........XX")),
    pattern("roll-2", 2, ("snare", "ggoooxxxxxxX"), ("kick", "x...........")),
)
"""Fills of the 6/8 style (six 16ths per dotted-quarter beat)."""

_RIDE8 = ("ride", "x.o.x.o.x.o.x.o.")
_HATS8 = ("hihat_closed", "x.o.x.o.x.o.x.o.")
_HATS16 = ("hihat_closed", "xgogxgogxgogxgog")
_SIG44, _SIG34, _SIG68 = TimeSignature(4, 4), TimeSignature(3, 4), TimeSignature(6, 8)

STYLES = MappingProxyType({s.name: s for s in (
    Style("dnb", (170, 176), (174, 170, 176), _SIG44, (
        pattern("two-step", 4, ("kick", "x.........x....."), ("snare", "....X.......X..."), _HATS8),
        pattern("two-step-ghost", 8, ("kick", "x.........x.....|x.x.......x....."),
                ("snare", "....X..g....X..g|....X.......X.g."), _HATS16,
                ("hihat_open", "..............o.|................")),
        pattern("two-step-ride", 4, ("kick", "x.........x....."), ("snare", "....X.......X..."),
                _RIDE8, ("rim", "...g......g....."), ("percussion", ".......g.......g")),
    ), FILLS_16, 16, (1.0, 1.2), False, "reese"),
    Style("jungle", (160, 175), (165,), _SIG44, (
        pattern("amen", 8, ("kick", "x.x.......xx....|..x.......x....."),
                ("snare", "....X..g.g..X..g|.g..X..g.g....X."), ("ride", "x.x.x.x.x.x.x.x." * 2)),
        pattern("think", 4, ("kick", "x......x..x....."), ("snare", "....X.g....gX..g"),
                _HATS16, ("hihat_pedal", "....o.......o...")),
        pattern("amen-chop", 4, ("kick", "x.x...x...x....."), ("snare", "....X..gX.g.X.gg"),
                ("ride", "x.x.x.x.x.x.x.x."), ("hihat_open", "......o.........")),
    ), FILLS_16, 16, (1.0, 1.25), False, "reese"),
    Style("techno", (125, 135), (128,), _SIG44, (
        pattern("four", 4, ("kick", "X...X...X...X..."), ("hihat_open", "..x...x...x...x."),
                ("hihat_closed", "gg.ggg.ggg.ggg.g")),
        pattern("four-clap", 4, ("kick", "X...X...X...X..."), ("clap", "....x.......x..."),
                ("hihat_open", "..x...x...x...x."), ("rim", "...o..o....o..o.")),
        pattern("four-ride", 4, ("kick", "X...X...X...X..."), _RIDE8,
                ("percussion", "..o..o..o...o.o."), ("hihat_closed", "gogogogogogogogo")),
    ), FILLS_16, 16, (1.0, 1.15), False, "pluck"),
    Style("house", (118, 128), (124,), _SIG44, (
        pattern("house", 4, ("kick", "X...X...X...X..."), ("clap", "....x.......x..."),
                ("hihat_open", "..x...x...x...x."), ("hihat_closed", "g.g.g.g.g.g.g.g.")),
        pattern("house-shaker", 4, ("kick", "X...X...X...X..."), ("clap", "....x.......x..."),
                ("percussion", "ogxgogxgogxgogxg"), ("hihat_open", "..o...o...o...o.")),
        pattern("house-snare", 4, ("kick", "X...X...X...X..."), ("snare", "....x..g....x..."),
                ("clap", "....o.......o..."), ("hihat_closed", "gog.gog.gog.gog.")),
    ), FILLS_16, 16, (1.15, 1.5), False, "pluck"),
    Style("dubstep", (138, 142), (140,), _SIG44, (
        pattern("halftime", 4, ("kick", "x.........x....."), ("snare", "........X......."),
                _HATS8),
        pattern("halftime-2", 8, ("kick", "x.........x.....|x.....x........."),
                ("snare", "........X.......|........X.....g."), _HATS16),
        pattern("halftime-ride", 4, ("kick", "x......x..x....."), ("snare", "........X......."),
                ("ride", "x...x...x...x..."), ("percussion", "...g...g...g...g")),
    ), FILLS_16, 16, (1.0, 1.15), True, "wobble"),
    Style("trap", (135, 150), (140, 150), _SIG44, (
        pattern("trap", 4, ("kick", "x......x..x....."), ("clap", "........X......."),
                ("snare", "........x......."), ("hihat_closed", "x.x.x.x.x.x.x.x."),
                ("hihat_closed", "." * 25 + "xoxoxox")),
        pattern("trap-triplet", 4, ("kick", "x..x......x..x.."), ("clap", "........X......."),
                ("hihat_closed", "x.x.x.x.x.x.x.x."),
                ("hihat_closed", "......xoxoxo" + "." * 12),
                ("hihat_open", "..............o.")),
        pattern("trap-roll", 4, ("kick", "x.....x...x....x"), ("snare", "........X......."),
                ("hihat_closed", "xoxoxoxoxoxoxoxo"),
                ("hihat_closed", "." * 12 + "xoxo" + "." * 8 + "xoxoxoxo")),
    ), FILLS_16, None, (1.0, 1.0), True, "sub"),
    Style("breakbeat", (125, 140), (130,), _SIG44, (
        pattern("break", 4, ("kick", "x.....x...x....."), ("snare", "....X.......X..."), _HATS8,
                ("hihat_open", "..............o.")),
        pattern("funky", 4, ("kick", "x.x...x...x..x.."), ("snare", "....X..g.g.gX..g"),
                ("hihat_closed", "xoxoxoxo.oxoxoxo"), ("hihat_open", "........x.......")),
        pattern("break-pedal", 4, ("kick", "x......x.x......"), ("snare", "....X.......X..."),
                ("hihat_pedal", "..o...o...o...o."), ("ride", "x...x...x...x...")),
    ), FILLS_16, 16, (1.1, 1.4), False, "reese"),
    Style("hiphop", (85, 100), (90,), _SIG44, (
        pattern("boom-bap", 4, ("kick", "x......x..x....."), ("snare", "....X.......X..."),
                _HATS8),
        pattern("boom-bap-16", 4, ("kick", "x......x.xx....."), ("snare", "....X.......X..g"),
                _HATS16, ("percussion", "......g.......g.")),
        pattern("rim-bap", 4, ("kick", "x.....x...x...x."), ("rim", "....X.......X..."),
                ("hihat_closed", "x.o.x.o.x.o.x.oo"), ("hihat_open", "......o.........")),
    ), FILLS_16, 16, (1.3, 1.7), False, "sub"),
    Style("waltz", (90, 150), (120,), _SIG34, (
        pattern("waltz", 3, ("kick", "x..........."), ("snare", "....o...o..."),
                ("hihat_closed", "x.o.x.o.x.o.")),
        pattern("jazz-waltz", 3, ("ride", "x...x.o.x..."), ("hihat_pedal", "....x......."),
                ("kick", "x.......g..."), ("snare", "......g...g.")),
        pattern("waltz-rock", 3, ("kick", "x.....x....."), ("snare", "....x...x..."),
                ("hihat_closed", "xoxoxoxoxoxo")),
    ), FILLS_16, 8, (1.4, 2.0), False, "simple"),
    Style("six_eight", (60, 80), (70,), _SIG68, (
        pattern("six-eight", 2, ("kick", "x..........."), ("snare", "......X....."),
                ("hihat_closed", "x.o.o.x.o.o.")),
        pattern("six-eight-ride", 2, ("kick", "x...x......."), ("snare", "......X...g."),
                ("ride", "x.x.x.x.x.x.")),
        pattern("six-eight-shuffle", 2, ("kick", "x.....x.x..."), ("snare", "......X....."),
                ("hihat_closed", "x.ogx.o.ogx."), ("hihat_pedal", "......o.....")),
    ), FILLS_68, None, (1.0, 1.0), False, "simple"),
)})
"""Every style by name."""


def style(name: str) -> Style:
    """The style called ``name``; raises :class:`InvalidParameter` naming the known ones."""
    try:
        return STYLES[name]
    except KeyError:
        raise InvalidParameter(
            f"unknown style {name!r}; known: {', '.join(STYLES)}") from None


@dataclass(frozen=True)
class Arrangement:
    """What :func:`arrange_song` produced: the ``hits`` (positions in beats from the first
    bar, sorted by beat then instrument) and the 0-based ``fill_bars`` (sorted) that end with
    a fill."""

    hits: tuple[Hit, ...]
    fill_bars: tuple[int, ...]


def arrange_song(st: Style, bars: int, rng: np.random.Generator, *, fills: bool = True,
                 phrase_bars: int = 4) -> Arrangement:
    """Arrange ``bars`` bars of ``st`` and report which bars got a fill.

    The main groove repeats with an occasional other groove for a phrase; the last bar of every
    complete ``phrase_bars``-bar phrase ends with a fill (with ``fills`` and from 4 bars on),
    and a crash marks the first bar and, mostly, the bar after each fill. ``arrange`` returns
    the same hits (it draws the same random numbers from ``rng``).
    """
    if phrase_bars < 1:
        raise InvalidParameter(f"phrase_bars must be >= 1, got {phrase_bars}")
    bpb = st.beats_per_bar
    main = st.grooves[int(rng.integers(len(st.grooves)))]
    out: list[Hit] = []
    fill_bars: list[int] = []
    for phrase_start in range(0, bars, phrase_bars):
        groove = main if rng.random() < 0.7 else st.grooves[int(rng.integers(len(st.grooves)))]
        end = min(bars, phrase_start + phrase_bars)
        fill = (st.fills[int(rng.integers(len(st.fills)))]
                if fills and bars >= 4 and end - phrase_start == phrase_bars else None)
        if fill is not None:
            fill_bars.append(end - 1)
        for bar in range(phrase_start, end):
            offset = bar * bpb
            local = ((bar - phrase_start) * bpb) % groove.beats
            window_start = bpb - fill.beats if fill is not None and bar == end - 1 else bpb
            out += [Hit(offset + h.beat - local, h.instrument, h.velocity) for h in groove.hits
                    if local <= h.beat < local + window_start]
            if window_start < bpb:
                out += [Hit(offset + window_start + h.beat, h.instrument, h.velocity)
                        for h in fill.hits]
        if phrase_start == 0 or (fills and bars >= 4 and rng.random() < 0.8):
            out.append(Hit(float(phrase_start * bpb), "crash", 110))
    return Arrangement(tuple(sorted(out, key=lambda h: (h.beat, h.instrument))),
                       tuple(fill_bars))


def arrange(st: Style, bars: int, rng: np.random.Generator, *, fills: bool = True,
            phrase_bars: int = 4) -> list[Hit]:
    """Hits of ``bars`` bars of ``st`` with positions in beats from the first bar.

    The main groove repeats with an occasional other groove for a phrase; the last bar of every
    ``phrase_bars``-bar phrase ends with a fill (from 4 bars on), and a crash marks the first
    bar and, mostly, the bar after each fill. :func:`arrange_song` also reports the fill bars.
    """
    return list(arrange_song(st, bars, rng, fills=fills, phrase_bars=phrase_bars).hits)
