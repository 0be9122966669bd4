"""Metrics with known answers, the built-in synth, PCA/t-SNE, map layout and result tables."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.signal import lfilter

from core.latent.clip import GridClip, GridSpec, Note, notes_to_rolls
from core.latent.evaluate import Evaluation
from core.latent.map_items import MapItem, clip_audition, layout
from core.latent.metrics import (
    baseline_curve,
    baseline_error,
    cc_modulation_error,
    neighbour_distances,
    note_scores,
)
from core.latent.projection import pca_2d, project, tsne_2d
from core.latent.results_table import ResultRow, results_json, results_latex, results_markdown
from core.latent.synth import SAMPLE_RATE, _comb, mr_stft_distance, render_clip

GRID = GridSpec(steps_per_beat=4, bars=1)


def _clip(cutoff: float, *, bpm: float = 120.0) -> GridClip:
    notes = [Note(s, s + 2, 45) for s in range(0, 16, 4)]
    onsets, active = notes_to_rolls(notes, 16)
    cc = np.zeros((16, 10), np.float32)
    cc[:, 0] = cutoff
    cc[:, 1] = 0.2
    present = np.zeros(10, bool)
    present[:2] = True
    return GridClip(onsets, active, cc, present, bpm=bpm)


def test_cc_modulation_error_counts_only_present_controllers():
    ref = np.zeros((2, 4, 3))
    pred = np.zeros((2, 4, 3))
    pred[:, :, 0] = 0.5
    pred[:, :, 2] = 1.0  # absent controller: ignored
    present = np.array([[True, True, False], [True, True, False]])
    assert cc_modulation_error(pred, ref, present) == pytest.approx(0.25)
    assert np.isnan(cc_modulation_error(pred, ref, np.zeros((2, 3), bool)))


def test_note_scores_match_step_and_pitch_exactly():
    ref = np.zeros((1, 8, 128), bool)
    pred = np.zeros((1, 8, 128), bool)
    ref[0, [0, 2, 4, 6], 60] = True
    pred[0, [0, 2], 60] = True  # 2 hits
    pred[0, 4, 61] = True  # wrong pitch
    pred[0, 7, 60] = True  # wrong step
    s = note_scores(pred, ref)
    assert (s.true_positives, s.predicted, s.reference) == (2, 4, 4)
    assert s.precision == s.recall == s.f1 == pytest.approx(0.5)
    empty = np.zeros((1, 8, 128), bool)
    assert note_scores(empty, empty).f1 == 1.0 and note_scores(empty, ref).f1 == 0.0


def test_baseline_is_the_per_step_mean_of_present_clips():
    cc = np.array([[[0.0], [1.0]], [[1.0], [1.0]], [[0.9], [0.9]]])
    present = np.array([[True], [True], [False]])
    base = baseline_curve(cc, present)
    assert base[:, 0].tolist() == [0.5, 1.0]
    assert baseline_error(base, cc[:2], present[:2]) == pytest.approx(0.25)
    assert baseline_curve(cc, np.zeros((3, 1), bool))[0, 0] == 0.5


def test_neighbour_distances_of_an_even_ramp_are_equal():
    cc = np.linspace(0, 1, 5)[:, None, None] * np.ones((5, 8, 2))
    d = neighbour_distances(cc, np.array([True, False]))
    assert np.allclose(d, 0.25)


def test_synth_length_cutoff_and_mr_stft():
    bright, dark = _clip(0.9), _clip(0.2)
    audio = render_clip(bright, GRID)
    assert len(audio) == round(2.0 * SAMPLE_RATE)  # one bar of 4/4 at 120 BPM
    assert 0.01 < np.abs(audio).max() <= 0.9

    def centroid(x: np.ndarray) -> float:
        spec = np.abs(np.fft.rfft(x))
        freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
        return float((spec * freqs).sum() / spec.sum())

    assert centroid(render_clip(dark, GRID)) < 0.5 * centroid(audio)
    assert mr_stft_distance(audio, audio) == 0.0
    near = mr_stft_distance(audio, render_clip(_clip(0.85), GRID))
    far = mr_stft_distance(audio, render_clip(dark, GRID))
    assert 0 < near < far
    assert len(render_clip(bright, GRID, sample_rate=8000)) == 16000
    faster = render_clip(_clip(0.9, bpm=240.0), GRID)
    assert len(faster) == SAMPLE_RATE


def test_comb_matches_the_difference_equation():
    x = np.random.default_rng(0).standard_normal(3000)
    a = np.zeros(101)
    a[0], a[-1] = 1.0, -0.6
    b = np.zeros(101)
    b[-1] = 1.0
    assert np.allclose(_comb(x, 100, 0.6), lfilter(b, a, x))


def test_pca_and_tsne_separate_clusters_deterministically():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 20)) * 6
    x = np.concatenate([c + rng.standard_normal((20, 20)) for c in centres])
    labels = np.repeat([0, 1, 2], 20)
    for y in (pca_2d(x)[0], tsne_2d(x, iterations=400)):
        d = ((y[:, None] - y[None]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        neighbours = d.argsort(axis=1)[:, :5]
        assert (labels[neighbours] == labels[:, None]).mean() > 0.95
    assert np.array_equal(tsne_2d(x, iterations=100), tsne_2d(x, iterations=100))
    line = np.outer(np.arange(10.0), np.ones(5))
    coords, explained = pca_2d(line)
    assert explained[0] == pytest.approx(1.0) and np.allclose(coords[:, 1], 0)
    with pytest.raises(Exception, match="projection"):
        project(x, "umap")


def test_layout_places_kinds_side_by_side_and_auditions_clips():
    items = [MapItem(np.array([float(i), 0.0, 1.0]), f"c{i}") for i in range(4)]
    items += [MapItem(np.array([float(i), 1.0]), f"p{i}", kind="sysex:x") for i in range(3)]
    xy = layout(items)
    assert xy.shape == (7, 2)
    assert xy[:4, 0].max() <= 1.0 + 1e-9 and xy[4:, 0].min() >= 1.5 - 1e-9
    audition = clip_audition(_clip(0.5), GRID)
    assert set(audition.curves) == {"CC1 cutoff", "CC2 resonance"}
    assert audition.sample_rate == SAMPLE_RATE and len(audition.samples) > 0


def test_result_tables_hold_the_measured_numbers():
    ev = Evaluation(clips=4, ccme=0.05, ccme_baseline=0.16, note_precision=0.9,
                    note_recall=0.8, note_f1=0.847, kl=300.0, recon=1.5, mrstft=2.0,
                    mrstft_clips=4)
    row = ResultRow.from_evaluation(256, ev, epochs=10, epoch_seconds=1.5, train_seconds=20.0,
                                    parameters=1000)
    data = json.loads(results_json([row]))["quantitative"]["256"]
    assert data["ccme"] == 0.05 and data["note_f1"] == 0.847
    assert "| 256 | 0.0500 | 0.1600 |" in results_markdown([row])
    assert "256 & 0.0500 & 0.1600" in results_latex([row])
    assert ev.ccme_improvement == pytest.approx(1 - 0.05 / 0.16)
