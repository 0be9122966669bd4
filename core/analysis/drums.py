"""Drum transcription: every drum hit with time, instrument, velocity and confidence.

Two backends read the same log-mel frames (:mod:`core.analysis.drum_model.features`):

* ``"model"`` (default): the trained convolutional net shipped in
  ``resources/models/drums-v1.safetensors`` (:mod:`core.analysis.drum_model`); it reports all
  13 instruments of :data:`core.vocabulary.DRUM_INSTRUMENTS`, simultaneous hits included;
* ``"classic"``: the band-energy rule of :mod:`core.analysis.drum_classic`, the baseline
  (kick / snare / closed hi-hat only, one instrument per onset).

If the model's weights are missing or fail their checksum, the model backend falls back to the
classic baseline; the result's ``backend`` then says so and ``fallback_reason`` gives the
error's message (what failed and what to do).

:class:`DrumTranscriber` works block by block, for the analysis pipeline's single streaming
pass; :func:`transcribe_drums` is the one-call form for arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.analysis.drum_classic import CLASSIC_NAME, CLASSIC_VERSION, ClassicDrumStream
from core.analysis.drum_model.features import FeatureStream
from core.errors import InvalidParameter, ModelUnavailable
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.results import Backend, DrumHit

_BACKENDS = ("model", "classic")
_DEVICES = ("auto", "cpu", "cuda", "mps")
MODEL_BACKEND_NAME = "breakroom drum CNN"


@dataclass(frozen=True)
class DrumOptions:
    """Options of drum transcription.

    ``backend``: ``"model"`` (trained net, falls back to the baseline if unusable) or
    ``"classic"`` (the baseline). ``device``: where the net runs, ``"auto"`` (cuda > mps > cpu),
    ``"cpu"``, ``"cuda"`` or ``"mps"``. ``threshold_scale``: multiplies the model's per-class
    peak thresholds (0.2–5; above 1 reports fewer, surer hits). ``weights``: a weights file
    other than the shipped one (its ``.sha256`` file must sit beside it). ``views``: how many
    ways the net hears each chunk (1, or 3: also one mel band up and down, averaged — three
    times the net's work; it helped the first shipped weights on drums alone, and does not help
    the current ones, so 1 is the default).
    """

    backend: str = "model"
    device: str = "auto"
    threshold_scale: float = 1.0
    weights: str | None = None
    views: int = 1

    def __post_init__(self) -> None:
        if self.backend not in _BACKENDS:
            raise InvalidParameter(f"drum backend must be one of {_BACKENDS}, got {self.backend!r}")
        if self.device not in _DEVICES:
            raise InvalidParameter(f"drum device must be one of {_DEVICES}, got {self.device!r}")
        if self.views not in (1, 3):
            raise InvalidParameter(f"drum views must be 1 or 3, got {self.views!r}")
        if not 0.2 <= float(self.threshold_scale) <= 5.0:
            raise InvalidParameter(
                f"drum threshold_scale must be within 0.2–5, got {self.threshold_scale}")


@dataclass(frozen=True)
class DrumTranscription:
    """Result of drum transcription.

    ``hits`` sorted by time; ``backend`` names what ran (``"breakroom drum CNN"`` or the
    classic baseline, with ``"(fallback: model unavailable)"`` appended when the model could
    not be used); ``device`` is where it ran (``"cpu"``, ``"cuda"``, ``"mps"``);
    ``fallback_reason`` is the model's error message when the baseline stood in, else ``None``.
    """

    hits: tuple[DrumHit, ...]
    backend: str
    version: str
    device: str
    fallback_reason: str | None = None

    def as_backend(self) -> Backend:
        """The :class:`core.results.Backend` record for the ``"drums"`` part."""
        return Backend("drums", self.backend, self.version, self.device)


class DrumTranscriber:
    """Transcribe drums from consecutive blocks of audio.

    Parameters
    ----------
    sample_rate : int
        Rate (Hz) of the blocks; resampled to 44.1 kHz internally if different.
    options : DrumOptions or None
        Backend, device, threshold scale, weights file.
    model : LoadedModel or None
        An already loaded model (shared between transcribers); overrides ``options.weights``.

    Attributes
    ----------
    backend_name, version, device : str
        What runs (known right after construction, before any audio).
    fallback_reason : str or None
        Why the model backend fell back to the baseline (the ``ModelUnavailable`` message).

    Raises
    ------
    InvalidParameter
        ``sample_rate`` is not positive, or the requested device is not available.
    """

    def __init__(self, sample_rate: int, *, options: DrumOptions | None = None,
                 model: object | None = None) -> None:
        if int(sample_rate) <= 0:
            raise InvalidParameter(f"sample_rate must be positive, got {sample_rate}")
        self.options = options = options or DrumOptions()
        self._features = FeatureStream(int(sample_rate))
        self.fallback_reason: str | None = None
        self._stream: object
        if options.backend == "model":
            try:
                self._start_model(options, model)
                return
            except ModelUnavailable as exc:
                self.fallback_reason = str(exc)
        self._stream = ClassicDrumStream()
        suffix = " (fallback: model unavailable)" if self.fallback_reason else ""
        self.backend_name = CLASSIC_NAME + suffix
        self.version = CLASSIC_VERSION
        self.device = "cpu"

    def _start_model(self, options: DrumOptions, model: object | None) -> None:
        from core.analysis.drum_model.inference import DrumActivationStream
        from core.analysis.drum_model.weights import LoadedModel, load_model

        loaded = model if isinstance(model, LoadedModel) else load_model(
            options.weights, device=options.device)
        views = options.views
        self._stream = DrumActivationStream(loaded, threshold_scale=options.threshold_scale,
                                            views=views)
        self.backend_name = MODEL_BACKEND_NAME
        self.version = (f"v{loaded.metadata.version} ({loaded.sha256[:12]})"
                        + (f", {views} views" if views > 1 else ""))
        self.device = loaded.device

    @property
    def stream(self) -> object:
        """The backend stream (``DrumActivationStream`` or ``ClassicDrumStream``)."""
        return self._stream

    def feed(self, samples: np.ndarray) -> None:
        """Add the next block: ``[channels, frames]`` (or 1-D mono) float samples."""
        samples = np.asarray(samples, dtype=np.float32)
        mono = samples if samples.ndim == 1 else samples.mean(axis=0)
        frames = self._features.feed(mono)
        if len(frames):
            self._stream.feed(frames)  # type: ignore[attr-defined]

    def finish(self) -> DrumTranscription:
        """Flush the last frames and return the transcription."""
        frames = self._features.finish()
        if len(frames):
            self._stream.feed(frames)  # type: ignore[attr-defined]
        hits = tuple(self._stream.finish())  # type: ignore[attr-defined]
        return DrumTranscription(hits, self.backend_name, self.version, self.device,
                                 self.fallback_reason)


def transcribe_drums(samples: np.ndarray, sample_rate: int, *,
                     options: DrumOptions | None = None,
                     progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None,
                     block_seconds: float = 10.0) -> DrumTranscription:
    """Transcribe the drums of a whole signal.

    Parameters
    ----------
    samples : ndarray
        ``[channels, frames]`` or 1-D float samples at full scale ±1.
    sample_rate : int
        Hz.
    options : DrumOptions or None
        Backend, device, threshold scale, weights.
    progress, cancel
        Reported / checked between blocks of ``block_seconds`` seconds.

    Returns
    -------
    DrumTranscription

    Raises
    ------
    InvalidParameter
        Bad sample rate or device; :class:`core.errors.Cancelled` when cancelled.
    """
    samples = np.asarray(samples, dtype=np.float32)
    transcriber = DrumTranscriber(sample_rate, options=options)
    n = samples.shape[-1]
    step = max(1, int(block_seconds * sample_rate))
    for start in range(0, n, step):
        check_cancel(cancel)
        transcriber.feed(samples[..., start:start + step])
        report(progress, start / max(n, 1), "drums")
    check_cancel(cancel)
    result = transcriber.finish()
    report(progress, 1.0, "drums")
    return result
