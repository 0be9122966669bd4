"""Value types of the audio layer: decoded buffers, streamed blocks and probe results.

Samples are always ``float32`` with shape ``[channels, frames]`` (channel-major, C-contiguous)
and nominal full scale ±1.0. Arrays held by these types are read-only views so that a buffer can
be shared between threads and caches without defensive copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.errors import InvalidParameter


def _frozen_samples(samples: object, owner: str) -> np.ndarray:
    """Validate ``samples`` and return a read-only, C-contiguous float32 view of it.

    Parameters
    ----------
    samples
        Candidate sample array, expected ``float32`` with shape ``[channels, frames]``.
    owner
        Name of the type being built, used in error messages.

    Raises
    ------
    InvalidParameter
        If ``samples`` is not a 2-D ``float32`` array with at least one channel.
    """
    if not isinstance(samples, np.ndarray):
        raise InvalidParameter(
            f"{owner}.samples must be a numpy array, got {type(samples).__name__}")
    if samples.ndim != 2:
        raise InvalidParameter(
            f"{owner}.samples must be 2-D [channels, frames], got shape {samples.shape}"
        )
    if samples.dtype != np.float32:
        raise InvalidParameter(f"{owner}.samples must be float32, got {samples.dtype}")
    if samples.shape[0] < 1:
        raise InvalidParameter(f"{owner}.samples must have at least one channel, got 0")
    view = np.ascontiguousarray(samples).view()
    view.flags.writeable = False
    return view


def _positive_rate(sample_rate: object, owner: str) -> int:
    """Return ``sample_rate`` as a positive ``int`` (Hz) or raise :class:`InvalidParameter`."""
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)):
        raise InvalidParameter(f"{owner}.sample_rate must be an integer in Hz, got {sample_rate!r}")
    if sample_rate <= 0:
        raise InvalidParameter(f"{owner}.sample_rate must be positive, got {sample_rate} Hz")
    return int(sample_rate)


def _mix_to_mono(samples: np.ndarray) -> np.ndarray:
    """Mean of the channels of a ``[channels, frames]`` array as 1-D float32."""
    if samples.shape[0] == 1:
        return samples[0]
    return samples.mean(axis=0, dtype=np.float32)


class _SampleShape:
    """``channels``, ``frames`` and ``duration`` of a ``samples`` array ``[channels, frames]``
    at ``sample_rate`` Hz."""

    samples: np.ndarray
    sample_rate: int

    @property
    def channels(self) -> int:
        """Number of channels."""
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Number of sample frames (samples per channel)."""
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


@dataclass(frozen=True, eq=False)
class AudioBuffer(_SampleShape):
    """Decoded audio held in memory.

    Equality is identity (comparing sample arrays element-wise is rarely what is meant); compare
    ``samples`` with numpy when needed.

    Attributes
    ----------
    samples
        ``float32`` array ``[channels, frames]``, C-contiguous and read-only.
    sample_rate
        Sample rate in Hz.
    path
        File the audio was decoded from, or ``None`` for generated audio.
    warnings
        Human-readable notes about the content (silence, DC offset, clipping, truncation).

    Raises
    ------
    InvalidParameter
        From the constructor if ``samples`` is not 2-D ``float32`` or ``sample_rate`` is not a
        positive integer.
    """

    samples: np.ndarray
    sample_rate: int
    path: str | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", _frozen_samples(self.samples, "AudioBuffer"))
        object.__setattr__(self, "sample_rate", _positive_rate(self.sample_rate, "AudioBuffer"))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        if self.path is not None:
            object.__setattr__(self, "path", str(self.path))

    def to_mono(self) -> AudioBuffer:
        """Return a one-channel buffer holding the mean of all channels.

        Returns ``self`` when the buffer is already mono. Path and warnings are kept.
        """
        if self.channels == 1:
            return self
        mono = _mix_to_mono(self.samples)[np.newaxis, :]
        return AudioBuffer(mono, self.sample_rate, self.path, self.warnings)

    def mono_samples(self) -> np.ndarray:
        """Return the mean of all channels as a 1-D ``float32`` array of ``frames`` samples."""
        return _mix_to_mono(self.samples)


@dataclass(frozen=True, eq=False)
class AudioBlock(_SampleShape):
    """One block of a stream produced by :func:`core.audio.blocks`.

    Attributes
    ----------
    samples
        ``float32`` array ``[channels, frames]``, C-contiguous and read-only.
    sample_rate
        Sample rate in Hz.
    start
        Time of the block's first frame from the start of the file, in seconds.
    index
        0-based position of the block in the stream.

    Raises
    ------
    InvalidParameter
        From the constructor on a malformed array, rate, start or index.
    """

    samples: np.ndarray
    sample_rate: int
    start: float
    index: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", _frozen_samples(self.samples, "AudioBlock"))
        object.__setattr__(self, "sample_rate", _positive_rate(self.sample_rate, "AudioBlock"))
        if self.start < 0 or self.index < 0:
            raise InvalidParameter(
                f"AudioBlock.start and index must be >= 0, got {self.start} s, {self.index}"
            )


@dataclass(frozen=True)
class AudioInfo:
    """What :func:`core.audio.probe` learns about a file without decoding it.

    Attributes
    ----------
    path
        The file probed.
    format
        Container, upper case: ``"WAV"``, ``"FLAC"``, ``"MP3"``, ``"OGG"``, ``"AIFF"``, ``"M4A"``…
    codec
        Codec or libsndfile subtype: ``"PCM_16"``, ``"VORBIS"``, ``"OPUS"``, ``"MPEG_LAYER_III"``,
        ``"aac"``…
    channels
        Number of channels.
    sample_rate
        Sample rate in Hz.
    frames
        Number of frames, or ``None`` when the container does not say (may be approximate for
        MP3).
    duration
        Length in seconds.
    bit_depth
        Bits per sample of lossless audio; ``None`` for lossy codecs.
    size_bytes
        File size in bytes.
    tags
        Metadata such as ``title``, ``artist``, ``album`` (lower-case keys).
    backend
        Decoder that will read the file: ``"libsndfile"`` or ``"ffmpeg"``.
    """

    path: str
    format: str
    codec: str
    channels: int
    sample_rate: int
    frames: int | None
    duration: float
    bit_depth: int | None
    size_bytes: int
    tags: dict[str, str] = field(default_factory=dict, hash=False)
    backend: str = "libsndfile"
