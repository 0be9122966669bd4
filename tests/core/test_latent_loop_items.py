"""Analysed loops as latent-map items: best loops of real (generated) tracks, with audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.devset import ClipSpec, render_clip
from core.latent.map_items import loop_items


@pytest.fixture(scope="module")
def tracks(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("loop-items")
    paths = []
    for style, bpm, kit in (("dnb", 174.0, "synth:1"), ("house", 124.0, "synth:2")):
        clip = render_clip(ClipSpec(style=style, bpm=bpm, bars=10, kit=kit, seed=4,
                                    mix="drums"))
        path = folder / f"{style}.wav"
        sf.write(path, clip.samples.T, clip.sample_rate, subtype="PCM_16")
        paths.append(path)
    silent = folder / "silence.wav"
    sf.write(silent, np.zeros((44100 * 4, 2), np.float32), 44100)
    return [*paths, silent]


def test_best_loops_become_items_grouped_by_track(tracks) -> None:
    items, skipped = loop_items([str(p) for p in tracks], bars=2, top=2)
    assert [i.group for i in items] == ["dnb.wav"] * 2 + ["house.wav"] * 2
    assert len(skipped) == 1 and "silence.wav" in skipped[0]
    assert {i.kind for i in items} == {"loop"} and len({i.vector.shape for i in items}) == 1
    assert items[0].tempo == pytest.approx(174, abs=1) and items[2].tempo == pytest.approx(124,
                                                                                          abs=1)
    # Loops of one groove sit closer together than loops of the other.
    v = np.stack([i.vector for i in items])
    within = (np.linalg.norm(v[0] - v[1]) + np.linalg.norm(v[2] - v[3])) / 2
    across = np.mean([np.linalg.norm(v[a] - v[b]) for a in (0, 1) for b in (2, 3)])
    assert within < across
    # Clicking plays the loop itself: two bars of the track, at its rate.
    heard = items[0].audition()
    loop = items[0].payload
    assert heard.sample_rate == 44100
    assert len(heard.samples) == pytest.approx((loop.end - loop.start) * 44100, abs=2)
    assert np.abs(heard.samples).max() > 0.05
