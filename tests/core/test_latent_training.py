"""The β-VAE and its training: shapes, learning (a tiny model overfits a few clips far below
the baseline), seeded determinism, bit-identical resume, cancel, and bad checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import Cancelled, OutputExists
from core.jobs import CancelToken
from core.latent.checkpoint import read_checkpoint
from core.latent.clip import GridSpec
from core.latent.dataset import load_dataset
from core.latent.errors import CheckpointError
from core.latent.evaluate import interpolation_smoothness
from core.latent.inference import LatentModel, build_net
from core.latent.metrics import baseline_error, note_scores
from core.latent.midi_io import clip_midi_bytes
from core.latent.train import split_by_file, train_latent
from tests.core.test_latent_helpers import tiny_config, write_examples


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    write_examples(folder, per_style=1, bars=4)  # 3 files × 2 clips of 2 bars
    return load_dataset(folder, tiny_config().grid)


@pytest.fixture(scope="module")
def overfit(dataset, tmp_path_factory):
    """A tiny model trained 60 epochs on 4 clips."""
    from core.latent.dataset import LatentDataset

    four = LatentDataset(dataset.grid, dataset.clips[:4], dataset.report)
    run = tmp_path_factory.mktemp("overfit")
    result = train_latent(four, tiny_config(epochs=150, batch_size=2), run, mrstft_clips=2)
    return four, result


def test_encode_decode_shapes():
    config = tiny_config()
    net = build_net(config)
    b, t = 3, config.grid.steps
    on = torch.zeros(b, t, 128, dtype=torch.bool)
    cc = torch.rand(b, t, config.grid.n_cc)
    present = torch.ones(b, config.grid.n_cc, dtype=torch.bool)
    mu, logvar = net.encode(net.step_features(on, on, cc, present))
    assert mu.shape == logvar.shape == (b, 32)
    onset, active, cc_out = net.decode(mu)
    assert onset.shape == active.shape == (b, t, 129) and cc_out.shape == (b, t, 10)
    assert float(cc_out.detach().min()) >= 0 and float(cc_out.detach().max()) <= 1


def test_tiny_model_overfits_four_clips_far_below_the_baseline(overfit):
    four, result = overfit
    ev = result.evaluation  # measured on the training clips (no held-out files)
    assert ev.clips == 4
    assert ev.ccme < 0.5 * ev.ccme_baseline
    assert ev.note_f1 > 0.8
    history = result.history
    assert history[-1]["train_recon"] < 0.5 * history[0]["train_recon"]
    model = LatentModel.load(result.checkpoint, device="cpu")
    rec = model.reconstruct(list(four.clips))
    arrays = four.arrays()
    assert note_scores(rec.arrays.onsets, arrays.onsets).f1 == pytest.approx(ev.note_f1)
    assert baseline_error(model.baseline, arrays.cc, arrays.cc_present) == pytest.approx(
        ev.ccme_baseline, rel=1e-5)


def test_decoded_clips_export_and_interpolate(overfit):
    four, result = overfit
    model = LatentModel.load(result.checkpoint, device="cpu")
    a, b = four.clips[0], four.clips[2]
    path, z = model.interpolate(a, b, 6)
    assert len(path) == 6 and z.shape == (6, 32)
    mu, _ = model.encode([a, b])
    assert np.allclose(z[0], mu[0], atol=1e-5) and np.allclose(z[-1], mu[1], atol=1e-5)
    smooth = interpolation_smoothness(path)
    assert smooth.max < smooth.ends  # no single step jumps as far as end to end
    midi = clip_midi_bytes(path[3], model.grid)
    assert midi[:4] == b"MThd"
    samples = model.sample(3, seed=1)
    again = model.sample(3, seed=1)
    assert all(np.array_equal(x.cc, y.cc) for x, y in zip(samples, again, strict=True))


def test_same_seed_same_weights_and_resume_is_bit_identical(dataset, tmp_path):
    config = tiny_config(epochs=3)
    straight = train_latent(dataset, config, tmp_path / "a", mrstft_clips=0)
    again = train_latent(dataset, config, tmp_path / "b", mrstft_clips=0)
    wa = read_checkpoint(straight.checkpoint).model_state
    wb = read_checkpoint(again.checkpoint).model_state
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    # interrupted after epoch 1, resumed to epoch 3
    cancel = CancelToken()
    with pytest.raises(Cancelled):
        train_latent(dataset, config, tmp_path / "d",
                     on_epoch=lambda r: cancel.cancel() if r.epoch == 1 else None, cancel=cancel)
    assert read_checkpoint(tmp_path / "d").epoch == 1
    resumed = train_latent(dataset, config, tmp_path / "d", resume=True, mrstft_clips=0)
    assert resumed.resumed_from == 1 and resumed.epochs_run == 2
    wd = read_checkpoint(resumed.checkpoint).model_state
    assert all(torch.equal(wa[k], wd[k]) for k in wa)
    assert [h["train_loss"] for h in resumed.history] == [
        h["train_loss"] for h in straight.history]
    torch_state = torch.get_rng_state()
    train_latent(dataset, tiny_config(epochs=1), tmp_path / "e", mrstft_clips=0)
    assert torch.equal(torch.get_rng_state(), torch_state)  # the caller's RNG is untouched


def test_existing_run_is_not_overwritten_and_other_config_is_refused(dataset, tmp_path):
    config = tiny_config(epochs=1)
    train_latent(dataset, config, tmp_path, mrstft_clips=0)
    with pytest.raises(OutputExists):
        train_latent(dataset, config, tmp_path, mrstft_clips=0)
    other = tiny_config(epochs=1).with_latent_dim(64)
    with pytest.raises(CheckpointError) as info:
        train_latent(dataset, other, tmp_path, resume=True)
    assert "checkpoint.safetensors" in str(info.value)
    assert "model.latent_dim 32 vs 64" in str(info.value)
    assert train_latent(dataset, config, tmp_path, overwrite=True, mrstft_clips=0).epochs_run == 1


@pytest.mark.parametrize("content", [b"", b"garbage" * 10, b"\x08\x00\x00\x00\x00\x00\x00\x00{}"])
def test_damaged_or_foreign_checkpoints_are_refused_by_name(tmp_path, content):
    path = tmp_path / "checkpoint.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        LatentModel.load(path, device="cpu")
    assert str(path) in str(info.value)
    with pytest.raises(CheckpointError, match="not found"):
        LatentModel.load(tmp_path / "nothing.safetensors")


def test_truncated_checkpoint_is_refused(dataset, tmp_path):
    result = train_latent(dataset, tiny_config(epochs=1), tmp_path / "run", mrstft_clips=0)
    blob = result.checkpoint.read_bytes()
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        LatentModel.load(bad, device="cpu")


def test_split_by_file_holds_out_whole_files():
    files = [f"f{k // 2}" for k in range(20)]
    held = split_by_file(files, 0.2, seed=1)
    assert len(held) == 2 and held == split_by_file(files, 0.2, seed=1)
    assert split_by_file(["one", "one"], 0.5, seed=1) == set()


def test_config_rejects_a_latent_size_that_does_not_tile_the_tokens():
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="latent_dim"):
        tiny_config().from_dict({"data": {"steps_per_beat": 4, "bars": 2},
                                 "model": {"latent_dim": 30, "patch_steps": 4}})
    assert GridSpec().steps == 256
