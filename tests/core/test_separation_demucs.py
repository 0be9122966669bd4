"""The Demucs path end to end with tiny random-initialised models of the real architecture:
checkpoint file → load → chunked streaming separation → stem files; against Demucs' own
``apply_model``; cancel; bad weights; bad input."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from core.errors import Cancelled, CoreError, ModelUnavailable, OutputExists
from core.jobs import CancelToken
from core.separation.catalog import ModelInfo, WeightFile
from core.separation.demucs_backend import DemucsSeparator
from core.separation.pipeline import SeparationOptions, separate_file
from core.separation.weights import import_weights, load_checkpoint, load_demucs, sha256_of

STEMS = ("drums", "bass", "other", "vocals")
SEGMENT_S = 1.0


def tiny_htdemucs(seed: int = 0, sources: tuple[str, ...] = STEMS):
    """A random HTDemucs with the real code path (STFT branch, time branch, transformer)."""
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(seed)
    kwargs = {"sources": list(sources), "channels": 4, "depth": 4, "nfft": 4096,
              "t_layers": 1, "t_heads": 2, "segment": SEGMENT_S, "dconv_comp": 4}
    return HTDemucs(**kwargs).eval(), kwargs


def save_checkpoint(folder: Path, seed: int = 0, sources: tuple[str, ...] = STEMS) -> Path:
    """Write a checkpoint in the ``demucs`` package format, named like a published one."""
    from demucs.htdemucs import HTDemucs

    model, kwargs = tiny_htdemucs(seed, sources)
    tmp = folder / "tiny.th"
    torch.save({"klass": HTDemucs, "args": (), "kwargs": kwargs,
                "state": model.state_dict()}, tmp)
    final = folder / f"tiny{seed}-{sha256_of(tmp)[:8]}.th"
    tmp.rename(final)
    return final


def _track(path: Path, seconds: float, rate: int = 44100, channels: int = 2) -> Path:
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 110 * t) + 0.05 * rng.standard_normal(len(t))
    x *= (1 + np.sin(2 * np.pi * 2 * t)) / 2
    data = np.stack([x * (0.8 + 0.2 * c) for c in range(channels)], axis=1)
    sf.write(path, data, rate, subtype="PCM_24")
    return path


def _separator(seed: int = 0) -> DemucsSeparator:
    model, _ = tiny_htdemucs(seed)
    return DemucsSeparator(model, "cpu", "tiny")


def test_checkpoint_loads_through_the_verified_path(tmp_path):
    path = save_checkpoint(tmp_path)
    info = ModelInfo("tiny", "test", STEMS, (WeightFile(path.name, "file://" + str(path)),))
    model = load_demucs("tiny", tmp_path, info=info)
    assert tuple(model.sources) == STEMS
    reference, _ = tiny_htdemucs(0)
    x = torch.randn(1, 2, 22050)
    with torch.inference_mode():
        assert torch.allclose(model(x), reference(x), atol=1e-6)


def test_chunked_streaming_matches_demucs_own_apply_model(tmp_path):
    """Several chunks, a short last one padded with context: Breakroom's streaming
    overlap-add reproduces ``demucs.apply.apply_model(split=True, overlap=0.25)``."""
    from demucs.apply import apply_model

    track = _track(tmp_path / "song.wav", 2.7)
    sep = _separator()
    result = separate_file(track, SeparationOptions(out_dir=str(tmp_path / "stems"),
                                                    format="wav"), separator=sep)
    x, _ = sf.read(track, always_2d=True, dtype="float32")
    mix = torch.from_numpy(x.T.copy())
    mono = mix.mean(0)
    mean, std = float(mono.mean()), float(mono.std(unbiased=False))
    model, _ = tiny_htdemucs(0)
    with torch.inference_mode():
        ref = apply_model(model, ((mix - mean) / std)[None], shifts=0, split=True,
                          overlap=0.25, progress=False)[0] * std + mean
    for k, stem in enumerate(STEMS):
        got, rate = sf.read(result.stems[stem], always_2d=True)
        assert rate == 44100 and got.shape == (x.shape[0], 2)
        assert np.allclose(got.T, np.clip(ref[k].numpy(), -1, 1), atol=2e-4), stem


def test_short_input_in_one_chunk_equals_the_unchunked_model(tmp_path):
    """Shorter than one segment: one chunk, padded around its centre exactly as Demucs pads
    an unsplit input (``apply_model(split=False)``)."""
    from demucs.apply import apply_model

    track = _track(tmp_path / "short.wav", 0.7)
    result = separate_file(track, SeparationOptions(out_dir=str(tmp_path), format="wav"),
                           separator=_separator())
    x, _ = sf.read(track, always_2d=True, dtype="float32")
    mix = torch.from_numpy(x.T.copy())
    mean, std = float(mix.mean(0).mean()), float(mix.mean(0).std(unbiased=False))
    model, _ = tiny_htdemucs(0)
    with torch.inference_mode():
        ref = apply_model(model, ((mix - mean) / std)[None], shifts=0, split=False,
                          progress=False)[0] * std + mean
    got, _ = sf.read(result.stems["bass"], always_2d=True)
    assert np.allclose(got.T, np.clip(ref[1].numpy(), -1, 1), atol=2e-4)


def test_stems_are_reused_when_nothing_changed_and_never_overwritten(tmp_path):
    track = _track(tmp_path / "tune.wav", 1.5)
    opts = SeparationOptions(out_dir=str(tmp_path / "s"), stems=("drums", "bass"))
    first = separate_file(track, opts, separator=_separator())
    assert sorted(first.stems) == ["bass", "drums"] and not first.reused
    assert first.stems["drums"].name == "tune.drums.flac"
    again = separate_file(track, opts, separator=_separator())
    assert again.reused and again.stems == first.stems
    other = SeparationOptions(out_dir=str(tmp_path / "s"), stems=("drums",), format="flac",
                              half=False)
    with pytest.raises(OutputExists):
        separate_file(track, other, separator=_separator())


def test_cancel_stops_within_a_chunk_and_leaves_nothing(tmp_path):
    track = _track(tmp_path / "long.wav", 6.0)
    token = CancelToken()
    out = tmp_path / "stems"
    calls = []

    def progress(fraction, stage):
        calls.append(stage)
        if stage.startswith("separating") and not token.cancelled:
            threading.Timer(0.05, token.cancel).start()  # lands inside the next chunk

    with pytest.raises(Cancelled):
        separate_file(track, SeparationOptions(out_dir=str(out)), separator=_separator(),
                      progress=progress, cancel=token)
    assert list(out.iterdir()) == []  # no stem, no partial file


@pytest.mark.parametrize(("rate", "channels", "seconds"), [(8000, 1, 1.0), (96000, 2, 1.5),
                                                           (44100, 6, 1.0), (48000, 1, 1.7)])
def test_odd_inputs_give_stems_at_the_track_rate_and_length(tmp_path, rate, channels, seconds):
    track = _track(tmp_path / "odd.wav", seconds, rate, channels)
    result = separate_file(track, SeparationOptions(out_dir=str(tmp_path / "o"), format="wav"),
                           separator=_separator())
    info = sf.info(str(result.stems["drums"]))
    assert info.samplerate == rate
    assert abs(info.frames - round(seconds * rate)) <= 2
    assert info.channels == (1 if channels == 1 else 2)


def test_missing_corrupt_and_wrong_weights_are_explained(tmp_path):
    missing = ModelInfo("ghost", "test", STEMS, (WeightFile("ghost-12345678.th", "x"),))
    with pytest.raises(ModelUnavailable, match="models download ghost"):
        load_demucs("ghost", tmp_path, info=missing)
    good = save_checkpoint(tmp_path)
    corrupt = tmp_path / good.name.replace("tiny0", "bad")
    corrupt.write_bytes(good.read_bytes()[:1000])
    info = ModelInfo("bad", "t", STEMS, (WeightFile(corrupt.name, "x"),))
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        load_demucs("bad", tmp_path, info=info)
    with pytest.raises(ModelUnavailable, match="not a loadable"):
        load_checkpoint(corrupt)
    six = save_checkpoint(tmp_path, seed=1, sources=(*STEMS, "guitar", "piano"))
    with pytest.raises(ModelUnavailable, match="wrong model"):
        load_checkpoint(six, expected_stems=STEMS)


def test_import_refuses_an_unknown_file(tmp_path):
    stray = tmp_path / "weights.th"
    stray.write_bytes(b"not a model")
    with pytest.raises(CoreError, match="not a known Demucs checkpoint"):
        import_weights(stray, tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


class _RangeServer:
    """A local HTTP server for one file that honours ``Range`` and can cut a response short
    (a dropped connection), to test resumed downloads without the internet."""

    def __init__(self, payload: bytes, cut_first_at: int | None = None) -> None:
        import http.server

        server = self
        self.payload, self.cut, self.requests = payload, cut_first_at, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                server.requests.append(start)
                body = server.payload[start:]
                self.send_response(206 if rng else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut is not None and len(server.requests) == 1:
                    self.wfile.write(body[:server.cut])
                    return  # connection closes early: a truncated download
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def test_download_verifies_and_resumes(tmp_path):
    from core.separation import weights

    source = save_checkpoint(tmp_path)
    payload = source.read_bytes()
    server = _RangeServer(payload, cut_first_at=len(payload) // 3)
    try:
        info = ModelInfo("tiny", "t", STEMS, (WeightFile(source.name, server.url + source.name),))
        cache = tmp_path / "cache"
        fractions = []
        with pytest.raises(ModelUnavailable):  # the first response is cut short
            weights.download("tiny", cache, info=info, progress=lambda f, s: fractions.append(f))
        partial = cache / (source.name + ".partial")
        assert 0 < partial.stat().st_size < len(payload)
        paths = weights.download("tiny", cache, info=info)
        assert server.requests[-1] == len(payload) // 3  # resumed where it stopped
        assert paths[0].read_bytes() == payload and not partial.exists()
        assert load_demucs("tiny", cache, info=info) is not None
    finally:
        server.close()


def test_download_with_a_bad_checksum_keeps_nothing(tmp_path):
    from core.separation import weights

    source = save_checkpoint(tmp_path)
    server = _RangeServer(b"x" * 5000)
    try:
        info = ModelInfo("tiny", "t", STEMS, (WeightFile(source.name, server.url + "w"),))
        with pytest.raises(ModelUnavailable, match="SHA-256"):
            weights.download("tiny", tmp_path / "c", info=info)
        assert list((tmp_path / "c").iterdir()) == []
    finally:
        server.close()


def test_analysis_uses_the_separated_drum_stem_and_says_so(tmp_path):
    """After ``separate`` (default folder), analysis takes beats and drums from the stem."""
    from core.analysis.pipeline import AnalysisOptions, analyze_file

    track = _track(tmp_path / "groove.wav", 3.0)
    model, _ = tiny_htdemucs(0)  # the htdemucs code path, with tiny random weights
    separate_file(track, SeparationOptions(stems=("drums",)),
                  separator=DemucsSeparator(model, "cpu", "htdemucs"))
    analysis = analyze_file(track)
    drums = analysis.backend("drums")
    assert drums is not None and "groove.drums.flac" in drums.name
    plain = analyze_file(track, options=AnalysisOptions(use_drum_stem=False))
    assert "from the mix" in plain.backend("drums").name


def test_a_full_disk_leaves_no_half_written_stem(tmp_path):
    """Writes fail part-way (a file-size limit stands in for a full disk): a clear error, and
    neither stems nor temporary files remain."""
    import subprocess
    import sys

    track = _track(tmp_path / "big.wav", 6.0)
    out = tmp_path / "stems"
    code = f"""
import resource, signal, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from tests.core.test_separation_demucs import _separator
from core.separation.pipeline import SeparationFailed, SeparationOptions, separate_file
sep = _separator()
resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, resource.RLIM_INFINITY))
try:
    separate_file({str(track)!r}, SeparationOptions(out_dir={str(out)!r}, format="wav"),
                  separator=sep)
except SeparationFailed as exc:
    print("FAILED:", exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    assert "FAILED:" in done.stdout and "big.wav" in done.stdout, done.stdout + done.stderr
    assert "disk full" in done.stdout
    assert list(out.iterdir()) == []
