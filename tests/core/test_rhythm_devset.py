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


def test_pipeline_puts_a_techno_grid_on_its_kicks(tmp_path):
    """A development-set techno full mix (off-beat bass and open hats) whose beat tracker locks
    to the off-beats: the pipeline's transcribed kicks move the grid back onto the beats."""
    import soundfile as sf

    from core.analysis.pipeline import AnalysisOptions, analyze_file
    from core.devset import development_set, iter_clips

    specs = [s for s in development_set("dev", clips_per_style=6, seconds=20.0)
             if s.style == "techno" and s.kit == "fluidr3:jazz" and s.mix == "full"]
    if not specs:
        pytest.skip("the FluidR3 GM soundfont is not installed")
    clip = next(iter_clips(specs[:1]))
    wav = tmp_path / "techno.wav"
    sf.write(str(wav), clip.samples.T, clip.sample_rate, subtype="PCM_24")
    result = analyze_file(wav, options=AnalysisOptions(drums="model"))
    truth = np.array(clip.truth.beats)
    import mir_eval

    assert mir_eval.beat.f_measure(truth, np.array(result.beats)) >= 0.95
    assert mir_eval.beat.f_measure(np.array(clip.truth.downbeats),
                                   np.array(result.downbeats)) >= 0.9
