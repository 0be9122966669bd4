"""Play a track on the sound card: a sounddevice output stream with the mixer in its callback.

Threads
-------
:class:`PlaybackEngine` is driven from one *control* thread (the UI thread) while PortAudio
calls :meth:`PlaybackEngine._callback` on its own audio thread. The two never share a lock:

* every control call (``play``, ``seek``, ``set_stem`` …) appends a command to a
  ``collections.deque`` — ``append``/``popleft`` are atomic in CPython, so the deque is a
  lock-free single-producer/single-consumer queue — and the callback drains it before
  rendering, so the :class:`~core.playback.mixer.Mixer` is only ever touched by the audio
  thread once the stream runs;
* after each block the callback publishes an immutable :class:`TransportSnapshot` by one
  reference assignment (atomic); :meth:`PlaybackEngine.position` reads it and interpolates
  with the monotonic clock, corrected by the output latency PortAudio reports, so a 30 Hz
  playhead moves smoothly between callbacks;
* file readers are built (files opened, first blocks decoded) on the control thread, handed
  over in a command, and the ones they replace come back through a second deque to be closed
  on the control thread. The callback never opens, reads or closes a file.

The stream opens on the first :meth:`PlaybackEngine.load` and runs (rendering silence while
paused) until :meth:`PlaybackEngine.close`, so starting playback or auditioning a hit has no
device start-up delay.

No sound card
-------------
:meth:`PlaybackEngine.available` says whether playback can work here — ``(False, reason)``
when PortAudio is missing or there is no output device — without raising. Passing
``stream_factory=OfflineStream`` runs the engine with no device at all: the
:class:`OfflineStream` renders only when :meth:`OfflineStream.pull` is called (tests,
rendering to a file).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import CoreError, InvalidParameter
from core.playback.mixer import DEFAULT_METRONOME_DB, MIX, Mixer
from core.playback.reader import DEFAULT_PREFETCH_SECONDS, Prefetcher, StreamingReader
from core.playback.source import ArraySource, Source

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "OfflineStream",
    "PlaybackEngine",
    "PlaybackUnavailable",
    "TransportSnapshot",
    "audio_output_status",
]

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 48000
"""Output rate when the device does not say (or there is no device), in Hz."""

HIT_PREROLL_S = 0.005
"""An auditioned hit starts this long before its onset (with a fade-in over it), seconds."""

HIT_FADE_OUT_S = 0.03
"""Fade at the end of an auditioned hit, seconds."""

START_READY_S = 0.5
"""Audio decoded before :meth:`PlaybackEngine.load` returns, seconds."""


class PlaybackUnavailable(CoreError):
    """Audio cannot be played here (no PortAudio, no output device, the device refused)."""


def audio_output_status() -> tuple[bool, str]:
    """``(True, "output: <device name>")`` when a default audio output exists, else
    ``(False, reason)``. Never raises."""
    try:
        import sounddevice as sd
    except OSError as exc:
        return False, f"the PortAudio library is not installed ({exc})"
    except ImportError:
        return False, "the sounddevice package is not installed"
    except Exception as exc:  # any failure of PortAudio's initialisation
        return False, f"the audio system failed to start ({exc})"
    try:
        devices = sd.query_devices()
        outputs = [d for d in devices if int(d.get("max_output_channels", 0)) > 0]
        if not outputs:
            return False, "no audio output device found"
        default = sd.query_devices(kind="output")
    except Exception as exc:  # sd.PortAudioError and anything odd
        text = str(exc)
        if "-1" in text or "device" in text.lower():
            return False, "no default audio output device"
        return False, f"the audio system reports an error ({text})"
    return True, f"output: {default.get('name', 'default device')}"


class OfflineStream:
    """A device-free stand-in for ``sounddevice.OutputStream``: renders on :meth:`pull`.

    Accepts the keyword arguments the engine passes to ``OutputStream`` (``samplerate``,
    ``channels``, ``callback``, …). The callback gets ``time=None`` (no latency).
    """

    latency = 0.0

    def __init__(self, *, samplerate: float, channels: int,
                 callback: Callable[..., None], **_: Any) -> None:
        self.samplerate = float(samplerate)
        self.channels = int(channels)
        self._callback = callback
        self.active = False
        self.closed = False

    def start(self) -> None:
        """Mark the stream running (nothing renders until :meth:`pull`)."""
        self.active = True

    def stop(self) -> None:
        """Mark the stream stopped."""
        self.active = False

    def close(self) -> None:
        """Close the stream."""
        self.active = False
        self.closed = True

    def pull(self, frames: int) -> np.ndarray:
        """Run the callback once for ``frames`` frames; returns ``[frames, channels]``."""
        out = np.empty((int(frames), self.channels), dtype=np.float32)
        self._callback(out, int(frames), None, 0)
        return out


@dataclass(frozen=True)
class TransportSnapshot:
    """What the audio thread published after its last block.

    ``block_start`` and ``position`` are frames (the block's first frame and the next frame
    to render), ``audible_at`` the monotonic time (s) at which ``block_start`` reaches the
    speakers, ``loop`` the loop in frames.
    """

    block_start: int = 0
    position: int = 0
    playing: bool = False
    ended: bool = False
    audible_at: float = 0.0
    loop: tuple[int, int] | None = None
    frames: int = 0


class PlaybackEngine:
    """Plays one track (mix + optional stems) with a loop, a metronome and a stem mixer.

    Parameters
    ----------
    sample_rate : int or None
        Output rate in Hz; ``None`` = the output device's default rate
        (:data:`DEFAULT_SAMPLE_RATE` when it cannot be asked).
    channels : int
        Output channels.
    device : int, str or None
        sounddevice output device; ``None`` = the system default.
    latency : str or float
        Passed to ``sounddevice.OutputStream`` (``"high"`` is robust against a busy CPU).
    prefetch_seconds : float
        Audio the readers keep decoded ahead, in seconds.
    stream_factory : callable or None
        Builds the output stream from ``OutputStream``'s keyword arguments; ``None`` =
        ``sounddevice.OutputStream``; :class:`OfflineStream` for no device.
    """

    def __init__(self, *, sample_rate: int | None = None, channels: int = 2,
                 device: int | str | None = None, latency: str | float = "high",
                 prefetch_seconds: float = DEFAULT_PREFETCH_SECONDS,
                 stream_factory: Callable[..., Any] | None = None) -> None:
        self._device = device
        self._latency = latency
        self._stream_factory = stream_factory
        self._prefetch_seconds = float(prefetch_seconds)
        rate = sample_rate if sample_rate is not None else self._device_rate()
        self.sample_rate = int(rate)
        self.channels = int(channels)
        self._mixer = Mixer(self.sample_rate, self.channels)
        self._commands: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque())
        self._retired: collections.deque[Source] = collections.deque()
        self._snapshot = TransportSnapshot()
        self._pending_seek: int | None = None
        self._seek_seq = 0
        self._applied_seek_seq = 0
        self._intent_playing = False
        self._stream: Any = None
        self._prefetcher: Prefetcher | None = None
        self._sources: list[Source] = []
        self._mix_path: Path | None = None
        self._stem_paths: dict[str, Path] = {}
        self._frames = 0
        self._loop: tuple[int, int] | None = None
        self._metronome = (False, DEFAULT_METRONOME_DB)
        self._closed = False
        self.callback_errors = 0
        self.last_error: str | None = None
        self.xruns = 0

    # -- availability ---------------------------------------------------------------------------

    @staticmethod
    def available() -> tuple[bool, str]:
        """Whether playback can work here: ``(True, "output: …")`` or ``(False, reason)``,
        e.g. ``(False, "no audio output device found")``. Never raises."""
        return audio_output_status()

    def _device_rate(self) -> int:
        if self._stream_factory is not None:
            return DEFAULT_SAMPLE_RATE
        try:
            import sounddevice as sd

            info = sd.query_devices(self._device, kind="output")
            rate = round(float(info["default_samplerate"]))
            return rate if 8000 <= rate <= 384000 else DEFAULT_SAMPLE_RATE
        except Exception:
            return DEFAULT_SAMPLE_RATE

    def _ensure_stream(self) -> None:
        if self._closed:
            raise PlaybackUnavailable("the playback engine is closed")
        if self._stream is not None:
            return
        factory = self._stream_factory
        kwargs: dict[str, Any] = {"samplerate": self.sample_rate, "channels": self.channels,
                                  "dtype": "float32", "callback": self._callback,
                                  "latency": self._latency}
        if factory is None:
            ok, reason = self.available()
            if not ok:
                raise PlaybackUnavailable(f"cannot play audio: {reason}")
            import sounddevice as sd

            factory = sd.OutputStream
            kwargs["device"] = self._device
        try:
            stream = factory(**kwargs)
            stream.start()
        except Exception as exc:
            raise PlaybackUnavailable(f"cannot open the audio output: {exc}") from exc
        self._stream = stream

    @property
    def stream(self) -> Any:
        """The output stream (``None`` before the first :meth:`load`)."""
        return self._stream

    # -- loading --------------------------------------------------------------------------------

    def load(self, mix_path: str | Path, stems: Mapping[str, str | Path] | None = None,
             beats: Sequence[float] = (), downbeats: Sequence[float] = ()) -> None:
        """Open ``mix_path`` (and ``stems``: name → file) for playback, stopped at 0:00.

        ``beats`` and ``downbeats`` (seconds) place the metronome's clicks. The first
        :data:`START_READY_S` are decoded before this returns. Stem controls reset, the loop
        is cleared; the metronome keeps its setting.

        Raises
        ------
        PlaybackUnavailable
            No output device, or it refused to open.
        core.errors.AudioLoadError
            A file cannot be read (nothing changes then).
        InvalidParameter
            A stem is called ``"mix"`` (the name of the original).
        """
        if stems and MIX in stems:
            raise InvalidParameter(f"a stem may not be called '{MIX}' (the original mix)")
        self._ensure_stream()
        self._reap()
        if self._prefetcher is None:
            self._prefetcher = Prefetcher()
        opened: list[StreamingReader] = []
        try:
            mix = self._reader(mix_path)
            opened.append(mix)
            stem_readers: dict[str, Source] = {}
            for name, path in (stems or {}).items():
                reader = self._reader(path)
                opened.append(reader)
                stem_readers[str(name)] = reader
        except BaseException:
            for reader in opened:
                reader.close()
            raise
        ready = round(START_READY_S * self.sample_rate)
        for reader in opened:
            reader.wait_ready(0, ready, timeout_s=2.0)
        self._mix_path = Path(mix_path)
        self._stem_paths = {str(k): Path(v) for k, v in (stems or {}).items()}
        self._frames = max(r.frames for r in opened)
        self._loop = None
        self._intent_playing = False
        self._pending_seek = None
        self._sources = list(opened)
        self._send(self._install, mix, stem_readers, tuple(beats), tuple(downbeats))
        self._expect_seek(0)

    def _reader(self, path: str | Path) -> StreamingReader:
        return StreamingReader(path, self.sample_rate, self.channels,
                               prefetch_seconds=self._prefetch_seconds,
                               prefetcher=self._prefetcher)

    def _install(self, mix: Source, stems: dict[str, Source], beats: tuple[float, ...],
                 downbeats: tuple[float, ...]) -> None:
        """Audio thread: swap the sources in; the old ones go back to be closed."""
        self._retired.extend(self._mixer.set_sources(mix, stems))
        self._mixer.set_beats(beats, downbeats)

    def unload(self) -> None:
        """Stop and drop the current track."""
        self._send(self._install_nothing)
        self._mix_path = None
        self._stem_paths = {}
        self._frames = 0
        self._loop = None
        self._intent_playing = False
        self._sources = []

    def _install_nothing(self) -> None:
        self._retired.extend(self._mixer.set_sources(None, None))
        self._mixer.set_beats(())

    @property
    def loaded(self) -> bool:
        """Whether a track is loaded."""
        return self._mix_path is not None

    @property
    def duration(self) -> float:
        """Length of the loaded track, in seconds (0 when none)."""
        return self._frames / self.sample_rate

    @property
    def stem_names(self) -> tuple[str, ...]:
        """Names of the loaded stems."""
        return tuple(self._stem_paths)

    # -- transport --------------------------------------------------------------------------------

    def play(self) -> None:
        """Start (or resume) playback."""
        self._intent_playing = True
        self._send(self._mixer.play)

    def pause(self) -> None:
        """Pause where the playhead is."""
        self._intent_playing = False
        self._send(self._mixer.pause)

    def stop(self) -> None:
        """Stop and return to the start (the loop start when looping)."""
        self._intent_playing = False
        self._send(self._mixer.stop)
        self._expect_seek(self._loop[0] if self._loop else 0)

    def seek(self, seconds: float) -> None:
        """Move the playhead to ``seconds`` (clamped to the track)."""
        seconds = float(seconds)
        if not math.isfinite(seconds):
            raise InvalidParameter(f"seek position must be a finite number, got {seconds!r}")
        frame = min(max(0, round(seconds * self.sample_rate)), self._frames)
        for source in self._sources:
            source.hint(frame)
        if self._prefetcher is not None:
            self._prefetcher.wake()
        self._send(self._mixer.seek, frame)
        self._expect_seek(frame)

    def _expect_seek(self, frame: int) -> None:
        """Report ``frame`` as the position until the audio thread has applied the commands
        sent so far."""
        self._seek_seq += 1
        self._pending_seek = frame
        self._send(self._seek_applied, self._seek_seq)

    def _seek_applied(self, seq: int) -> None:
        """Audio thread: the seek numbered ``seq`` is done."""
        self._applied_seek_seq = seq

    def set_loop(self, start_s: float, end_s: float | None) -> None:
        """Loop ``[start_s, end_s)`` seconds, wrapping sample-accurately; ``end_s=None`` ends
        looping."""
        if end_s is None:
            self._loop = None
            self._send(self._mixer.set_loop, None, None)
            return
        start = round(float(start_s) * self.sample_rate)
        end = round(float(end_s) * self.sample_rate)
        if self._frames:
            end = min(end, self._frames)
        if start < 0 or end <= start:
            raise InvalidParameter(f"the loop must start before it ends and not before 0 s, "
                                   f"got {start_s!r}–{end_s!r} s")
        self._loop = (start, end)
        self._send(self._mixer.set_loop, start, end)

    def set_metronome(self, on: bool, level_db: float | None = None) -> None:
        """Switch the click on or off; ``level_db`` (≤ 0 dBFS) sets its level."""
        level = self._metronome[1] if level_db is None else float(level_db)
        if math.isnan(level) or level > 0.0:
            raise InvalidParameter(f"metronome level must be at most 0 dB, got {level_db!r}")
        self._metronome = (bool(on), level)
        self._send(self._mixer.set_metronome, bool(on), level)

    @property
    def metronome(self) -> tuple[bool, float]:
        """``(on, level_db)`` as last set."""
        return self._metronome

    def set_stem(self, name: str, gain_db: float | None = None, mute: bool | None = None,
                 solo: bool | None = None) -> None:
        """Change a stem's gain (dB), mute or solo; ``None`` keeps a control."""
        if name not in self._stem_paths:
            raise InvalidParameter(f"no stem named {name!r} (stems: "
                                   f"{', '.join(self._stem_paths) or 'none loaded'})")
        if gain_db is not None and (math.isnan(float(gain_db)) or float(gain_db) > 48.0):
            raise InvalidParameter(f"gain_db must be a number up to +48 dB, got {gain_db!r}")
        self._send(self._mixer.set_stem, name, gain_db, mute, solo)

    def play_hit(self, time_s: float, duration_s: float = 0.4) -> None:
        """Audition ``duration_s`` seconds from ``time_s`` once (the drum stem when there is
        one, else the mix), on top of whatever plays; the transport does not move."""
        from core.audio.io import load

        if self._mix_path is None:
            raise InvalidParameter("nothing is loaded to audition")
        if not (duration_s > 0 and math.isfinite(duration_s) and math.isfinite(time_s)):
            raise InvalidParameter(f"hit time and duration must be finite, duration > 0; got "
                                   f"{time_s!r}, {duration_s!r}")
        self._ensure_stream()
        path = self._stem_paths.get("drums", self._mix_path)
        start = max(0.0, float(time_s) - HIT_PREROLL_S)
        length = float(time_s) - start + float(duration_s)
        buffer = load(path, offset=start, duration=length, sample_rate=self.sample_rate)
        samples = np.array(buffer.samples.T, dtype=np.float32, order="C", copy=True)
        fade_in = round((float(time_s) - start) * self.sample_rate)
        fade_out = min(samples.shape[0], round(HIT_FADE_OUT_S * self.sample_rate))
        if fade_in:
            samples[:fade_in] *= np.linspace(0.0, 1.0, fade_in, endpoint=False,
                                             dtype=np.float32)[:, np.newaxis]
        if fade_out:
            samples[-fade_out:] *= np.linspace(1.0, 0.0, fade_out,
                                               dtype=np.float32)[:, np.newaxis]
        self._send(self._mixer.trigger, ArraySource(samples, self.channels))

    def wait_ready(self, seconds: float = START_READY_S, timeout_s: float = 2.0) -> bool:
        """Wait (control thread) until ``seconds`` of audio from the playhead — or from a seek
        not yet applied — are decoded in every source; returns whether they are."""
        pending = self._pending_seek
        if pending is not None and self._applied_seek_seq < self._seek_seq:
            frame = pending
        else:
            frame = self._snapshot.position
        count = round(float(seconds) * self.sample_rate)
        return all(source.wait_ready(frame, count, timeout_s)
                   for source in self._sources if isinstance(source, StreamingReader))

    # -- reading the transport ------------------------------------------------------------------

    @property
    def snapshot(self) -> TransportSnapshot:
        """The audio thread's last published state."""
        return self._snapshot

    def is_playing(self) -> bool:
        """Whether the transport runs: the last play/pause/stop while commands are on their
        way to the audio thread, else what its last block says (playback stops by itself at
        the end of the track)."""
        if self._commands:
            return self._intent_playing
        return self._snapshot.playing

    def ended(self) -> bool:
        """Whether playback stopped by itself at the end of the track."""
        return not self._commands and self._snapshot.ended

    def position(self) -> float:
        """The playhead in seconds — what is reaching the speakers now, interpolated between
        audio blocks; a seek not yet applied reads as its target."""
        if self._retired:
            self._reap()  # the UI polls this ~30 times a second: a good moment to tidy up
        pending = self._pending_seek
        if pending is not None and self._applied_seek_seq < self._seek_seq:
            return pending / self.sample_rate
        snap = self._snapshot
        if not snap.playing:
            return snap.position / self.sample_rate
        # Negative while the block is still queued in the device (the latency): what is
        # heard then is the audio before block_start.
        elapsed = min(max(-1.0, time.monotonic() - snap.audible_at), 0.5)
        frame = snap.block_start + elapsed * self.sample_rate
        if snap.loop is not None and snap.loop[0] <= snap.block_start < snap.loop[1]:
            start, end = snap.loop
            frame = start + (frame - start) % (end - start)
        return min(max(0.0, frame), float(snap.frames)) / self.sample_rate

    # -- the audio thread -----------------------------------------------------------------------

    def _send(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._closed:
            raise PlaybackUnavailable("the playback engine is closed")
        self._commands.append((fn, args))
        if self._retired:
            self._reap()

    def _callback(self, outdata: np.ndarray, frames: int, stream_time: Any,
                  status: Any) -> None:
        """PortAudio's callback: apply queued commands, render, publish a snapshot."""
        try:
            if status:
                self.xruns += 1
            commands = self._commands
            while commands:
                fn, args = commands.popleft()
                try:
                    fn(*args)
                except Exception as exc:  # a bad command must not kill the stream
                    self.last_error = f"{getattr(fn, '__name__', fn)}: {exc}"
            mixer = self._mixer
            block_start = mixer.position
            finished = mixer.render_into(outdata)
            if finished:
                self._retired.extend(finished)
            delay = 0.0
            if stream_time is not None:
                with contextlib.suppress(Exception):
                    delay = max(0.0, float(stream_time.outputBufferDacTime)
                                - float(stream_time.currentTime))
            self._snapshot = TransportSnapshot(
                block_start=block_start, position=mixer.position, playing=mixer.playing,
                ended=mixer.ended, audible_at=time.monotonic() + delay, loop=mixer.loop,
                frames=mixer.frames)
        except Exception as exc:  # never raise into PortAudio
            outdata.fill(0.0)
            self.callback_errors += 1
            self.last_error = str(exc)

    # -- cleanup --------------------------------------------------------------------------------

    def _reap(self) -> None:
        """Close sources the audio thread handed back (control thread)."""
        while self._retired:
            source = self._retired.popleft()
            if source not in self._sources:
                source.close()

    def close(self) -> None:
        """Stop the stream, close every file and the prefetch thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.stop()
            with contextlib.suppress(Exception):
                stream.close()
        self._commands.clear()
        for source in [*self._sources, *self._retired]:
            with contextlib.suppress(Exception):
                source.close()
        self._sources = []
        self._retired.clear()
        if self._prefetcher is not None:
            self._prefetcher.close()
            self._prefetcher = None

    def __enter__(self) -> PlaybackEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
