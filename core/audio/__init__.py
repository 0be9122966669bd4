"""Audio input for Breakroom: decoding, probing, streaming and content checks.

Everything here is free of Qt. Samples are float32 ``[channels, frames]`` at full scale ±1.0;
times are in seconds and rates in Hz. Errors are :class:`core.errors.AudioLoadError` subclasses
whose message names the file and the reason.
"""

from core.audio.buffer import AudioBlock, AudioBuffer, AudioInfo
from core.audio.checks import SignalChecker, signal_warnings
from core.audio.files import AUDIO_EXTENSIONS, find_audio_files
from core.audio.io import blocks, load, probe

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioBlock",
    "AudioBuffer",
    "AudioInfo",
    "SignalChecker",
    "blocks",
    "find_audio_files",
    "load",
    "probe",
    "signal_warnings",
]
