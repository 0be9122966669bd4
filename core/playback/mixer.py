"""The playback mixer: sources, stem gains, transport, loop and metronome, sample by sample.

:class:`Mixer` is pure and deterministic — no threads, no clock, no audio device — so what the
user hears can be tested exactly: :meth:`Mixer.render` returns the next ``frames`` of output
and advances the transport. :class:`core.playback.engine.PlaybackEngine` calls
:meth:`Mixer.render_into` from the audio callback; it is the only thread that touches a mixer
while it plays (commands reach it through the engine's queue).

What plays
----------
A track is the *mix* (the original file) and, once separated, its *stems*. When no stem is
soloed, muted or off 0 dB, the mixer plays the original mix — bit-exact, one file to stream,
and no separation artefacts (Demucs stems sum only approximately to the mix). As soon as any
stem control departs from neutral it plays the gain-weighted sum of the audible stems. The
switch is a short crossfade (:attr:`Mixer.ramp_frames`): every source has a gain that glides
to its target, the mix fading out while the stems fade in; with stems that sum to the mix the
switch is inaudible.

Audible stems: if any stem is soloed, exactly the soloed ones (solo wins over mute; several
solos add up); otherwise every stem that is not muted. A stem's gain is in dB
(``-inf`` = silent).

Transport and loop
------------------
:attr:`Mixer.position` is the next frame to render (output-rate frames from the start of the
track). A loop ``[start, end)`` makes the playhead jump from ``end`` back to ``start`` on the
exact sample: frame ``end - 1`` is followed by frame ``start``. The wrap happens whenever the
playhead reaches ``end`` from before it; set a loop while playing past its end and playback
carries on to the end of the track. Without a loop, playback stops by itself at the end of
the longest source (:attr:`Mixer.ended` becomes true).

Metronome
---------
A short synthesised click (a decaying sine, :data:`CLICK_SECONDS` long) starts on the exact
sample of every beat (``round(time × rate)``); downbeats get a higher, louder click
(:data:`ACCENT_DB` above the others). The level is in dB. Clicks follow the transport,
loops included. One-shot voices (:meth:`Mixer.trigger`, a drum hit auditioned from the
results) play on top whether the transport runs or not.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from core.errors import InvalidParameter
from core.playback.source import Source

__all__ = [
    "ACCENT_DB",
    "CLICK_SECONDS",
    "Mixer",
    "StemState",
    "db_to_gain",
]

CLICK_SECONDS = 0.025
"""Length of one metronome click, in seconds."""

CLICK_HZ = 1000.0
"""Pitch of an ordinary beat's click, in Hz."""

ACCENT_HZ = 1600.0
"""Pitch of a downbeat's click, in Hz."""

ACCENT_DB = 6.0
"""How much louder a downbeat's click is than a beat's, in dB."""

DEFAULT_RAMP_SECONDS = 0.005
"""Gain changes and the mix/stems switch glide over this long, in seconds (no zipper
clicks)."""

DEFAULT_METRONOME_DB = -6.0
"""Default click level (of the downbeat click), in dB full scale."""

MIX = "mix"
"""Name under which the original mix is held (a stem may not use it)."""


def db_to_gain(db: float) -> float:
    """Linear amplitude of ``db`` decibels (``-inf`` → 0.0)."""
    if db == -math.inf:
        return 0.0
    return float(10.0 ** (db / 20.0))


@dataclass(frozen=True)
class StemState:
    """The controls of one stem: ``gain_db`` (dB, ``-inf`` silent), ``mute`` and ``solo``."""

    gain_db: float = 0.0
    mute: bool = False
    solo: bool = False

    @property
    def neutral(self) -> bool:
        """Unmuted, not soloed, at 0 dB."""
        return self.gain_db == 0.0 and not self.mute and not self.solo


class _Channel:
    """One source with its gain glide (linear amplitude, ramped per sample)."""

    __slots__ = ("gain", "ramp_done", "ramp_from", "ramp_to", "source")

    def __init__(self, source: Source, gain: float) -> None:
        self.source = source
        self.gain = gain          # value reached when the ramp is over
        self.ramp_from = gain
        self.ramp_to = gain
        self.ramp_done = 0        # frames of the current ramp already rendered

    def current(self, ramp_frames: int) -> float:
        """The gain applied at the next frame."""
        if self.ramp_from == self.ramp_to or self.ramp_done >= ramp_frames:
            return self.ramp_to
        return self.ramp_from + (self.ramp_to - self.ramp_from) * self.ramp_done / ramp_frames

    def target(self, gain: float, ramp_frames: int, glide: bool) -> None:
        """Aim at ``gain``: glide there over ``ramp_frames`` or jump at once."""
        if gain == self.ramp_to:
            return
        start = self.current(ramp_frames) if glide else gain
        self.ramp_from = start
        self.ramp_to = gain
        self.ramp_done = 0 if glide and ramp_frames > 0 else ramp_frames
        self.gain = gain

    def silent(self, ramp_frames: int) -> bool:
        """Nothing to hear: gain 0 and no ramp running."""
        return self.ramp_to == 0.0 and (self.ramp_from == 0.0 or self.ramp_done >= ramp_frames)


@dataclass
class _Voice:
    """A one-shot sound playing from ``position`` until ``end`` (source frames)."""

    source: Source
    position: int
    end: int
    gain: float


class Mixer:
    """Sources + stem controls + transport + loop + metronome → output frames.

    Parameters
    ----------
    sample_rate : int
        Output rate in Hz; every source must deliver this rate.
    channels : int
        Output channels (sources must deliver this many).
    block_frames : int
        Size of the internal scratch buffers, in frames (allocated once; renders of any
        length are processed in pieces of at most this size).
    ramp_frames : int or None
        Gain glide length in frames; ``None`` = :data:`DEFAULT_RAMP_SECONDS`; ``0`` = gains
        change instantly (exact arithmetic for tests).
    """

    def __init__(self, sample_rate: int, channels: int = 2, *, block_frames: int = 4096,
                 ramp_frames: int | None = None) -> None:
        if not isinstance(sample_rate, int) or sample_rate <= 0:
            raise InvalidParameter(f"sample_rate must be a positive integer, got "
                                   f"{sample_rate!r}")
        if channels < 1 or block_frames < 1:
            raise InvalidParameter("channels and block_frames must be 1 or more")
        self.sample_rate = sample_rate
        self.channels = int(channels)
        self.block_frames = int(block_frames)
        self.ramp_frames = (round(DEFAULT_RAMP_SECONDS * sample_rate) if ramp_frames is None
                            else max(0, int(ramp_frames)))
        self._scratch = np.zeros((self.block_frames, self.channels), dtype=np.float32)
        self._gains = np.zeros(self.block_frames, dtype=np.float32)
        self._ramp = (np.arange(self.block_frames, dtype=np.float64)
                      / max(1, self.ramp_frames))
        self._mix: _Channel | None = None
        self._stems: dict[str, _Channel] = {}
        self._states: dict[str, StemState] = {}
        self._voices: list[_Voice] = []
        self._position = 0
        self._playing = False
        self._ended = False
        self._loop: tuple[int, int] | None = None
        self._beats = np.zeros(0, dtype=np.int64)
        self._accents = np.zeros(0, dtype=bool)
        self._metronome = False
        self._metronome_db = DEFAULT_METRONOME_DB
        self._click, self._accent_click = self._make_clicks()
        self.underruns = 0

    # -- sources --------------------------------------------------------------------------------

    def set_sources(self, mix: Source | None, stems: Mapping[str, Source] | None = None,
                    ) -> list[Source]:
        """Play ``mix`` and ``stems`` (name → source) from now on; returns the sources replaced
        (for the caller to close off the audio thread). Stem controls reset to neutral, the
        transport stops at frame 0 and the loop is cleared."""
        old: list[Source] = [c.source for c in self._channels()]
        old += [v.source for v in self._voices]
        stems = dict(stems or {})
        if MIX in stems:
            raise InvalidParameter(f"'{MIX}' is reserved for the original mix; rename the stem")
        named = [(MIX, mix)] if mix is not None else []
        for name, source in [*named, *stems.items()]:
            if source.channels != self.channels:
                raise InvalidParameter(f"source {name!r} has {source.channels} channels; "
                                       f"the mixer plays {self.channels}")
        self._mix = _Channel(mix, 1.0) if mix is not None else None
        self._stems = {name: _Channel(src, 0.0) for name, src in stems.items()}
        self._states = {name: StemState() for name in stems}
        self._voices = []
        self._position = 0
        self._playing = False
        self._ended = False
        self._loop = None
        self._apply_states(glide=False)
        return old

    @property
    def stem_names(self) -> tuple[str, ...]:
        """Names of the stems, in the order given."""
        return tuple(self._stems)

    @property
    def frames(self) -> int:
        """Length of the track: the longest source, in frames."""
        return max((c.source.frames for c in self._channels()), default=0)

    @property
    def uses_stems(self) -> bool:
        """Whether the output is the stem sum (some stem control is not neutral) rather than
        the original mix."""
        if not self._stems:
            return False
        if self._mix is None:
            return True
        return not all(state.neutral for state in self._states.values())

    def stem_state(self, name: str) -> StemState:
        """Current controls of stem ``name``."""
        return self._states[self._stem_name(name)]

    def set_stem(self, name: str, gain_db: float | None = None, mute: bool | None = None,
                 solo: bool | None = None) -> StemState:
        """Change one stem's gain (dB; ``-inf`` allowed), mute or solo; ``None`` keeps a
        control. Returns the new state. Gains glide while playing, jump while stopped."""
        key = self._stem_name(name)
        state = self._states[key]
        if gain_db is not None:
            gain_db = float(gain_db)
            if math.isnan(gain_db) or gain_db > 48.0:
                raise InvalidParameter(f"gain_db must be a number up to +48 dB (or -inf), "
                                       f"got {gain_db!r}")
        state = StemState(
            gain_db=state.gain_db if gain_db is None else gain_db,
            mute=state.mute if mute is None else bool(mute),
            solo=state.solo if solo is None else bool(solo),
        )
        self._states[key] = state
        self._apply_states(glide=self._playing)
        return state

    def audible_stems(self) -> tuple[str, ...]:
        """Stems that can be heard: the soloed ones if any, else the unmuted ones."""
        soloed = [n for n, s in self._states.items() if s.solo]
        if soloed:
            return tuple(soloed)
        return tuple(n for n, s in self._states.items() if not s.mute)

    def _stem_name(self, name: str) -> str:
        if name not in self._states:
            known = ", ".join(self._states) or "none loaded"
            raise InvalidParameter(f"no stem named {name!r} (stems: {known})")
        return name

    def _channels(self) -> list[_Channel]:
        return ([self._mix] if self._mix is not None else []) + list(self._stems.values())

    def _apply_states(self, *, glide: bool) -> None:
        """Turn the stem controls into each source's target gain."""
        stems = self.uses_stems
        audible = set(self.audible_stems())
        if self._mix is not None:
            self._mix.target(0.0 if stems else 1.0, self.ramp_frames, glide)
        for name, channel in self._stems.items():
            gain = db_to_gain(self._states[name].gain_db) if stems and name in audible else 0.0
            channel.target(gain, self.ramp_frames, glide)

    # -- transport ----------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Next frame to play (output-rate frames from the start)."""
        return self._position

    @property
    def seconds(self) -> float:
        """:attr:`position` in seconds."""
        return self._position / self.sample_rate

    @property
    def playing(self) -> bool:
        """Whether the transport runs."""
        return self._playing

    @property
    def ended(self) -> bool:
        """Playback stopped by itself at the end of the track (cleared by play/seek)."""
        return self._ended

    def play(self) -> None:
        """Run the transport from :attr:`position` (from the start — or the loop start —
        when the playhead is at the end)."""
        if self._position >= self.frames:
            self.seek(self._loop[0] if self._loop is not None else 0)
        self._playing = True
        self._ended = False

    def pause(self) -> None:
        """Stop the transport where it is."""
        self._playing = False

    def stop(self) -> None:
        """Stop the transport, return to the start (the loop start when looping) and silence
        one-shot voices."""
        self._playing = False
        self._voices.clear()
        self.seek(self._loop[0] if self._loop is not None else 0)

    def seek(self, frame: int) -> None:
        """Move the playhead to ``frame`` (clamped to the track)."""
        self._position = int(min(max(0, int(frame)), self.frames))
        self._ended = False
        for channel in self._channels():
            channel.source.hint(self._position)

    def seek_seconds(self, seconds: float) -> None:
        """Move the playhead to ``seconds``."""
        self.seek(round(float(seconds) * self.sample_rate))

    @property
    def loop(self) -> tuple[int, int] | None:
        """The loop ``(start, end)`` in frames, or ``None``."""
        return self._loop

    def set_loop(self, start: int | None, end: int | None) -> None:
        """Loop ``[start, end)`` (frames; ``end`` clamped to the track); ``None`` clears it."""
        if start is None or end is None:
            self._loop = None
        else:
            start, end = int(start), int(min(int(end), self.frames or int(end)))
            if start < 0 or end <= start:
                raise InvalidParameter(f"loop must satisfy 0 <= start < end, got "
                                       f"[{start}, {end})")
            self._loop = (start, end)
        for channel in self._channels():
            channel.source.set_loop(*(self._loop or (None, None)))

    # -- metronome ----------------------------------------------------------------------------

    def set_beats(self, beats: Iterable[float], downbeats: Iterable[float] = ()) -> None:
        """Beat and downbeat times in seconds (downbeats not among the beats are added)."""
        rate = self.sample_rate
        down = {round(float(t) * rate) for t in downbeats if float(t) >= 0}
        frames = {round(float(t) * rate) for t in beats if float(t) >= 0} | down
        ordered = np.array(sorted(frames), dtype=np.int64)
        self._beats = ordered
        self._accents = np.array([f in down for f in ordered.tolist()], dtype=bool)

    @property
    def beat_frames(self) -> np.ndarray:
        """Sample positions of the clicks (sorted)."""
        return self._beats.copy()

    @property
    def metronome(self) -> tuple[bool, float]:
        """``(on, level_db)``."""
        return self._metronome, self._metronome_db

    def set_metronome(self, on: bool, level_db: float | None = None) -> None:
        """Switch the click on or off; ``level_db`` sets the downbeat click's level (dBFS)."""
        self._metronome = bool(on)
        if level_db is not None:
            level = float(level_db)
            if math.isnan(level) or level > 0.0:
                raise InvalidParameter(f"metronome level must be at most 0 dB, got {level_db!r}")
            self._metronome_db = level

    def _make_clicks(self) -> tuple[np.ndarray, np.ndarray]:
        """The beat and downbeat clicks at 0 dB peak of the accent (float32, mono)."""
        n = max(1, round(CLICK_SECONDS * self.sample_rate))
        t = np.arange(n) / self.sample_rate
        envelope = np.exp(-t / (CLICK_SECONDS / 5.0))
        # Cosines start at their peak, so a click's first sample is its beat's exact sample.
        beat = np.cos(2 * np.pi * CLICK_HZ * t) * envelope * db_to_gain(-ACCENT_DB)
        accent = np.cos(2 * np.pi * ACCENT_HZ * t) * envelope
        return beat.astype(np.float32), accent.astype(np.float32)

    # -- one-shot voices ----------------------------------------------------------------------

    def trigger(self, source: Source, start: int = 0, frames: int | None = None,
                gain_db: float = 0.0) -> None:
        """Play ``frames`` of ``source`` from ``start`` once, on top of everything (even while
        the transport is stopped)."""
        end = source.frames if frames is None else min(source.frames, start + int(frames))
        if source.channels != self.channels:
            raise InvalidParameter(f"voice has {source.channels} channels; the mixer plays "
                                   f"{self.channels}")
        self._voices.append(_Voice(source, int(start), int(end), db_to_gain(gain_db)))

    @property
    def voices(self) -> int:
        """One-shot voices still playing."""
        return len(self._voices)

    # -- rendering ----------------------------------------------------------------------------

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` of output as ``[frames, channels]`` float32; advances the
        transport (allocates the returned array; the engine uses :meth:`render_into`)."""
        out = np.zeros((int(frames), self.channels), dtype=np.float32)
        self.render_into(out)
        return out

    def render_into(self, out: np.ndarray) -> list[Source]:
        """Overwrite ``out`` (``[n, channels]`` float32) with the next ``n`` frames.

        Allocates no sample buffer. Returns the one-shot sources that finished (for the
        caller to release off the audio thread; usually empty).
        """
        out[:] = 0.0
        n = out.shape[0]
        done = 0
        while done < n:
            m = min(n - done, self.block_frames)
            if self._playing:
                m = self._render_transport(out[done:done + m])
            done += m
        return self._render_voices(out)

    def _render_transport(self, out: np.ndarray) -> int:
        """Render up to ``len(out)`` frames of the timeline (stopping at a loop wrap or at the
        end of the track); returns the frames consumed from ``out``."""
        m = out.shape[0]
        pos = self._position
        total = self.frames
        loop = self._loop
        if loop is not None and pos < loop[1]:
            m = min(m, loop[1] - pos)
        elif pos >= total:
            self._playing = False
            self._ended = True
            return out.shape[0]
        else:
            m = min(m, total - pos)
        segment = out[:m]
        for channel in self._channels():
            if channel.silent(self.ramp_frames):
                channel.source.follow(pos + m)
                continue
            scratch = self._scratch[:m]
            if not channel.source.read(pos, scratch):
                self.underruns += 1
            self._apply_gain(channel, scratch)
            segment += scratch
        if self._metronome and self._beats.size:
            self._render_clicks(segment, pos)
        pos += m
        if loop is not None and pos == loop[1]:
            pos = loop[0]
        self._position = pos
        if loop is None and pos >= total:
            self._playing = False
            self._ended = True
        return m

    def _apply_gain(self, channel: _Channel, block: np.ndarray) -> None:
        """Multiply ``block`` by the channel's gain, gliding through a running ramp."""
        m = block.shape[0]
        ramp = self.ramp_frames
        if channel.ramp_done >= ramp or channel.ramp_from == channel.ramp_to:
            gain = channel.ramp_to
            if gain != 1.0:
                block *= gain
            return
        gliding = min(m, ramp - channel.ramp_done)
        gains = self._gains[:gliding]
        np.multiply(self._ramp[channel.ramp_done:channel.ramp_done + gliding],
                    channel.ramp_to - channel.ramp_from, out=gains, casting="unsafe")
        gains += channel.ramp_from
        block[:gliding] *= gains[:, np.newaxis]
        if gliding < m:
            block[gliding:] *= channel.ramp_to
        channel.ramp_done += gliding

    def _render_clicks(self, segment: np.ndarray, pos: int) -> None:
        """Add the clicks that sound within timeline frames ``[pos, pos + len(segment))``."""
        m = segment.shape[0]
        length = self._click.shape[0]
        first = int(np.searchsorted(self._beats, pos - length + 1))
        last = int(np.searchsorted(self._beats, pos + m))
        level = db_to_gain(self._metronome_db)
        for i in range(first, last):
            beat = int(self._beats[i])
            click = self._accent_click if self._accents[i] else self._click
            lo = max(beat, pos)
            hi = min(beat + length, pos + m)
            if hi <= lo:
                continue
            scaled = self._gains[:hi - lo]
            np.multiply(click[lo - beat:hi - beat], level, out=scaled)
            segment[lo - pos:hi - pos] += scaled[:, np.newaxis]

    def _render_voices(self, out: np.ndarray) -> list[Source]:
        finished: list[Source] = []
        if not self._voices:
            return finished
        n = out.shape[0]
        for voice in list(self._voices):
            done = 0
            while done < n and voice.position < voice.end:
                m = min(n - done, self.block_frames, voice.end - voice.position)
                scratch = self._scratch[:m]
                voice.source.read(voice.position, scratch)
                if voice.gain != 1.0:
                    scratch *= voice.gain
                out[done:done + m] += scratch
                voice.position += m
                done += m
            if voice.position >= voice.end:
                self._voices.remove(voice)
                finished.append(voice.source)
        return finished

    # -- conversions --------------------------------------------------------------------------

    def to_frames(self, seconds: float) -> int:
        """``seconds`` as output frames (rounded)."""
        return round(float(seconds) * self.sample_rate)
