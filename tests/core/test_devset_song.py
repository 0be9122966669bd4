"""Song arrangements of generated clips: intro, phrases ending in fills, a breakdown, bar roles.

The reference song: 4 intro bars (pads only), then 32 drum bars in 8-bar phrases with a
breakdown over drum bars 16–19 (0-based; clip bars 20–23), full mix.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.devset import ClipSpec, Kit, ground_truth, render_clip, synth_kit
from core.devset.export import truth_from_dict, truth_to_dict
from core.devset.patterns import STYLES, Pattern, arrange, arrange_song
from core.devset.truth import Clip
from core.errors import InvalidParameter
from core.vocabulary import DRUM_INSTRUMENTS

SR = 44100
BPM = 174.0
BEAT = 60.0 / BPM  # seconds
INTRO, BARS, PHRASE = 4, 32, 8
BREAKDOWN = (16, 4)  # drum bars
SONG = ClipSpec("dnb", BPM, BARS, "synth:1", seed=3, mix="full", intro_bars=INTRO,
                phrase_bars=PHRASE, breakdown=BREAKDOWN, drum_to_rest_db=3.0, lead_in=0.1)
FILL_BARS = [INTRO + 7, INTRO + 15, INTRO + 23, INTRO + 31]  # last bar of each phrase
BREAKDOWN_BARS = list(range(INTRO + 16, INTRO + 20))
IMPULSE = Kit("test:impulse", "test", SR,
              {name: (np.array([1.0], np.float32),) for name in DRUM_INSTRUMENTS})
"""Every instrument a one-sample click: the stem is non-zero exactly where hits start."""


@pytest.fixture(scope="module")
def kits() -> dict[str, Kit]:
    return {"synth:1": synth_kit(1), "test:impulse": IMPULSE}


@pytest.fixture(scope="module")
def song(kits) -> Clip:
    return render_clip(SONG, kits)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def _db(a: float, b: float) -> float:
    return 20.0 * np.log10(a / b)


def _span(clip: Clip, first: int, stop: int) -> tuple[int, int]:
    """Sample range of clip bars ``first``..``stop - 1``."""
    a = clip.truth.bar_span(first)[0]
    b = clip.truth.bar_span(stop - 1)[1]
    return round(a * SR), round(b * SR)


def _fill_in_bar(clip: Clip, bar: int) -> Pattern | None:
    """The fill pattern whose hits are exactly the bar's hits in the fill's window, if any."""
    st = STYLES[clip.truth.style]
    start, end = clip.truth.bar_span(bar)
    bpb = st.beats_per_bar
    hits = [h for h in clip.truth.hits if start - 1e-3 < h.time < end - 1e-3]
    for fill in st.fills:
        lo = bpb - fill.beats
        found = {(round((h.time - start) / BEAT * 48) / 48 - lo, h.instrument, h.velocity)
                 for h in hits if (h.time - start) / BEAT > lo - 1e-3}
        if found == {(f.beat, f.instrument, f.velocity) for f in fill.hits}:
            return fill
    return None


def test_bar_roles_follow_the_arrangement(song):
    truth = song.truth
    assert len(truth.bar_roles) == INTRO + BARS == 36
    assert truth.bar_roles[:INTRO] == ("intro",) * INTRO
    assert [k for k, r in enumerate(truth.bar_roles) if r == "fill"] == FILL_BARS
    assert [k for k, r in enumerate(truth.bar_roles) if r == "breakdown"] == BREAKDOWN_BARS
    assert set(truth.bar_roles) == {"intro", "beat", "fill", "breakdown"}


def test_bar_starts_are_the_grid(song):
    truth = song.truth
    bar = 4 * BEAT
    assert len(truth.bar_starts) == 36
    np.testing.assert_allclose(truth.bar_starts, 0.1 + bar * np.arange(36), atol=1e-9)
    assert truth.bars_end == pytest.approx(0.1 + 36 * bar)
    assert truth.bar_span(35) == (truth.bar_starts[35], truth.bars_end)
    # beats are labelled from the first drum bar on, through the breakdown
    assert truth.downbeats == truth.bar_starts[INTRO:]
    with pytest.raises(IndexError):
        truth.bar_span(36)


def test_fills_sound_exactly_in_the_fill_bars(song):
    for bar, role in enumerate(song.truth.bar_roles):
        fill = _fill_in_bar(song, bar)
        assert (fill is not None) == (role == "fill"), (bar, role)


def test_no_drums_in_intro_and_breakdown(song):
    truth = song.truth
    first = truth.bar_starts[INTRO]
    a, b = truth.bar_span(BREAKDOWN_BARS[0])[0], truth.bar_span(BREAKDOWN_BARS[-1])[1]
    assert min(h.time for h in truth.hits) >= first - 0.5 / SR  # hits sit on samples
    assert not [h for h in truth.hits if a - 1e-3 < h.time < b - 1e-3]
    assert any(h.instrument == "crash" and abs(h.time - b) < 1e-3 for h in truth.hits)
    assert not np.any(song.drums[:, :round(first * SR)])
    beat = _rms(song.drums[:, slice(*_span(song, INTRO, BREAKDOWN_BARS[0]))])
    # the fill's toms ring on for about half a second; then the stem is silent
    i, j = _span(song, BREAKDOWN_BARS[0], BREAKDOWN_BARS[-1] + 1)
    quiet = _rms(song.drums[:, i + round(0.75 * SR):j])
    assert quiet == 0.0 or _db(quiet, beat) < -80.0


def test_accompaniment_plays_on_in_the_breakdown(song):
    rest = song.samples.astype(np.float64) - song.drums
    breakdown = _rms(rest[:, slice(*_span(song, BREAKDOWN_BARS[0], BREAKDOWN_BARS[-1] + 1))])
    groove = _rms(rest[:, slice(*_span(song, INTRO, BREAKDOWN_BARS[0]))])
    intro = _rms(song.samples[:, slice(*_span(song, 1, INTRO))])
    assert breakdown > 1e-3 and _db(breakdown, groove) > -6.0 and intro > 1e-3


def test_drum_to_rest_level_is_set_where_the_drums_play(song):
    rest = song.samples.astype(np.float64) - song.drums
    a, c = _span(song, INTRO, BREAKDOWN_BARS[0])
    d, b = _span(song, BREAKDOWN_BARS[-1] + 1, INTRO + BARS)
    drums = np.concatenate((song.drums[:, a:c], song.drums[:, d:b]), axis=1)
    music = np.concatenate((rest[:, a:c], rest[:, d:b]), axis=1)
    assert _db(_rms(drums), _rms(music)) == pytest.approx(3.0, abs=0.5)


def test_song_renders_deterministically(kits):
    spec = ClipSpec("house", 124, 12, "synth:1", seed=11, mix="full", intro_bars=1,
                    phrase_bars=4, breakdown=(5, 2), humanize_ms=3, velocity_jitter=4)
    a, b = render_clip(spec, kits), render_clip(spec, kits)
    assert np.array_equal(a.samples, b.samples) and np.array_equal(a.drums, b.drums)
    assert a.truth == b.truth and a.truth == ground_truth(spec)
    assert a.truth.bar_roles == ("intro", "beat", "beat", "beat", "fill", "beat",
                                 "breakdown", "breakdown", "fill", "beat", "beat", "beat",
                                 "fill")


def test_drums_only_breakdown_is_silence(kits):
    spec = ClipSpec("techno", 128, 8, "test:impulse", seed=2, breakdown=(3, 2))
    clip = render_clip(spec, kits)
    assert clip.truth.bar_roles == ("beat", "beat", "beat", "breakdown", "breakdown", "beat",
                                    "beat", "fill")
    a, b = _span(clip, 3, 5)
    assert not np.any(clip.samples[:, a:b - 2])
    assert np.any(clip.samples[:, b - 2:b + 2])  # the crash (and kick) of the return


def test_a_fill_inside_the_breakdown_is_dropped():
    truth = ground_truth(ClipSpec("dnb", 174, 12, "synth:1", seed=1, breakdown=(6, 3)))
    assert truth.bar_roles == ("beat",) * 3 + ("fill", "beat", "beat") + ("breakdown",) * 3 \
        + ("beat", "beat", "fill")


def test_roles_of_plain_specs():
    truth = ground_truth(ClipSpec("waltz", 120, 9, "synth:1", intro_bars=2))
    assert truth.bar_roles == ("intro", "intro", "beat", "beat", "beat", "fill", "beat",
                               "beat", "beat", "fill", "beat")
    assert ground_truth(ClipSpec("waltz", 120, 9, "synth:1", fills=False)).bar_roles \
        == ("beat",) * 9
    assert ground_truth(ClipSpec("waltz", 120, 3, "synth:1")).bar_roles == ("beat",) * 3


def test_arrange_is_unchanged_and_reports_its_fills():
    for st in STYLES.values():
        for bars, phrase in ((3, 4), (8, 4), (13, 4), (16, 8), (9, 2)):
            a = arrange(st, bars, np.random.default_rng(5), phrase_bars=phrase)
            song = arrange_song(st, bars, np.random.default_rng(5), phrase_bars=phrase)
            assert a == list(song.hits)
            expected = [] if bars < 4 else list(range(phrase - 1, bars, phrase))
            assert list(song.fill_bars) == expected


EXISTING = (
    ClipSpec("dnb", 174, 4, "synth:1"),
    ClipSpec("dnb", 174, 4, "synth:1", seed=7, mix="full", humanize_ms=4, velocity_jitter=5,
             augment=True, pitch_semitones=1, intro_bars=2, lead_in=0.3),
    ClipSpec("jungle", 165, 8, "synth:2", swing=1.2, tempo_change=(4, 160.0),
             instruments=("kick", "snare"), fills=False, time_signature="4/4"),
)


OLD_FIELDS = ("style", "bpm", "bars", "kit", "seed", "mix", "drum_to_rest_db", "humanize_ms",
              "velocity_jitter", "swing", "tempo_change", "time_signature", "pitch_semitones",
              "augment", "intro_bars", "lead_in", "instruments", "fills")
"""The fields of ClipSpec when the drum-model cache keys were first computed (in order)."""


@pytest.mark.parametrize("spec", EXISTING)
def test_existing_specs_keep_their_cache_key_fields(spec):
    full = dataclasses.asdict(spec)
    # the same dict, keys in the same order, as asdict gave before the new fields existed
    assert list(spec.key_fields().items()) == [(f, full[f]) for f in OLD_FIELDS]
    assert repr(spec.key_fields()) == repr({f: full[f] for f in OLD_FIELDS})
    explicit = dataclasses.replace(spec, phrase_bars=4, breakdown=None)
    assert explicit == spec and explicit.key_fields() == spec.key_fields()


def test_new_fields_enter_the_key_when_set():
    base = EXISTING[0]
    keys = [dataclasses.replace(base, **kw).key_fields() for kw in (
        {}, {"phrase_bars": 8}, {"breakdown": (1, 2)}, {"phrase_bars": 8, "breakdown": (1, 2)})]
    assert len({repr(k) for k in keys}) == 4
    assert keys[3] == dataclasses.asdict(dataclasses.replace(base, phrase_bars=8,
                                                             breakdown=(1, 2)))


@pytest.mark.parametrize(("kw", "message"), [
    ({"phrase_bars": 0}, "phrase_bars"),
    ({"phrase_bars": 2.5}, "phrase_bars"),
    ({"breakdown": (0, 2)}, "breakdown"),
    ({"breakdown": (5, 0)}, "breakdown"),
    ({"breakdown": (6, 3)}, "ending by drum bar 8"),
    ({"breakdown": [2, 2]}, "breakdown"),
    ({"breakdown": (2,)}, "breakdown"),
])
def test_bad_song_parameters_are_rejected(kw, message):
    with pytest.raises(InvalidParameter, match=message):
        ClipSpec("dnb", 174, 8, "synth:1", **kw)


def test_breakdown_may_end_the_clip():
    truth = ground_truth(ClipSpec("dnb", 174, 8, "synth:1", breakdown=(6, 2)))
    assert truth.bar_roles[-2:] == ("breakdown", "breakdown")
    assert max(h.time for h in truth.hits) < truth.bar_starts[6]


def test_truth_export_round_trips_the_arrangement(song):
    data = truth_to_dict(song.truth)
    assert data["bar_roles"] == list(song.truth.bar_roles)
    assert truth_from_dict(data) == song.truth
    legacy = {k: v for k, v in data.items() if k not in ("bar_roles", "bar_starts", "bars_end")}
    old = truth_from_dict(legacy)
    assert old.bar_roles == () and old.bar_starts == () and old.bars_end is None
