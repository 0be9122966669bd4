"""Real behaviour of the SHIPPED drum model on small clips generated with core.devset.

The clips use the synthesised kits (no SoundFont needed); ``synth:4`` belongs to the unseen
split, so these hits were never heard in training.
"""

from __future__ import annotations

from collections.abc import Sequence

import mir_eval
import numpy as np
import pytest
import torch

from core.analysis.drum_model.features import N_BANDS
from core.analysis.drum_model.inference import BAND_SHIFTS, DrumActivationStream, band_shifted
from core.analysis.drum_model.weights import default_weights_path, load_model, sha256_file
from core.analysis.drums import MODEL_BACKEND_NAME, DrumOptions, DrumTranscriber, transcribe_drums
from core.devset import ClipSpec, render_clip, synth_kit
from core.devset.drums import PlacedHit, render_drums
from core.errors import InvalidParameter
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


def test_band_shifted_moves_bands_and_repeats_the_edge() -> None:
    frames = np.arange(12, dtype=np.float32).reshape(2, 6)
    up, down = band_shifted(frames, 1), band_shifted(frames, -1)
    assert np.array_equal(up[:, 1:], frames[:, :-1]) and np.array_equal(up[:, 0], frames[:, 0])
    assert np.array_equal(down[:, :-1], frames[:, 1:])
    assert np.array_equal(down[:, -1], frames[:, -1])
    assert np.array_equal(band_shifted(frames, 0), frames)


def test_activations_average_the_shifted_views(model) -> None:
    rng = np.random.default_rng(3)
    stream = DrumActivationStream(model)
    chunk = rng.normal(-1.0, 0.5, (2 * model.net.context + 40, N_BANDS)).astype(np.float32)
    with torch.inference_mode():
        single = [torch.sigmoid(model.net(torch.from_numpy(band_shifted(chunk, s))[None]))[0]
                  .numpy() for s in BAND_SHIFTS]
    assert len(BAND_SHIFTS) == 3
    assert np.allclose(stream.activate(chunk), np.mean(single, axis=0), atol=1e-6)
    # The views disagree on random features: averaging is not a no-op.
    assert np.abs(single[1] - single[0]).max() > 1e-3


def test_views_are_one_or_three() -> None:
    assert DrumOptions(views=3).views == 3 and DrumOptions().views == 1
    with pytest.raises(InvalidParameter, match="views"):
        DrumOptions(views=2)
