"""The rhythm engine on a few development-set clips (our own synth kits, always installed)."""

import numpy as np
import pytest

generate = pytest.importorskip("core.devset.generate")

from core.analysis.rhythm import analyze_rhythm_audio  # noqa: E402
from tests.support.rhythm_eval import score_clip, summarise  # noqa: E402

ClipSpec, render_clip = generate.ClipSpec, generate.render_clip

SPECS = (
    ClipSpec(style="dnb", bpm=174.0, bars=10, kit="synth:0", seed=3),
    ClipSpec(style="dnb", bpm=172.0, bars=10, kit="synth:2", seed=4, mix="full",
             drum_to_rest_db=0.0),
    ClipSpec(style="dubstep", bpm=140.0, bars=8, kit="synth:1", seed=5, mix="full",
             drum_to_rest_db=3.0),
    ClipSpec(style="hiphop", bpm=90.0, bars=6, kit="synth:3", seed=6),
    ClipSpec(style="techno", bpm=128.0, bars=8, kit="synth:2", seed=7, mix="full"),
    ClipSpec(style="waltz", bpm=120.0, bars=10, kit="synth:0", seed=8),
)


@pytest.fixture(scope="module")
def scores():
    rows = []
    for spec in SPECS:
        clip = render_clip(spec)
        result = analyze_rhythm_audio(clip.samples, clip.sample_rate)
        rows.append(score_clip(clip.truth, result, name=clip.name))
    return rows


def test_tempo_is_the_producers_label(scores):
    for row in scores:
        assert row.acc1, (row.name, row.bpm)
    assert not any(row.octave_error for row in scores)


def test_beats_downbeats_and_meter(scores):
    for row in scores:
        assert row.beat_f >= 0.9, (row.name, row.beat_f)
        assert row.meter_ok, row.name
    assert np.mean([row.downbeat_f for row in scores]) >= 0.85
    summary = summarise(scores)
    assert summary["all"]["clips"] == len(SPECS)
