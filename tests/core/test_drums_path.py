"""The drum transcription path with a tiny random-initialised model of the real architecture.

Covers features (streaming = one call, against librosa), weights (save → checksum → load),
device choice, the streaming activation stream, peak picking, and the fallback to the classic
baseline when the weights are missing or fail their checksum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.analysis.drum_model.features import (
    FRAME_RATE,
    HOP,
    N_BANDS,
    N_FFT,
    OFFSET_DB,
    SCALE_DB,
    FeatureStream,
    compute_features,
    mel_filterbank,
)
from core.analysis.drum_model.inference import PeakPicker, velocity_from_level
from core.analysis.drum_model.model import DrumNet, ModelConfig, parameter_count
from core.analysis.drum_model.weights import (
    ModelMetadata,
    load_model,
    resolve_device,
    save_model,
)
from core.analysis.drums import (
    MODEL_BACKEND_NAME,
    DrumOptions,
    DrumTranscriber,
    transcribe_drums,
)
from core.errors import Cancelled, InvalidParameter, ModelUnavailable
from core.jobs import CancelToken
from core.results import DrumHit
from core.vocabulary import DRUM_INSTRUMENTS

RATE = 44100
TINY = ModelConfig(channels=(4, 4, 4), hidden=8, dropout=0.0)


def noise_bursts(seconds: float = 6.0, seed: int = 0) -> np.ndarray:
    """Stereo decaying noise bursts every 0.25 s over a quiet noise floor."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = rng.standard_normal(n) * 1e-3
    env = np.exp(-np.arange(int(0.08 * RATE)) / (0.015 * RATE))
    for start in np.arange(0.1, seconds - 0.2, 0.25):
        k = int(start * RATE)
        x[k:k + len(env)] += 0.5 * env * rng.standard_normal(len(env))
    return np.stack([x, 0.8 * x]).astype(np.float32)


def tiny_metadata() -> ModelMetadata:
    bands = ((30.0, 150.0),) * 11 + ((2000.0, 16000.0),) * 2
    return ModelMetadata(model=TINY, thresholds=(0.5,) * 13, velocity_bands=bands,
                         velocity_map=((1 / 34, 2.1),) * 13, time_offset=0.0)


@pytest.fixture()
def tiny_weights(tmp_path: Path) -> Path:
    torch.manual_seed(1)
    net = DrumNet(TINY)
    with torch.no_grad():  # a bias near the threshold so that the random net fires sometimes
        net.head.bias.fill_(0.0)
    path = tmp_path / "tiny.safetensors"
    save_model(net, tiny_metadata(), path)
    return path


# ------------------------------------------------------------------------------- features


def test_features_match_librosa_reference() -> None:
    import librosa

    x = noise_bursts(2.0)[0]
    ours = compute_features(x, RATE)
    window = np.hanning(N_FFT + 1)[:-1]
    spec = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window=window,
                               pad_mode="constant")) ** 2 * (2 / window.sum()) ** 2
    mel = librosa.filters.mel(sr=RATE, n_fft=N_FFT, n_mels=N_BANDS, fmin=20, fmax=16000,
                              norm=None)
    reference = (10 * np.log10(np.maximum(mel @ spec, 1e-10)).T - OFFSET_DB) / SCALE_DB
    assert np.allclose(mel, mel_filterbank(), atol=1e-6)
    assert ours.shape == (len(x) // HOP + 1, N_BANDS)
    assert np.max(np.abs(ours - reference)) < 1e-4


@pytest.mark.parametrize("sizes", [(1,), (100, 5000), (441, 882, 13), (44100,)])
def test_feature_stream_is_independent_of_block_sizes(sizes: tuple[int, ...]) -> None:
    x = noise_bursts(2.0)[0]
    whole = compute_features(x, RATE)
    stream, parts, start, k = FeatureStream(RATE), [], 0, 0
    while start < len(x):
        step = sizes[k % len(sizes)]
        parts.append(stream.feed(x[start:start + step]))
        start, k = start + step, k + 1
    parts.append(stream.finish())
    assert np.allclose(np.concatenate(parts), whole, atol=1e-5)  # BLAS rounding only


def test_feature_stream_resamples_other_rates() -> None:
    x48 = np.random.default_rng(0).standard_normal(48000).astype(np.float32) * 0.1
    frames = compute_features(x48, 48000)
    assert abs(len(frames) - FRAME_RATE) <= 1


def test_full_scale_sine_reads_about_zero_db() -> None:
    t = np.arange(RATE) / RATE
    frames = compute_features(np.sin(2 * np.pi * 1000 * t).astype(np.float32), RATE)
    assert abs(frames[50].max() * SCALE_DB + OFFSET_DB) < 3.0


# -------------------------------------------------------------------------- model, weights


def test_model_keeps_frame_count_minus_context() -> None:
    net = DrumNet(TINY).eval()
    with torch.inference_mode():
        out = net(torch.zeros(2, 50 + 2 * net.context, N_BANDS))
    assert out.shape == (2, 50, len(DRUM_INSTRUMENTS))
    assert net.context == 10


def test_default_model_is_small() -> None:
    count = parameter_count(DrumNet())
    assert 50_000 < count < 2_500_000  # ≤ 10 MB as float32


def test_save_and_load_round_trip(tiny_weights: Path) -> None:
    loaded = load_model(tiny_weights, device="cpu")
    assert loaded.device == "cpu"
    assert loaded.metadata == tiny_metadata()
    assert tiny_weights.with_suffix(".sha256").read_text().split()[1] == tiny_weights.name


def test_resolve_device() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(InvalidParameter):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidParameter, match="cannot use"):
            resolve_device("cuda")


# ----------------------------------------------------------------------------- transcriber


def test_model_path_end_to_end(tiny_weights: Path) -> None:
    result = transcribe_drums(noise_bursts(), RATE,
                              options=DrumOptions(weights=str(tiny_weights), device="cpu"))
    assert result.backend == MODEL_BACKEND_NAME and result.fallback_reason is None
    assert result.device == "cpu" and result.version.startswith("v1")
    assert result.hits, "the random net with zero head bias should fire"
    assert all(isinstance(h, DrumHit) for h in result.hits)
    assert [h.time for h in result.hits] == sorted(h.time for h in result.hits)
    assert result.as_backend().part == "drums"


@pytest.mark.parametrize("block", [1000, 4410, 77777, 10**7])
def test_streaming_blocks_give_the_same_hits(tiny_weights: Path, block: int) -> None:
    x = noise_bursts()
    options = DrumOptions(weights=str(tiny_weights))
    whole = transcribe_drums(x, RATE, options=options, block_seconds=100.0).hits
    transcriber = DrumTranscriber(RATE, options=options)
    for start in range(0, x.shape[1], block):
        transcriber.feed(x[:, start:start + block])
    hits = transcriber.finish().hits
    assert [h.instrument for h in hits] == [h.instrument for h in whole]
    assert np.allclose([h.time for h in hits], [h.time for h in whole], atol=1 / FRAME_RATE)


def test_checksum_mismatch_falls_back_with_reason(tiny_weights: Path) -> None:
    data = bytearray(tiny_weights.read_bytes())
    data[-1] ^= 0xFF
    tiny_weights.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="checksum"):
        load_model(tiny_weights)
    result = transcribe_drums(noise_bursts(), RATE,
                              options=DrumOptions(weights=str(tiny_weights)))
    assert "fallback" in result.backend and "classic" in result.backend
    assert result.fallback_reason is not None and "checksum" in result.fallback_reason
    assert "drum_model.train" in result.fallback_reason  # says what to do
    assert {h.instrument for h in result.hits} <= {"kick", "snare", "hihat_closed"}


def test_missing_weights_or_checksum_fall_back(tmp_path: Path, tiny_weights: Path) -> None:
    missing = DrumTranscriber(RATE, options=DrumOptions(weights=str(tmp_path / "none.st")))
    assert missing.fallback_reason and "not found" in missing.fallback_reason
    tiny_weights.with_suffix(".sha256").unlink()
    unverified = DrumTranscriber(RATE, options=DrumOptions(weights=str(tiny_weights)))
    assert unverified.fallback_reason and "checksum file" in unverified.fallback_reason


def test_corrupt_file_with_matching_checksum_falls_back(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    from core.analysis.drum_model.weights import sha256_file

    bad.with_suffix(".sha256").write_text(f"{sha256_file(bad)}  bad.safetensors\n")
    with pytest.raises(ModelUnavailable, match="cannot be used"):
        load_model(bad)


def test_classic_backend_on_request() -> None:
    result = transcribe_drums(noise_bursts(), RATE, options=DrumOptions(backend="classic"))
    assert "baseline" in result.backend and result.fallback_reason is None
    assert result.hits


def test_options_are_validated() -> None:
    for bad in ({"backend": "magic"}, {"device": "tpu"}, {"threshold_scale": 0.0}):
        with pytest.raises(InvalidParameter):
            DrumOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter):
        DrumTranscriber(0)


def test_progress_and_cancel(tiny_weights: Path) -> None:
    seen: list[float] = []
    options = DrumOptions(weights=str(tiny_weights))
    transcribe_drums(noise_bursts(), RATE, options=options, block_seconds=1.0,
                     progress=lambda f, _stage: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        transcribe_drums(noise_bursts(), RATE, options=options, cancel=token)


# ---------------------------------------------------------------------------- peak picking


def test_peak_picker_finds_merges_and_scales_velocity() -> None:
    meta = tiny_metadata()
    act = np.zeros((300, 13), np.float32)
    levels = np.full((300, 13), -100.0, np.float32)
    act[[50, 51, 52], 0] = [0.6, 0.9, 0.6]  # one clean peak at frame 51
    act[[100, 102], 0] = [0.7, 0.8]  # two peaks 20 ms apart: one hit (the stronger)
    act[200, 0] = 0.3  # below threshold
    act[51, 4] = 0.7  # a simultaneous hat
    levels[50:54, 0] = -30.0
    levels[100:105, 0] = -10.0
    picker = PeakPicker(meta)
    picker.feed(act[:101], levels[:101])  # split inside the second pair
    picker.feed(act[101:], levels[101:])
    hits = picker.finish()
    kicks = [h for h in hits if h.instrument == "kick"]
    assert [round(h.time, 3) for h in kicks] == [0.51, 1.02]
    assert kicks[0].confidence == pytest.approx(0.9)
    assert kicks[1].velocity > kicks[0].velocity
    assert [h.instrument for h in hits if abs(h.time - 0.51) < 0.01] == ["kick", "hihat_closed"]


def test_velocity_mapping_is_monotonic_and_bounded() -> None:
    values = [velocity_from_level(db, 1 / 34, 2.1) for db in range(-120, 40, 5)]
    assert values == sorted(values)
    assert min(values) >= 1 and max(values) <= 127
