"""Playback core on real generated signals: mixer arithmetic, loop, metronome, streaming
readers (against soundfile and soxr), and the engine without a sound card."""

from __future__ import annotations

import builtins
import math
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from core.errors import AudioLoadError, InvalidParameter
from core.playback import (
    ArraySource,
    Mixer,
    OfflineStream,
    PlaybackEngine,
    StreamingReader,
    bar_beat,
    bar_beat_text,
    clock_text,
    db_to_gain,
)
from core.playback.engine import audio_output_status
from core.playback.mixer import ACCENT_DB, CLICK_SECONDS

RATE = 44100


def ramp_signal(frames: int, channels: int = 2) -> np.ndarray:
    """Every sample distinct: ``[frames, channels]`` float32, channel k offset by k."""
    base = (np.arange(frames, dtype=np.float64) / frames)[:, np.newaxis]
    return (base + np.arange(channels) * 1e-3).astype(np.float32) * 0.5


def noise(frames: int, channels: int = 2, seed: int = 0, amplitude: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, channels)) * amplitude).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE,
              subtype: str = "FLOAT") -> Path:
    sf.write(str(path), samples, rate, subtype=subtype)
    return path


def exact_mixer(**sources: np.ndarray) -> Mixer:
    """A mixer with instant gains over in-memory stems (``mix`` = the given ``mix`` key)."""
    mixer = Mixer(RATE, 2, block_frames=512, ramp_frames=0)
    mix = sources.pop("mix", None)
    mixer.set_sources(ArraySource(mix) if mix is not None else None,
                      {name: ArraySource(x) for name, x in sources.items()})
    return mixer


# -- mixer: transport ---------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1000, 37, 512, 4096])
def test_loop_wraps_on_the_exact_sample(chunk: int) -> None:
    src = ramp_signal(5000)
    mixer = exact_mixer(mix=src)
    mixer.set_loop(1000, 1500)
    mixer.seek(1200)
    mixer.play()
    total = 1000
    pieces = []
    left = total
    while left:
        n = min(chunk, left)
        pieces.append(mixer.render(n))
        left -= n
    out = np.concatenate(pieces)
    expected_index = np.concatenate([np.arange(1200, 1500), np.arange(1000, 1500),
                                     np.arange(1000, 1200)])
    np.testing.assert_array_equal(out, src[expected_index])
    assert mixer.position == 1200
    assert mixer.playing


def test_seek_plays_from_the_new_frame_and_pause_holds_it() -> None:
    src = ramp_signal(20000)
    mixer = exact_mixer(mix=src)
    mixer.play()
    np.testing.assert_array_equal(mixer.render(100), src[:100])
    mixer.seek(12345)
    np.testing.assert_array_equal(mixer.render(300), src[12345:12645])
    mixer.seek_seconds(0.25)
    start = round(0.25 * RATE)
    np.testing.assert_array_equal(mixer.render(10), src[start:start + 10])
    mixer.pause()
    assert not np.any(mixer.render(256))
    assert mixer.position == start + 10
    mixer.play()
    np.testing.assert_array_equal(mixer.render(5), src[start + 10:start + 15])


def test_playback_stops_at_the_end_and_stop_rewinds() -> None:
    src = ramp_signal(1000)
    mixer = exact_mixer(mix=src)
    mixer.seek(900)
    mixer.play()
    out = mixer.render(300)
    np.testing.assert_array_equal(out[:100], src[900:])
    assert not np.any(out[100:])
    assert not mixer.playing and mixer.ended
    mixer.play()  # from the start again
    np.testing.assert_array_equal(mixer.render(3), src[:3])
    mixer.set_loop(200, 400)
    mixer.stop()
    assert mixer.position == 200 and not mixer.playing


def test_invalid_loop_is_refused() -> None:
    mixer = exact_mixer(mix=ramp_signal(1000))
    with pytest.raises(InvalidParameter):
        mixer.set_loop(500, 500)
    with pytest.raises(InvalidParameter):
        mixer.set_loop(-1, 10)


# -- mixer: stems ---------------------------------------------------------------------------------


@pytest.fixture
def stems() -> dict[str, np.ndarray]:
    frames = 4000
    return {"drums": noise(frames, seed=1), "bass": noise(frames, seed=2),
            "other": noise(frames, seed=3)}


def _play(mixer: Mixer, frames: int = 4000) -> np.ndarray:
    mixer.seek(0)
    mixer.play()
    return mixer.render(frames)


def test_neutral_stems_play_the_original_mix(stems: dict[str, np.ndarray]) -> None:
    mix = stems["drums"] + stems["bass"] + stems["other"] + 0.01  # not exactly the sum
    mixer = exact_mixer(mix=mix, **stems)
    assert not mixer.uses_stems
    np.testing.assert_array_equal(_play(mixer), mix)


def test_stems_sum_equals_the_mix(stems: dict[str, np.ndarray]) -> None:
    mix = stems["drums"] + stems["bass"] + stems["other"]
    mixer = exact_mixer(mix=mix, **stems)
    for name in stems:  # all soloed: the stems are summed, every one at 0 dB
        mixer.set_stem(name, solo=True)
    assert mixer.uses_stems
    np.testing.assert_allclose(_play(mixer), mix, atol=2e-7)


def test_gain_mute_and_solo_arithmetic_in_db(stems: dict[str, np.ndarray]) -> None:
    d, b, o = stems["drums"], stems["bass"], stems["other"]
    mixer = exact_mixer(mix=d + b + o, **stems)
    mixer.set_stem("drums", gain_db=-6.0)
    g = 10 ** (-6.0 / 20)
    np.testing.assert_allclose(_play(mixer), d * g + b + o, rtol=1e-6, atol=1e-7)
    mixer.set_stem("bass", mute=True)
    np.testing.assert_allclose(_play(mixer), d * g + o, rtol=1e-6, atol=1e-7)
    mixer.set_stem("other", solo=True)
    np.testing.assert_allclose(_play(mixer), o, rtol=1e-6, atol=1e-7)
    mixer.set_stem("bass", solo=True)  # solo wins over mute; solos add up
    np.testing.assert_allclose(_play(mixer), b + o, rtol=1e-6, atol=1e-7)
    assert mixer.audible_stems() == ("bass", "other")
    mixer.set_stem("bass", solo=False)
    mixer.set_stem("other", solo=False, gain_db=+3.0)
    np.testing.assert_allclose(_play(mixer), d * g + o * 10 ** (3 / 20), rtol=1e-6, atol=1e-7)
    mixer.set_stem("drums", gain_db=-math.inf)
    np.testing.assert_allclose(_play(mixer), o * 10 ** (3 / 20), rtol=1e-6, atol=1e-7)
    assert mixer.stem_state("drums").gain_db == -math.inf
    assert db_to_gain(-20.0) == pytest.approx(0.1)
    with pytest.raises(InvalidParameter):
        mixer.set_stem("vocals", mute=True)


def test_gain_changes_glide_without_a_jump(stems: dict[str, np.ndarray]) -> None:
    const = {name: np.full((8000, 2), 0.25, dtype=np.float32) for name in stems}
    mixer = Mixer(RATE, 2, ramp_frames=441)
    mixer.set_sources(ArraySource(sum(const.values())),
                      {n: ArraySource(x) for n, x in const.items()})
    mixer.play()
    before = mixer.render(1000)
    mixer.set_stem("drums", mute=True)  # mix → stems crossfade and the drums fade out
    after = mixer.render(2000)
    np.testing.assert_allclose(before, 0.75)
    steps = np.abs(np.diff(np.concatenate([before, after])[:, 0]))
    assert steps.max() < 0.25 / 441 * 1.01  # a linear glide, no step
    np.testing.assert_allclose(after[441:], 0.5, atol=1e-6)


# -- mixer: metronome -----------------------------------------------------------------------------


def test_clicks_land_on_the_beat_samples_accented_on_downbeats() -> None:
    frames = 3 * RATE
    mixer = exact_mixer(mix=np.zeros((frames, 2), dtype=np.float32))
    beats = [0.5, 0.9876543, 1.5, 2.0, 2.5]
    mixer.set_beats(beats, downbeats=[0.5, 2.0])
    mixer.set_metronome(True, level_db=-6.0)
    mixer.play()
    out = mixer.render(frames)[:, 0]
    starts = [int(i) for i in np.flatnonzero(out) if i == 0 or out[i - 1] == 0.0]
    assert starts == [round(t * RATE) for t in beats]
    level = db_to_gain(-6.0)
    assert out[round(0.5 * RATE)] == pytest.approx(level, rel=1e-6)
    assert out[round(1.5 * RATE)] == pytest.approx(level * db_to_gain(-ACCENT_DB), rel=1e-6)
    click = round(CLICK_SECONDS * RATE)
    assert not np.any(out[round(0.5 * RATE) + click:round(0.9876543 * RATE)])
    mixer.set_metronome(False)
    mixer.seek(0)
    mixer.play()
    assert not np.any(mixer.render(frames))


def test_clicks_follow_the_loop_and_block_edges() -> None:
    frames = 2 * RATE
    mixer = Mixer(RATE, 2, block_frames=333, ramp_frames=0)
    mixer.set_sources(ArraySource(np.zeros((frames, 2), dtype=np.float32)))
    beat_frames = [10_000, 20_000]
    mixer.set_beats([f / RATE for f in beat_frames], [10_000 / RATE])
    mixer.set_metronome(True, -12.0)
    mixer.set_loop(9_000, 21_000)
    mixer.seek(9_000)
    mixer.play()
    out = mixer.render(24_000)[:, 1]  # two passes through the loop
    starts = [int(i) for i in np.flatnonzero(out) if i == 0 or out[i - 1] == 0.0]
    assert starts == [1_000, 11_000, 13_000, 23_000]


def test_one_shot_voice_plays_while_stopped() -> None:
    mixer = exact_mixer(mix=np.zeros((1000, 2), dtype=np.float32))
    hit = noise(300, seed=9)
    mixer.trigger(ArraySource(hit))
    out = mixer.render(500)
    np.testing.assert_array_equal(out[:300], hit)
    assert not np.any(out[300:]) and mixer.voices == 0 and mixer.position == 0


# -- timeline --------------------------------------------------------------------------------------


def test_clock_and_bar_beat_text() -> None:
    assert clock_text(0) == "00:00.000"
    assert clock_text(83.4567) == "01:23.457"
    assert clock_text(3600 + 2.125) == "60:02.125"
    beats = [0.5 * k for k in range(16)]
    downbeats = beats[::4]
    assert bar_beat(0.0, beats, downbeats) == (1, 1)
    assert bar_beat(0.74, beats, downbeats) == (1, 2)
    assert bar_beat(2.0, beats, downbeats) == (2, 1)
    assert bar_beat_text(3.6, beats, downbeats) == "2.4"
    assert bar_beat_text(1.0, [], []) == "–.–"


# -- streaming reader ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stereo_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("playback")
    return write_wav(folder / "noise.wav", noise(3 * RATE + 77, seed=4), RATE, "PCM_24")


def _reference(path: Path, start: int, frames: int) -> np.ndarray:
    data, _ = sf.read(str(path), start=start, frames=frames, dtype="float32", always_2d=True)
    out = np.zeros((frames, 2), dtype=np.float32)
    out[:data.shape[0]] = data
    return out


SEEKS = [0, 4096, 100_000, 3_000, 131_000, 60_000, 132_300]


@pytest.mark.parametrize("threaded", [False, True])
def test_reader_matches_soundfile_exactly_across_seeks(stereo_wav: Path, threaded: bool) -> None:
    reader = StreamingReader(stereo_wav, RATE, 2, block_frames=4096, prefetch_seconds=0.5,
                             prefetcher=None if threaded else False)
    try:
        assert reader.frames == sf.info(str(stereo_wav)).frames and not reader.resampling
        out = np.empty((5000, 2), dtype=np.float32)
        for start in SEEKS:
            assert reader.wait_ready(start, 5000, timeout_s=5.0)
            assert reader.read(start, out)
            np.testing.assert_array_equal(out, _reference(stereo_wav, start, 5000))
        assert reader.underruns == 0
    finally:
        reader.close()


@pytest.mark.parametrize(("file_rate", "out_rate"), [(44100, 48000), (48000, 44100)])
def test_reader_resamples_like_soxr_over_the_whole_file(tmp_path: Path, file_rate: int,
                                                        out_rate: int) -> None:
    samples = noise(2 * file_rate + 1234, seed=5)
    path = write_wav(tmp_path / "x.wav", samples, file_rate)
    whole = soxr.resample(samples, file_rate, out_rate, "HQ")
    reader = StreamingReader(path, out_rate, 2, block_frames=2048, prefetch_seconds=0.2,
                             prefetcher=False)
    try:
        assert reader.frames == whole.shape[0]
        out = np.empty((3000, 2), dtype=np.float32)
        first_pass: dict[int, np.ndarray] = {}
        for start in [0, 50_000, 7_001, whole.shape[0] - 3000, 50_000, 7_001]:
            assert reader.wait_ready(start, 3000)
            reader.read(start, out)
            np.testing.assert_allclose(out, whole[start:start + 3000], atol=2e-6)
            if start in first_pass:  # the same samples whatever was read before
                np.testing.assert_array_equal(out, first_pass[start])
            first_pass[start] = out.copy()
    finally:
        reader.close()


def test_reader_maps_mono_to_stereo_and_reads_silence_past_the_end(tmp_path: Path) -> None:
    mono = noise(10_000, channels=1, seed=6)
    reader = StreamingReader(write_wav(tmp_path / "m.wav", mono), RATE, 2, prefetcher=False)
    try:
        out = np.empty((600, 2), dtype=np.float32)
        assert reader.wait_ready(9_700, 600)
        assert reader.read(9_700, out)
        np.testing.assert_array_equal(out[:300, 0], mono[9_700:, 0])
        np.testing.assert_array_equal(out[:, 0], out[:, 1])
        assert not np.any(out[300:])
    finally:
        reader.close()


def test_reader_reports_an_underrun_instead_of_waiting(stereo_wav: Path) -> None:
    reader = StreamingReader(stereo_wav, RATE, 2, prefetcher=False)
    try:
        out = np.ones((256, 2), dtype=np.float32)
        assert not reader.read(50_000, out)  # nothing decoded yet: silence, not a wait
        assert not np.any(out) and reader.underruns == 1
    finally:
        reader.close()


def test_reader_prefetches_across_the_loop_wrap(stereo_wav: Path) -> None:
    reader = StreamingReader(stereo_wav, RATE, 2, block_frames=1024, prefetch_seconds=0.2,
                             prefetcher=False)
    mixer = Mixer(RATE, 2, block_frames=512, ramp_frames=0)
    try:
        mixer.set_sources(reader)
        mixer.set_loop(10_000, 30_000)
        assert reader.wait_ready(28_000, 100)
        reader.follow(28_000)
        assert 10_000 // 1024 in reader.wanted_blocks()  # the loop start is prefetched
        mixer.seek(28_000)
        mixer.play()
        outs = []
        for _ in range(12):  # 6144 frames: across the wrap at 30 000
            reader.prefetch()
            outs.append(mixer.render(512))
        got = np.concatenate(outs)
        expected = np.concatenate([_reference(stereo_wav, 28_000, 2_000),
                                   _reference(stereo_wav, 10_000, 4_144)])
        np.testing.assert_array_equal(got, expected)
        assert mixer.underruns == 0 and reader.underruns == 0
    finally:
        reader.close()


def test_a_60_minute_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    rate = 8000
    path = tmp_path / "hour.wav"
    with sf.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as handle:
        for minute in range(60):
            t = np.arange(60 * rate) / rate
            handle.write((0.3 * np.sin(2 * np.pi * (100 + minute) * t)).astype(np.float32))
    whole_bytes = 60 * 60 * rate * 4
    tracemalloc.start()
    try:
        reader = StreamingReader(path, rate, 1, prefetcher=False)
        out = np.empty((4000, 1), dtype=np.float32)
        start = 59 * 60 * rate + 123
        assert reader.wait_ready(start, 4000)
        reader.read(start, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert reader.frames == 60 * 60 * rate
        assert reader.buffer_bytes < whole_bytes / 50
        assert peak < whole_bytes / 10, f"peak {peak / 1e6:.1f} MB"
        expected, _ = sf.read(str(path), start=start, frames=4000, dtype="float32",
                              always_2d=True)
        np.testing.assert_array_equal(out, expected)
    finally:
        reader.close()


def test_reader_refuses_a_file_that_is_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    with pytest.raises(AudioLoadError):
        StreamingReader(bad, RATE, 2, prefetcher=False)


# -- engine ----------------------------------------------------------------------------------------


def test_available_reports_instead_of_raising() -> None:
    ok, reason = PlaybackEngine.available()
    assert isinstance(ok, bool) and isinstance(reason, str) and reason
    import sounddevice as sd

    if not any(d["max_output_channels"] > 0 for d in sd.query_devices()):
        assert (ok, reason) == (False, "no audio output device found")


def test_available_without_devices_or_portaudio(monkeypatch: pytest.MonkeyPatch) -> None:
    import sounddevice as sd

    monkeypatch.setattr(sd, "query_devices", lambda *a, **k: [])
    assert audio_output_status() == (False, "no audio output device found")

    def broken(*args: object, **kwargs: object) -> object:
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", broken)
    ok, reason = audio_output_status()
    assert not ok and "device" in reason

    real_import = builtins.__import__

    def no_portaudio(name: str, *args: object, **kwargs: object) -> object:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "sounddevice")
    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    ok, reason = audio_output_status()
    assert not ok and "PortAudio" in reason


def test_engine_without_a_device_refuses_to_load_with_the_reason(stereo_wav: Path) -> None:
    ok, reason = PlaybackEngine.available()
    if ok:
        pytest.skip("this machine has an audio output")
    engine = PlaybackEngine()
    try:
        with pytest.raises(Exception, match=reason):
            engine.load(stereo_wav)
    finally:
        engine.close()


@pytest.fixture
def offline_engine() -> PlaybackEngine:
    engine = PlaybackEngine(sample_rate=RATE, stream_factory=OfflineStream)
    yield engine
    engine.close()


def test_engine_commands_reach_the_mixer_through_the_callback(
        tmp_path: Path, offline_engine: PlaybackEngine) -> None:
    drums, bass = noise(RATE, seed=7), noise(RATE, seed=8)
    mix = write_wav(tmp_path / "mix.wav", drums + bass)
    stem_files = {"drums": write_wav(tmp_path / "drums.wav", drums),
                  "bass": write_wav(tmp_path / "bass.wav", bass)}
    engine = offline_engine
    engine.load(mix, stem_files, beats=[0.25, 0.5], downbeats=[0.25])
    assert engine.stem_names == ("drums", "bass") and engine.duration == pytest.approx(1.0)
    stream = engine.stream
    engine.play()
    assert engine.is_playing()
    np.testing.assert_array_equal(stream.pull(1000), drums[:1000] + bass[:1000])
    assert engine.position() == pytest.approx(1000 / RATE, abs=0.5)
    engine.seek(0.5)
    assert engine.position() == 0.5  # the pending seek reads as its target
    assert engine.wait_ready()
    np.testing.assert_array_equal(stream.pull(100), (drums + bass)[22050:22150])
    engine.pause()
    engine.set_stem("bass", mute=True)  # stopped: the gain jumps (it glides while playing)
    stream.pull(10)
    engine.seek(0.6)
    engine.play()
    assert engine.wait_ready()
    start = round(0.6 * RATE)
    np.testing.assert_allclose(stream.pull(500), drums[start:start + 500], atol=1e-7)
    engine.set_loop(0.1, 0.2)
    with pytest.raises(InvalidParameter):
        engine.set_loop(0.3, 0.2)
    with pytest.raises(InvalidParameter):
        engine.set_stem("vocals", solo=True)
    engine.stop()
    assert engine.position() == pytest.approx(0.1, abs=1e-4)
    stream.pull(10)
    assert not engine.is_playing()
    assert engine.callback_errors == 0 and engine.last_error is None


def test_engine_auditions_a_hit_without_moving_the_transport(
        tmp_path: Path, offline_engine: PlaybackEngine) -> None:
    samples = noise(RATE, seed=10)
    path = write_wav(tmp_path / "mix.wav", samples)
    engine = offline_engine
    engine.load(path)
    engine.play_hit(0.5, duration_s=0.1)
    out = engine.stream.pull(round(0.2 * RATE))
    onset = round(0.005 * RATE)
    hit_frames = round(0.105 * RATE)
    middle = slice(onset + 10, hit_frames - round(0.03 * RATE) - 10)
    np.testing.assert_allclose(out[middle], samples[22050 + 10:22050 + middle.stop - onset],
                               atol=1e-6)
    assert not np.any(out[hit_frames + 1:])
    assert engine.position() == 0.0 and not engine.is_playing()


def test_engine_end_of_track_is_reported(tmp_path: Path,
                                         offline_engine: PlaybackEngine) -> None:
    path = write_wav(tmp_path / "short.wav", noise(2000, seed=11))
    engine = offline_engine
    engine.load(path)
    engine.play()
    engine.stream.pull(4096)
    assert not engine.is_playing() and engine.ended()
    engine.close()
    with pytest.raises(Exception, match="closed"):
        engine.play()


def test_a_new_track_retires_and_closes_the_old_readers(
        tmp_path: Path, offline_engine: PlaybackEngine) -> None:
    first = write_wav(tmp_path / "a.wav", noise(RATE, seed=12))
    second = write_wav(tmp_path / "b.wav", noise(RATE // 2, seed=13))
    engine = offline_engine
    engine.load(first)
    old = list(engine._sources)
    engine.stream.pull(64)
    engine.load(second)
    engine.stream.pull(64)  # the audio thread swaps the sources and hands the old ones back
    assert engine.position() == 0.0  # the control thread closes them here
    assert all(reader._closed for reader in old)
    assert engine.duration == pytest.approx(0.5)


def test_commands_from_another_thread_while_audio_renders(
        tmp_path: Path, offline_engine: PlaybackEngine) -> None:
    import threading

    drums, bass = noise(2 * RATE, seed=14), noise(2 * RATE, seed=15)
    engine = offline_engine
    engine.load(write_wav(tmp_path / "mix.wav", drums + bass),
                {"drums": write_wav(tmp_path / "d.wav", drums),
                 "bass": write_wav(tmp_path / "b.wav", bass)}, beats=[0.5, 1.0, 1.5])
    stop = threading.Event()
    blocks = []

    def audio_thread() -> None:
        while not stop.is_set():
            blocks.append(float(np.abs(engine.stream.pull(256)).max()))

    thread = threading.Thread(target=audio_thread)
    thread.start()
    try:
        rng = np.random.default_rng(0)
        engine.play()
        for step in range(300):
            choice = step % 6
            if choice == 0:
                engine.seek(float(rng.uniform(0, 2)))
            elif choice == 1:
                engine.set_stem("drums", gain_db=float(rng.uniform(-30, 6)))
            elif choice == 2:
                engine.set_stem("bass", mute=bool(rng.integers(2)), solo=bool(rng.integers(2)))
            elif choice == 3:
                engine.set_loop(0.25, 0.75) if rng.integers(2) else engine.set_loop(0, None)
            elif choice == 4:
                engine.set_metronome(bool(rng.integers(2)), -12.0)
            else:
                engine.play()
            engine.position()
    finally:
        stop.set()
        thread.join(5)
    assert blocks and engine.callback_errors == 0 and engine.last_error is None
    assert max(blocks) < 4.0  # no garbage (torn blocks would still be bounded, NaN not)
