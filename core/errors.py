"""The one error tree of Breakroom's core.

Every error a person may see derives from :class:`CoreError`. Messages are written for a person:
what failed, on which file, and what to do. The CLI prints ``str(error)`` on one line; the app
shows it in the notifier.
"""

from __future__ import annotations

from pathlib import Path


class CoreError(Exception):
    """Base of every error raised on purpose by ``core``."""


class InvalidParameter(CoreError, ValueError):
    """A caller passed a value outside its documented range (names the parameter)."""


class ConfigError(CoreError):
    """A configuration file or environment override is malformed (names the key)."""


class Cancelled(CoreError):
    """A job was cancelled through its :class:`core.jobs.CancelToken`."""


class ModelUnavailable(CoreError):
    """Model weights are missing or do not verify; the message says how to install them."""


class SysExError(CoreError):
    """A SysEx message or file cannot be decoded."""


class PathError(CoreError):
    """A problem with one file: ``path`` names it and ``reason`` says why.

    ``str(error)`` is ``"<path>: <reason>"``, one line.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class AudioLoadError(PathError):
    """An audio file cannot be read."""


class FileMissing(AudioLoadError):
    """The path does not exist."""


class NotAFile(AudioLoadError):
    """The path is a directory or a special file."""


class EmptyFile(AudioLoadError):
    """The file has zero bytes."""


class NotAudio(AudioLoadError):
    """The file's content is not audio (text, image, …) whatever its extension says."""


class CorruptAudio(AudioLoadError):
    """The file looks like audio but is truncated or damaged."""


class UnsupportedFormat(AudioLoadError):
    """The codec or container cannot be decoded with what is installed (says what would)."""


class NoAudioData(AudioLoadError):
    """The file decodes to zero samples."""


class TooManyChannels(AudioLoadError):
    """More channels than Breakroom handles (8)."""


class BadSampleRate(AudioLoadError):
    """The sample rate is absurd (below 1 kHz or above 768 kHz)."""


class ResultFormatError(CoreError):
    """A stored analysis result (JSON/YAML/cache entry) is malformed or of an unknown version."""


class OutputExists(CoreError, FileExistsError):
    """An output file already exists and the caller did not ask to overwrite it.

    ``path`` names the file. ``str(error)`` is
    ``"<path>: already exists; pass --force / choose overwrite to replace it"``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(
            f"{self.path}: already exists; pass --force / choose overwrite to replace it"
        )
