"""The producer's flow in the window: analyse a generated drum & bass clip, see every view filled
from the model, pick and move the loop, export MIDI (file checked), flip the tempo, separate."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from pytestqt.qtbot import QtBot

from app.main_window import MainWindow
from app.models.session_model import TrackStatus
from core.devset import ClipSpec, render_clip

TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def dnb_wav(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """12 bars of 174 BPM drum & bass (full mix) and its ground truth."""
    clip = render_clip(ClipSpec(style="dnb", bpm=174.0, bars=12, kit="synth:1", seed=4,
                                mix="full", drum_to_rest_db=0.0, lead_in=0.2))
    path = tmp_path_factory.mktemp("flow") / "roller.wav"
    sf.write(path, clip.samples.T, clip.sample_rate, subtype="PCM_24")
    return path, clip.truth


def _analysed(qtbot: QtBot, window: MainWindow, path: Path) -> str:
    (track_id,) = window.open_paths([path])
    qtbot.waitUntil(lambda: window.session.track(track_id).status is TrackStatus.DONE,
                    timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(window.session.track(track_id).loops), timeout=TIMEOUT_MS)
    return track_id


def test_views_fill_from_the_model_and_the_loop_is_chosen(qtbot: QtBot, window: MainWindow,
                                                           dnb_wav) -> None:
    path, truth = dnb_wav
    track_id = _analysed(qtbot, window, path)
    views = window.track_views
    qtbot.waitUntil(lambda: views.waveform.pyramid is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: views.spectrogram.image is not None, timeout=TIMEOUT_MS)
    entry = window.session.track(track_id)
    assert entry.analysis.tempo_bpm == pytest.approx(174, abs=1)
    assert "kick" in views.drums.lanes and "snare" in views.drums.lanes
    # the best loop is drawn on the views and listed in the loop panel
    assert entry.loop is not None and views.loop_model.has_loop
    start, end, bars = entry.loop
    assert bars == 4 and views.loop_model.loop[0] == pytest.approx(start)
    assert np.min(np.abs(np.array(truth.downbeats) - start)) < 0.03
    assert window.loop_panel.list.count() == len(entry.loops)
    # choose the runner-up in the panel: the session and the views follow
    window.loop_panel.list.setCurrentRow(1)
    second = entry.loops[1]
    assert window.session.track(track_id).loop[:2] == (second.start, second.end)
    assert views.loop_model.loop[0] == pytest.approx(second.start)
    # drag the loop on the waveform (through its model): snapped to bars, stored in the session
    views.loop_model.set_loop(start + 0.3, end + 0.3)
    moved = window.session.track(track_id).loop
    assert moved[2] == 4 and min(abs(np.array(entry.analysis.downbeats) - moved[0])) < 1e-6


def test_export_midi_from_the_window(qtbot: QtBot, window: MainWindow, dnb_wav,
                                     tmp_path: Path) -> None:
    path, _ = dnb_wav
    _analysed(qtbot, window, path)
    assert window.actions_.export_midi.isEnabled()
    dialog = window.export_midi()
    assert dialog is not None
    out_dir = tmp_path / "export"
    out_dir.mkdir()
    dialog.folder_edit.setText(str(out_dir))
    dialog.name_edit.setText("roller-loop")
    written: list = []
    dialog.exported.connect(written.extend)
    dialog.request_export()
    qtbot.waitUntil(lambda: bool(written), timeout=TIMEOUT_MS)
    midi = mido.MidiFile(written[0])
    assert midi.ticks_per_beat == 480
    notes = [m for t in midi.tracks for m in t if m.type == "note_on" and m.velocity > 0]
    assert notes and {m.channel for m in notes} == {9}
    assert {m.note for m in notes} & {36, 38}  # kick and snare
    assert window.loop_panel.drag_handle.files() == [Path(p) for p in written]


def test_tempo_flip_rederives_the_grid(qtbot: QtBot, window: MainWindow, dnb_wav) -> None:
    path, _ = dnb_wav
    track_id = _analysed(qtbot, window, path)
    before = window.session.track(track_id).analysis
    window.actions_.tempo_half.trigger()
    qtbot.waitUntil(lambda: (window.session.track(track_id).analysis is not None and
                             window.session.track(track_id).analysis is not before),
                    timeout=TIMEOUT_MS)
    after = window.session.track(track_id).analysis
    assert after.tempo_bpm == pytest.approx(before.tempo_bpm / 2, rel=0.02)
    assert len(after.beats) == pytest.approx(len(before.beats) / 2, rel=0.1)
    # The loops are ranked again on the new grid (bars twice as long now).
    qtbot.waitUntil(lambda: bool(window.session.track(track_id).loops), timeout=TIMEOUT_MS)
    loop = window.session.track(track_id).loops[0]
    bar_s = 4 * 60.0 / after.tempo_bpm
    assert loop.end - loop.start == pytest.approx(loop.bars * bar_s, rel=0.05)


def test_view_jobs_run_one_at_a_time(qtbot: QtBot, window: MainWindow, dnb_wav) -> None:
    path, _ = dnb_wav
    running: list[int] = []
    seen: list[str] = []

    def started(worker: object) -> None:
        # At each start (not sampled on a timer: a short job can begin and end between ticks).
        kinds = [kind for kind, _ in window.media._running if kind != "separate"]
        new = [kind for (kind, _), w in window.media._running.items() if w is worker]
        seen.extend(kind for kind in new if kind != "separate")
        running.append(len(kinds))

    window.context.runner.worker_started.connect(started)
    track_id = _analysed(qtbot, window, path)
    qtbot.waitUntil(lambda: window.track_views.spectrogram.image is not None,
                    timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(window.session.track(track_id).loops), timeout=TIMEOUT_MS)
    window.context.runner.worker_started.disconnect(started)
    assert seen == ["peaks", "spectrogram", "loops"]
    assert max(running) == 1


def test_separation_adds_stems_and_reanalyses(
        qtbot: QtBot, make_context, dnb_wav) -> None:
    path, _ = dnb_wav
    context = make_context(**{"separation.model": "classic"})
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    track_id = _analysed(qtbot, window, path)
    window.actions_.separate.trigger()
    qtbot.waitUntil(lambda: bool(window.session.track(track_id).stems), timeout=TIMEOUT_MS)
    entry = window.session.track(track_id)
    assert set(entry.stem_files) == {"drums", "bass", "other"}
    assert "classic" in entry.separation
    qtbot.waitUntil(lambda: window.session.track(track_id).status is TrackStatus.DONE,
                    timeout=TIMEOUT_MS)
    # the offline separator's drum stem is not used for drums (it measured worse than the mix)
    assert "from the mix" in window.session.track(track_id).analysis.backend("drums").name
    assert window.stems_dock.isVisible()
    window.shutdown()
