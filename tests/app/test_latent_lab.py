"""The latent-lab page: training with a live loss curve, cancel and resume; loading a model;
the map (PCA / t-SNE, colours, lasso); clicking plays the clip through the playback engine
(offline stream, no sound card) and shows its CC curves; interpolation and MIDI export."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
import yaml

from app.latent import create_latent_page
from app.latent.clip_player import ClipPlayer
from app.latent.map_view import points_in_polygon
from app.latent.page import LatentLabPage
from core.latent.train import train_latent
from core.playback.engine import OfflineStream
from tests.core.test_latent_helpers import TINY, tiny_config, write_examples

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def clips_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lab_clips")
    write_examples(folder, per_style=1, bars=4)
    return folder


@pytest.fixture(scope="module")
def trained_run(clips_dir, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("lab_run")
    train_latent(clips_dir, tiny_config(epochs=20, batch_size=2), run, overwrite=True,
                 mrstft_clips=0)
    return run


@pytest.fixture
def page(qtbot, app_context) -> LatentLabPage:
    lab = LatentLabPage(app_context, player=ClipPlayer(stream_factory=OfflineStream))
    qtbot.addWidget(lab)
    lab.show()
    return lab


def _mapped(qtbot, page, trained_run, clips_dir) -> None:
    page.run_edit.setText(str(trained_run))
    page.load_button.click()
    qtbot.waitUntil(lambda: page.lab.model is not None, timeout=TIMEOUT_MS)
    page.data_edit.setText(str(clips_dir))
    page.map_button.click()
    qtbot.waitUntil(lambda: len(page.lab.items) == 6, timeout=TIMEOUT_MS)


def test_window_tab_is_the_lab(qtbot, app_context):
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    assert isinstance(create_latent_page(app_context, parent), LatentLabPage)


def test_train_shows_a_live_loss_curve_and_loads_the_model(qtbot, page, clips_dir, tmp_path):
    config = tmp_path / "tiny.yaml"
    tiny = dict(TINY, train=dict(TINY["train"], epochs=3))
    config.write_text(yaml.safe_dump(tiny))
    epochs = []
    page.lab.history_changed.connect(lambda: epochs.append(len(page.lab.history)))
    page.controller.train(str(clips_dir), str(tmp_path / "run"), config=str(config))
    assert not page.train_button.isEnabled() and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: page.lab.model is not None, timeout=TIMEOUT_MS)
    assert [h["epoch"] for h in page.lab.history] == [1, 2, 3]
    assert 1 in epochs and 2 in epochs  # the curve grew epoch by epoch, live
    xs, ys = page.loss_view.train_curve.getData()
    assert list(xs) == [1, 2, 3] and np.all(np.isfinite(ys))
    assert "latent 32" in page.model_label.text()
    qtbot.waitUntil(lambda: page.train_button.isEnabled(), timeout=TIMEOUT_MS)


def test_cancel_keeps_the_last_epoch_and_resume_finishes(qtbot, page, clips_dir, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(dict(TINY, train=dict(TINY["train"], epochs=40))))
    run = tmp_path / "run"
    page.lab.history_changed.connect(
        lambda: page.controller.cancel_training() if len(page.lab.history) == 1 else None)
    page.controller.train(str(clips_dir), str(run), config=str(config))
    qtbot.waitUntil(lambda: not page.controller.is_busy("train"), timeout=TIMEOUT_MS)
    assert page.lab.model is None
    from core.latent.checkpoint import read_checkpoint

    done = read_checkpoint(run).epoch
    assert 1 <= done < 40
    page.lab.history_changed.disconnect()
    page.lab.history_changed.connect(page.loss_view.redraw)
    page.controller.train(str(clips_dir), str(run), config=str(config), resume=True)
    # Up to 39 epochs: a hang guard long enough for a CPU shared with other jobs.
    qtbot.waitUntil(lambda: page.lab.model is not None, timeout=5 * TIMEOUT_MS)
    assert page.lab.history[-1]["epoch"] == 40 and len(page.lab.history) == 40


def test_map_click_plays_and_shows_curves_lasso_and_tsne(qtbot, page, trained_run, clips_dir):
    _mapped(qtbot, page, trained_run, clips_dir)
    coords = page.lab.coords
    assert coords.shape == (6, 2) and np.ptp(coords[:, 0]) > 0
    assert {it.group for it in page.lab.items} == {"wobble", "idm", "acid"}
    brushes = page.map_view.brushes()
    assert len({b.name() for b in brushes}) == 3  # one colour per tag
    page.map_view.colour_by("tempo")
    tempo_colours = page.map_view.brushes()
    wobble = next(i for i, it in enumerate(page.lab.items) if it.group == "wobble")
    idm = next(i for i, it in enumerate(page.lab.items) if it.group == "idm")
    assert tempo_colours[idm].redF() > tempo_colours[wobble].redF()  # faster = redder

    page.map_view.itemClicked.emit(0)
    player = page.controller.player
    qtbot.waitUntil(lambda: player.last_file is not None, timeout=TIMEOUT_MS)
    assert page.cc_view.names and page.cc_view.names[0].startswith("CC1")
    assert player.engine.is_playing()
    block = player.engine.stream.pull(48000)
    assert float(np.abs(block).max()) > 0.01  # the render really plays
    assert page.lab.items[0].label in page.clip_label.text()

    box = np.array([[-10.0, -10.0], [10.0, -10.0], [10.0, 10.0], [-10.0, 10.0]])
    page.map_view.select_polygon(box)
    assert page.lab.selection == set(range(6))
    page.map_view.select_polygon(np.array([[100.0, 100.0], [101.0, 100.0], [101.0, 101.0]]))
    assert page.lab.selection == set()

    before = page.lab.coords.copy()
    page.method_combo.setCurrentIndex(1)  # t-SNE
    qtbot.waitUntil(lambda: not np.allclose(page.lab.coords, before), timeout=TIMEOUT_MS)


def test_interpolate_two_clicked_clips_and_export_midi(qtbot, page, trained_run, clips_dir,
                                                       tmp_path):
    _mapped(qtbot, page, trained_run, clips_dir)
    page.click_item(0)
    page.click_item(5)
    assert page.lab.pair == [0, 5]
    assert page.lab.items[5].label in page.pair_label.text()
    page.steps_spin.setValue(5)
    page.interpolate_button.click()
    qtbot.waitUntil(lambda: len(page.lab.interpolation) == 5, timeout=TIMEOUT_MS)
    assert page.steps_list.count() == 5
    page.export_edit.setText(str(tmp_path / "out"))
    written = []
    page.controller.exported.connect(written.extend)
    qtbot.waitUntil(lambda: not page.controller.is_busy("audition"), timeout=TIMEOUT_MS)
    page.export_button.click()
    assert not page.export_button.isEnabled()  # off while its job runs
    qtbot.waitUntil(lambda: len(written) == 5, timeout=TIMEOUT_MS)
    midi = mido.MidiFile(written[2])
    kinds = {m.type for track in midi.tracks for m in track}
    assert "control_change" in kinds and midi.ticks_per_beat == 480
    # the job ends just after it reports its files: the button comes back then
    qtbot.waitUntil(page.export_button.isEnabled, timeout=TIMEOUT_MS)
    page.export_button.click()  # again: new names, nothing overwritten
    qtbot.waitUntil(lambda: len(written) == 10, timeout=TIMEOUT_MS)
    assert len({str(p) for p in written}) == 10


def test_errors_go_to_the_notifier(qtbot, page, tmp_path, app_context):
    page.run_edit.setText(str(tmp_path / "nothing"))
    page.load_button.click()
    qtbot.waitUntil(lambda: app_context.notifier.last_error is not None, timeout=TIMEOUT_MS)
    assert "checkpoint not found" in app_context.notifier.last_error.message
    page.controller.interpolate()
    assert "train or load" in app_context.notifier.last_error.message or \
        "click two clips" in app_context.notifier.last_error.message


def test_points_in_polygon():
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]], dtype=float)
    pts = np.array([[1, 1], [3, 1], [1.9, 0.1], [-0.1, 1]])
    assert points_in_polygon(pts, square).tolist() == [True, False, True, False]


def test_add_loops_puts_a_tracks_best_loops_on_the_map(qtbot, page, tmp_path):
    import soundfile as sf

    from core.devset import ClipSpec, render_clip

    clip = render_clip(ClipSpec(style="house", bpm=124.0, bars=10, kit="synth:2", seed=4,
                                mix="drums"))
    track = tmp_path / "groove.wav"
    sf.write(track, clip.samples.T, clip.sample_rate, subtype="PCM_16")
    page.controller.add_loops([str(track)])
    qtbot.waitUntil(lambda: len(page.lab.items) == 3, timeout=TIMEOUT_MS)
    assert {item.kind for item in page.lab.items} == {"loop"}
    assert all(item.group == "groove.wav" for item in page.lab.items)
    # Laid out on the map: three distinct points.
    qtbot.waitUntil(lambda: len({tuple(np.round(c, 6)) for c in page.lab.coords}) == 3,
                    timeout=TIMEOUT_MS)
