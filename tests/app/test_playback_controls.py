"""Transport controller, transport bar and stem mixer (offscreen).

Without an audio output the real engine is unavailable: the disabled state and its tooltip are
tested here as they are (the real engine on a real PortAudio stream is tested in
``test_playback_alsa_capture.py``). The controls' effect is tested through
:class:`MixerEngine`, an engine stand-in built on the real :class:`core.playback.Mixer`
(files read whole into :class:`ArraySource`\\ s, audio rendered on demand): what a button
does is checked on the mixer's state and on the samples it renders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.playback import StemMixerWidget, TransportBar, TransportController, TransportState
from app.playback.stem_mixer import gain_text
from core.playback import ArraySource, Mixer, PlaybackEngine, PlaybackUnavailable

RATE = 8000


class MixerEngine:
    """A device-free engine over the real Mixer (instant gains for exact arithmetic)."""

    def __init__(self, rate: int = RATE) -> None:
        self.mixer = Mixer(rate, 2, ramp_frames=0)
        self.rate = rate
        self.closed = False
        self._mix: ArraySource | None = None

    def _source(self, path: str | Path) -> ArraySource:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
        assert file_rate == self.rate
        return ArraySource(data, 2)

    def load(self, mix_path: str | Path, stems: Mapping[str, str | Path] | None = None,
             beats: Sequence[float] = (), downbeats: Sequence[float] = ()) -> None:
        self._mix = self._source(mix_path)
        self.mixer.set_sources(self._mix, {n: self._source(p) for n, p in (stems or {}).items()})
        self.mixer.set_beats(beats, downbeats)

    def play(self) -> None:
        self.mixer.play()

    def pause(self) -> None:
        self.mixer.pause()

    def stop(self) -> None:
        self.mixer.stop()

    def seek(self, seconds: float) -> None:
        self.mixer.seek_seconds(seconds)

    def set_loop(self, start_s: float, end_s: float | None) -> None:
        if end_s is None:
            self.mixer.set_loop(None, None)
        else:
            self.mixer.set_loop(self.mixer.to_frames(start_s), self.mixer.to_frames(end_s))

    def set_metronome(self, on: bool, level_db: float | None = None) -> None:
        self.mixer.set_metronome(on, level_db)

    def set_stem(self, name: str, gain_db: float | None = None, mute: bool | None = None,
                 solo: bool | None = None) -> None:
        self.mixer.set_stem(name, gain_db, mute, solo)

    def play_hit(self, time_s: float, duration_s: float = 0.4) -> None:
        assert self._mix is not None
        self.mixer.trigger(self._mix, self.mixer.to_frames(time_s),
                           self.mixer.to_frames(duration_s))

    def position(self) -> float:
        return self.mixer.seconds

    def is_playing(self) -> bool:
        return self.mixer.playing

    def ended(self) -> bool:
        return self.mixer.ended

    def close(self) -> None:
        self.closed = True

    def pump(self, seconds: float) -> np.ndarray:
        """Render like the audio callback would."""
        return self.mixer.render(self.mixer.to_frames(seconds))


@pytest.fixture(scope="module")
def track(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("track")
    rng = np.random.default_rng(3)
    stems = {name: (rng.standard_normal((2 * RATE, 2)) * 0.2).astype(np.float32)
             for name in ("drums", "bass", "other")}
    mix = sum(stems.values())
    paths = {}
    for name, data in stems.items():
        paths[name] = folder / f"song.{name}.wav"
        sf.write(str(paths[name]), data, RATE, subtype="FLOAT")
    sf.write(str(folder / "song.wav"), mix, RATE, subtype="FLOAT")
    beats = [0.25 * k for k in range(8)]
    return {"mix": folder / "song.wav", "stems": paths, "data": stems, "mix_data": mix,
            "beats": beats, "downbeats": beats[::4]}


@pytest.fixture
def engine() -> MixerEngine:
    return MixerEngine()


@pytest.fixture
def controller(qtbot: QtBot, engine: MixerEngine) -> TransportController:
    ctl = TransportController(engine, interval_ms=10)
    yield ctl
    ctl.close()


def _load(ctl: TransportController, track: dict[str, object], stems: bool = True) -> None:
    assert ctl.load(track["mix"], track["stems"] if stems else None, track["beats"],
                    track["downbeats"])


# -- unavailable ---------------------------------------------------------------------------------


def test_without_an_audio_output_every_control_is_disabled_with_the_reason(
        qtbot: QtBot) -> None:
    ok, reason = PlaybackEngine.available()
    if ok:
        pytest.skip("this machine has an audio output")
    ctl = TransportController()  # asks the real engine
    bar = TransportBar(ctl)
    mixer = StemMixerWidget(ctl)
    qtbot.addWidget(bar)
    qtbot.addWidget(mixer)
    assert not ctl.available and ctl.engine is None
    assert ctl.unavailable_reason == reason == "no audio output device found"
    for action in ctl.actions:
        assert not action.isEnabled()
        assert action.toolTip() == f"Playback unavailable: {reason}"
    for button in (bar.play_button, bar.stop_button, bar.loop_button, bar.metronome_button):
        assert not button.isEnabled()
        assert reason in button.toolTip()
    assert not bar.level_box.isEnabled() and reason in bar.toolTip()
    assert not mixer.isEnabled() and reason in mixer.toolTip()
    # Commands are harmless no-ops; nothing raises.
    assert not ctl.load("/nowhere/track.wav")
    ctl.toggle_play()
    ctl.seek(3.0)
    ctl.set_loop_enabled(True)
    ctl.play_hit(1.0)
    assert ctl.state == TransportState.STOPPED and ctl.position() == 0.0
    ctl.close()


def test_unavailable_whatever_the_machine(qtbot: QtBot) -> None:
    ctl = TransportController(availability=(False, "the PortAudio library is not installed"))
    bar = TransportBar(ctl)
    qtbot.addWidget(bar)
    assert ctl.engine is None and not bar.play_button.isEnabled()
    assert bar.loop_button.toolTip() == (
        "Playback unavailable: the PortAudio library is not installed")
    ctl.close()


def test_a_device_that_refuses_to_open_disables_playback(qtbot: QtBot,
                                                         track: dict[str, object]) -> None:
    class Refusing(MixerEngine):
        def load(self, *args: object, **kwargs: object) -> None:
            raise PlaybackUnavailable("cannot open the audio output: device busy")

    ctl = TransportController(Refusing())
    with qtbot.waitSignal(ctl.availabilityChanged) as blocker:
        assert not ctl.load(track["mix"])
    assert blocker.args == [False, "cannot open the audio output: device busy"]
    assert not ctl.play_action.isEnabled()
    assert "device busy" in ctl.play_action.toolTip()


# -- transport -------------------------------------------------------------------------------------


def test_actions_have_their_shortcuts_and_wait_for_a_track(
        controller: TransportController) -> None:
    assert controller.play_action.shortcut().toString() == "Space"
    assert controller.loop_action.shortcut().toString() == "L"
    assert controller.metronome_action.shortcut().toString() == "M"
    assert controller.loop_action.isCheckable() and controller.metronome_action.isCheckable()
    assert controller.available
    assert not controller.play_action.isEnabled()  # nothing loaded yet
    assert "open a track" in controller.play_action.toolTip()


def test_play_pause_stop_drive_the_mixer_and_the_playhead(
        qtbot: QtBot, controller: TransportController, engine: MixerEngine,
        track: dict[str, object]) -> None:
    _load(controller, track, stems=False)
    assert controller.play_action.isEnabled()
    with qtbot.waitSignal(controller.stateChanged) as state:
        controller.play_action.trigger()
    assert state.args == [TransportState.PLAYING] and engine.mixer.playing
    assert controller.play_action.text() == "Pause"
    out = engine.pump(0.5)
    np.testing.assert_array_equal(out, track["mix_data"][:RATE // 2])
    with qtbot.waitSignal(controller.positionChanged, timeout=1000) as moved:
        pass  # the ~30 Hz timer
    assert moved.args[0] == pytest.approx(0.5)
    controller.play_action.trigger()  # Space again: pause
    assert controller.state == TransportState.PAUSED and not engine.mixer.playing
    controller.seek(1.25)
    assert engine.mixer.position == round(1.25 * RATE)
    controller.stop_action.trigger()
    assert controller.state == TransportState.STOPPED and engine.mixer.position == 0


def test_end_of_track_stops_the_transport(qtbot: QtBot, controller: TransportController,
                                          engine: MixerEngine,
                                          track: dict[str, object]) -> None:
    _load(controller, track, stems=False)
    controller.play()
    engine.pump(2.5)  # past the end
    qtbot.waitUntil(lambda: controller.state == TransportState.STOPPED, timeout=1000)
    assert controller.play_action.text() == "Play"


def test_loop_toggle_loops_the_region_and_jumps_into_it(
        controller: TransportController, engine: MixerEngine,
        track: dict[str, object]) -> None:
    _load(controller, track, stems=False)
    assert not controller.loop_action.isEnabled()  # no loop chosen yet
    controller.set_loop_region(0.5, 1.0)
    assert controller.loop_action.isEnabled()
    with_loop = []
    controller.loopToggled.connect(with_loop.append)
    controller.loop_action.trigger()  # L
    assert with_loop == [True]
    assert engine.mixer.loop == (round(0.5 * RATE), RATE)
    assert engine.mixer.position == round(0.5 * RATE)  # the playhead was outside
    controller.play()
    out = engine.pump(0.75)
    mix = track["mix_data"]
    np.testing.assert_array_equal(out, np.concatenate([mix[4000:8000], mix[4000:6000]]))
    controller.loop_action.trigger()
    assert engine.mixer.loop is None and with_loop == [True, False]


def test_metronome_toggle_and_level(qtbot: QtBot, controller: TransportController,
                                    engine: MixerEngine, track: dict[str, object]) -> None:
    bar = TransportBar(controller)
    qtbot.addWidget(bar)
    _load(controller, track, stems=False)
    controller.metronome_action.trigger()  # M
    assert engine.mixer.metronome == (True, -6.0)
    bar.level_box.setValue(-20)
    assert engine.mixer.metronome == (True, -20.0)
    controller.metronome_action.trigger()
    assert engine.mixer.metronome[0] is False


def test_transport_bar_shows_time_and_bar_beat(qtbot: QtBot, controller: TransportController,
                                               track: dict[str, object]) -> None:
    bar = TransportBar(controller)
    qtbot.addWidget(bar)
    assert bar.play_button.defaultAction() is controller.play_action
    _load(controller, track, stems=False)
    controller.seek(1.5)
    assert bar.time_label.text() == "00:01.500"
    assert bar.bar_beat_label.text() == "2.3"  # beats every 0.25 s, 4 to the bar
    assert bar.play_button.isEnabled()


def test_audition_a_hit_plays_without_moving_the_playhead(
        controller: TransportController, engine: MixerEngine,
        track: dict[str, object]) -> None:
    _load(controller, track, stems=False)
    controller.play_hit(1.0, 0.1)
    out = engine.pump(0.2)
    np.testing.assert_array_equal(out[:800], track["mix_data"][8000:8800])
    assert engine.mixer.position == 0


# -- stem mixer ------------------------------------------------------------------------------------


def test_stem_mixer_is_hidden_until_stems_exist(qtbot: QtBot,
                                                controller: TransportController,
                                                track: dict[str, object]) -> None:
    widget = StemMixerWidget(controller)
    qtbot.addWidget(widget)
    assert widget.isHidden() and widget.stem_names == []
    _load(controller, track, stems=False)
    assert widget.isHidden()
    _load(controller, track)
    assert not widget.isHidden()
    assert widget.stem_names == ["drums", "bass", "other"]


def test_strip_signals_carry_the_stem_and_the_value(qtbot: QtBot) -> None:
    widget = StemMixerWidget()
    qtbot.addWidget(widget)
    widget.set_stems(["drums", "bass"])
    strip = widget.strip_for("bass")
    with qtbot.waitSignal(widget.gainChanged) as gain:
        strip.slider.setValue(-65)  # tenths of a dB
    assert gain.args == ["bass", -6.5]
    assert strip.readout.text() == "−6.5 dB"
    with qtbot.waitSignal(widget.gainChanged) as gain:
        strip.slider.setValue(strip.slider.minimum())
    assert gain.args == ["bass", -math.inf] and strip.readout.text() == "−∞ dB"
    with qtbot.waitSignal(widget.muteChanged) as mute:
        qtbot.mouseClick(strip.mute_button, Qt.MouseButton.LeftButton)
    assert mute.args == ["bass", True]
    with qtbot.waitSignal(widget.soloChanged) as solo:
        qtbot.mouseClick(widget.strip_for("drums").solo_button, Qt.MouseButton.LeftButton)
    assert solo.args == ["drums", True]
    assert gain_text(3.0) == "+3.0 dB" and gain_text(0.0) == "0.0 dB"


def test_stem_controls_reach_the_mixer(qtbot: QtBot, controller: TransportController,
                                       engine: MixerEngine, track: dict[str, object]) -> None:
    widget = StemMixerWidget(controller)
    qtbot.addWidget(widget)
    _load(controller, track)
    data = track["data"]
    widget.strip_for("drums").set_gain_db(-6.0)
    assert engine.mixer.stem_state("drums").gain_db == -6.0
    qtbot.mouseClick(widget.strip_for("bass").mute_button, Qt.MouseButton.LeftButton)
    assert engine.mixer.stem_state("bass").mute
    controller.play()
    g = 10 ** (-6 / 20)
    np.testing.assert_allclose(engine.pump(0.25), (data["drums"] * g + data["other"])[:2000],
                               rtol=1e-5, atol=1e-6)
    qtbot.mouseClick(widget.strip_for("bass").solo_button, Qt.MouseButton.LeftButton)
    assert engine.mixer.audible_stems() == ("bass",)
    np.testing.assert_allclose(engine.pump(0.25), data["bass"][2000:4000], atol=1e-7)
    widget.strip_for("bass").solo_button.click()
    widget.strip_for("bass").mute_button.click()
    widget.strip_for("drums").mouseDoubleClickEvent(None)  # back to 0 dB: neutral → the mix
    assert not engine.mixer.uses_stems
    np.testing.assert_array_equal(engine.pump(0.25), track["mix_data"][4000:6000])
