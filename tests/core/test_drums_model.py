"""Real behaviour of the SHIPPED drum model on small clips generated with core.devset.

The clips use the synthesised kits (no SoundFont needed); ``synth:4`` belongs to the unseen
split, so these hits were never heard in training.
"""

from __future__ import annotations

from collections.abc import Sequence

import mir_eval
import numpy as np
import pytest

from core.analysis.drum_model.weights import default_weights_path, load_model, sha256_file
from core.analysis.drums import MODEL_BACKEND_NAME, DrumOptions, DrumTranscriber, transcribe_drums
from core.devset import ClipSpec, render_clip, synth_kit
from core.devset.drums import PlacedHit, render_drums
from core.results import DrumHit

RATE = 44100
KIT = "synth:4"


@pytest.fixture(scope="module")
def model():
    return load_model(device="cpu")


def run(samples: np.ndarray, model, block: int | None = None) -> tuple[DrumHit, ...]:
    transcriber = DrumTranscriber(RATE, options=DrumOptions(device="cpu"), model=model)
    step = block or samples.shape[-1]
    for start in range(0, samples.shape[-1], step):
        transcriber.feed(samples[..., start:start + step])
    result = transcriber.finish()
    assert result.backend == MODEL_BACKEND_NAME and result.fallback_reason is None
    return result.hits


def recall(reference: Sequence[float], hits: Sequence[DrumHit], instrument: str) -> float:
    est = np.array(sorted(h.time for h in hits if h.instrument == instrument))
    ref = np.array(sorted(reference))
    return len(mir_eval.util.match_events(ref, est, 0.05)) / len(ref)


def render(hits: list[PlacedHit], seconds: float, seed: int = 0) -> np.ndarray:
    bus = render_drums(hits, synth_kit(4), int(seconds * RATE), np.random.default_rng(seed))
    return (bus / np.abs(bus).max() * 0.9).astype(np.float32)


def test_shipped_weights_verify_and_are_small() -> None:
    path = default_weights_path()
    assert path.stat().st_size <= 10 * 2**20
    assert path.with_suffix(".sha256").read_text().split()[0] == sha256_file(path)
    result = transcribe_drums(np.zeros((2, RATE), np.float32), RATE)
    assert result.backend == MODEL_BACKEND_NAME and result.device in ("cpu", "cuda", "mps")


def test_kick_only_loop_gives_kicks(model) -> None:
    clip = render_clip(ClipSpec(style="techno", bpm=128, bars=4, kit=KIT, seed=3,
                                instruments=("kick",)))
    truth = [h.time for h in clip.truth.hits]
    hits = run(clip.samples, model)
    assert len(truth) >= 12
    assert sum(h.instrument == "kick" for h in hits) >= 0.95 * len(hits)
    assert recall(truth, hits, "kick") >= 0.95


def test_simultaneous_kick_and_hat_are_both_reported(model) -> None:
    times = np.arange(0.2, 7.8, 0.4)
    placed = sorted([PlacedHit(int(t * RATE), inst, 100) for t in times
                     for inst in ("kick", "hihat_closed")], key=lambda p: p.sample)
    hits = run(render(placed, 8.0), model)
    assert recall(times, hits, "kick") >= 0.9
    assert recall(times, hits, "hihat_closed") >= 0.9


def test_silence_gives_no_hits(model) -> None:
    assert run(np.zeros((2, 5 * RATE), np.float32), model) == ()
    hiss = np.random.default_rng(0).standard_normal((2, 5 * RATE)).astype(np.float32) * 1e-4
    assert run(hiss, model) == ()


def test_louder_hits_get_higher_velocity(model) -> None:
    levels = (30, 60, 90, 127)
    placed = [PlacedHit(int((0.3 + 0.5 * k) * RATE), "kick", levels[k % 4]) for k in range(16)]
    hits = [h for h in run(render(placed, 8.5), model) if h.instrument == "kick"]
    assert len(hits) == 16
    by_level = [np.mean([h.velocity for h in hits[k::4]]) for k in range(4)]
    assert by_level == sorted(by_level) and by_level[-1] - by_level[0] >= 20


def test_streaming_blocks_match_one_call(model) -> None:
    clip = render_clip(ClipSpec(style="dnb", bpm=174, bars=4, kit=KIT, seed=5))
    whole = run(clip.samples, model)
    for block in (RATE // 3, 2 * RATE + 17):
        hits = run(clip.samples, model, block=block)
        assert [h.instrument for h in hits] == [h.instrument for h in whole]
        assert np.allclose([h.time for h in hits], [h.time for h in whole], atol=0.0101)
