"""The pure overlap-add of chunked separation."""

import itertools

import numpy as np
import pytest

from core.errors import InvalidParameter
from core.separation.overlap_add import OverlapAdd, apply_chunked, chunk_window, plan_chunks


@pytest.mark.parametrize(("total", "chunk", "overlap"), [(1000, 300, 75), (300, 300, 75),
                                                         (301, 300, 75), (50, 300, 75),
                                                         (12345, 1000, 0), (999, 400, 399)])
def test_chunks_cover_the_signal_once_in_order(total, chunk, overlap):
    plan = plan_chunks(total, chunk, overlap)
    assert plan[0].start == 0 and plan[-1].stop == total and plan[0].first and plan[-1].last
    for a, b in itertools.pairwise(plan):
        assert b.start == a.start + chunk - overlap and b.start <= a.stop
    assert all(c.length <= chunk for c in plan)


def test_windows_cross_fade_to_a_constant_sum():
    total, chunk, overlap = 5000, 1000, 250
    weight = np.zeros(total)
    for c in plan_chunks(total, chunk, overlap):
        weight[c.start:c.stop] += chunk_window(c, overlap)
    assert weight.min() > 0.99 and weight.max() < 1.01  # linear ramps sum to one


@pytest.mark.parametrize(("chunk", "overlap"), [(1000, 250), (777, 100), (4096, 0)])
def test_a_chunk_wise_linear_map_is_reproduced_exactly(chunk, overlap):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 10_000))

    def separate(part):  # two "stems": scaled copies (sum = input)
        return np.stack([0.25 * part, 0.75 * part])

    out = apply_chunked(x, separate, chunk, overlap)
    assert out.shape == (2, 2, 10_000)
    assert np.allclose(out[0], 0.25 * x) and np.allclose(out.sum(axis=0), x)


def test_position_dependent_outputs_blend_between_chunks():
    """Chunks that disagree are cross-faded, not cut: the result stays between them."""
    x = np.zeros(3000)
    calls = []

    def separate(part):
        calls.append(len(part))
        return np.full_like(part, float(len(calls)))

    out = apply_chunked(x, separate, 1000, 200)
    assert out[0] == 1.0 and out[-1] == float(len(calls))
    assert np.all(np.diff(out) >= 0)  # a monotone ramp from chunk to chunk, no steps back


def test_streaming_returns_everything_once():
    acc = OverlapAdd(100)
    plan = plan_chunks(2500, 1000, 100)
    got = 0
    for k, c in enumerate(plan):
        acc.add(c, np.ones((3, c.length)))
        got += acc.ready(plan[k + 1].start if k + 1 < len(plan) else 2500).shape[-1]
    got += acc.finish().shape[-1]
    assert got == 2500 == acc.emitted


def test_bad_plans_and_shapes_are_refused():
    with pytest.raises(InvalidParameter):
        plan_chunks(100, 10, 10)
    acc = OverlapAdd(10)
    with pytest.raises(InvalidParameter, match="samples"):
        acc.add(plan_chunks(100, 50, 10)[0], np.zeros(49))
