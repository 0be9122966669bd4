"""The numpy mel filterbank equals librosa's for the parameters Breakroom uses."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from core.analysis.mel import hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz


@pytest.mark.parametrize("htk", [False, True])
def test_scale_round_trips_and_matches_librosa(htk: bool) -> None:
    hz = np.array([0.0, 50.0, 440.0, 999.0, 1000.0, 1001.0, 8000.0, 20000.0])
    assert np.allclose(mel_to_hz(hz_to_mel(hz, htk=htk), htk=htk), hz, atol=1e-6)
    assert np.allclose(hz_to_mel(hz, htk=htk), librosa.hz_to_mel(hz, htk=htk), atol=1e-9)
    assert np.allclose(mel_frequencies(40, 27.5, 11000.0, htk=htk),
                       librosa.mel_frequencies(40, fmin=27.5, fmax=11000.0, htk=htk))


@pytest.mark.parametrize(("sr", "n_fft", "n_mels", "fmin", "fmax", "norm"), [
    (22050, 1024, 40, 27.5, 11000.0, "slaney"),
    (44100, 2048, 96, 20.0, 16000.0, None),
    (16000, 512, 64, 0.0, 8000.0, "slaney"),
])
def test_filterbank_matches_librosa(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float,
                                    norm: str | None) -> None:
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax, norm=norm)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, norm=norm)
    assert ours.shape == ref.shape and ours.dtype == np.float32
    assert np.allclose(ours, ref, rtol=1e-5, atol=1e-7)
