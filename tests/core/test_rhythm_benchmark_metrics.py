"""The rhythm benchmark's drum scoring: pooled F and its bootstrap interval over clips."""

from __future__ import annotations

import numpy as np

from benchmarks.rhythm_metrics import CLASSES_3, DrumScore
from core.results import DrumHit


def _kicks(times: np.ndarray) -> list[DrumHit]:
    return [DrumHit(float(t), "kick", 100, 1.0) for t in times]


def test_interval_is_a_point_when_every_clip_scores_the_same() -> None:
    score = DrumScore()
    for _ in range(5):
        truth = _kicks(np.arange(8) * 0.5)
        score.add(truth, truth)
    assert score.f(CLASSES_3) == 1.0
    assert score.interval(CLASSES_3) == (1.0, 1.0)


def test_interval_brackets_the_pooled_f_and_widens_with_fewer_clips() -> None:
    """Half the clips are found whole, half lose three of eight kicks: the pooled F lies inside
    the interval, and an interval over twice the clips is narrower."""
    truth = _kicks(np.arange(8) * 0.5)
    few, many = DrumScore(), DrumScore()
    for k in range(8):
        estimate = truth if k % 2 == 0 else truth[:5]
        few.add(truth, estimate)
        many.add(truth, estimate)
        many.add(truth, estimate)
    f = few.f(CLASSES_3)
    assert f == 2 * (8 * 4 + 5 * 4) / (64 + 52)
    low, high = few.interval(CLASSES_3)
    assert low < f < high
    low2, high2 = many.interval(CLASSES_3)
    assert many.f(CLASSES_3) == f
    assert high2 - low2 < high - low
    assert few.classes["kick"].tp == 52


def test_interval_of_no_clips_is_undefined() -> None:
    low, high = DrumScore().interval(CLASSES_3)
    assert np.isnan(low) and np.isnan(high)
