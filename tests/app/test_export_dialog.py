"""Export MIDI dialog and the drag handle (offscreen)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from app.context import AppContext
from app.dialogs.export_dialog import AUTO_GRID, CUSTOM_MAP, ExportMidiDialog
from app.widgets.drag_handle import DragHandle
from app.workers.worker import Worker
from core.analysis.loops import LoopCandidate
from core.config import Config, load_config
from core.midi.loop_pipeline import LoopMidiOptions


def config(**overrides: object) -> Config:
    return load_config(use_user_file=False, env={}, overrides=overrides)


@pytest.fixture
def track(tmp_path: Path) -> Path:
    path = tmp_path / "music" / "amen break.wav"
    path.parent.mkdir()
    path.write_bytes(b"")  # the dialog never reads it
    return path


CANDIDATES = [
    LoopCandidate(start=12.345, end=17.862, bars=4, first_bar=8, score=0.871),
    LoopCandidate(start=40.0, end=45.517, bars=4, first_bar=28, score=0.66),
]


def make(qtbot: QtBot, track: Path, cfg: Config | None = None, **kwargs: object,
         ) -> ExportMidiDialog:
    dialog = ExportMidiDialog(cfg or config(), track, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def test_defaults_come_from_the_export_section(qtbot: QtBot, track: Path,
                                               tmp_path: Path) -> None:
    cfg = config(**{"export.bars": 8, "export.quantize": "1/32", "export.strength": 75,
                    "export.swing": "straight", "export.drum_map": "maschine",
                    "export.out_dir": str(tmp_path / "exports")})
    dialog = make(qtbot, track, cfg)
    assert dialog.bars_combo.currentData() == 8
    assert dialog.grid_combo.currentData() == "1/32"
    assert dialog.strength_spin.value() == 75
    assert dialog.swing_combo.currentData() == "straight"
    assert dialog.map_combo.currentData() == "maschine"
    assert dialog.folder_edit.text() == str(tmp_path / "exports")
    options = dialog.options()
    assert isinstance(options, LoopMidiOptions)
    assert (options.bars, options.rank, options.drum_map) == (8, 1, "maschine")
    assert (options.quantize.grid, options.quantize.strength, options.quantize.swing) == (
        "1/32", 0.75, "straight")
    assert options.midi_out == str(tmp_path / "exports" / "amen break.loop.mid")
    assert options.audio_out == str(tmp_path / "exports" / "amen break.loop.wav")
    assert not options.overwrite and not options.auto_grid


def test_default_folder_is_the_tracks_and_the_defaults_match_default_yaml(
        qtbot: QtBot, track: Path) -> None:
    dialog = make(qtbot, track)
    defaults = config()
    assert dialog.folder_edit.text() == str(track.parent)
    assert dialog.bars == defaults.get("export.bars")
    assert dialog.grid == defaults.get("export.quantize")
    assert dialog.strength_spin.value() == defaults.get("export.strength")
    assert dialog.drum_map_value == defaults.get("export.drum_map")
    assert not dialog.stems_check.isVisibleTo(dialog)  # no stems passed


def test_options_reflect_the_widgets(qtbot: QtBot, track: Path) -> None:
    stems = {"drums": track.with_name("amen break.drums.flac"),
             "bass": track.with_name("amen break.bass.flac")}
    dialog = make(qtbot, track, candidates=CANDIDATES, stems=stems)
    assert dialog.rank_combo.count() == 2
    first = dialog.rank_combo.itemText(0)
    assert "00:12.345" in first and "0.87" in first and "bars 9–12" in first
    dialog.rank_combo.setCurrentIndex(1)
    dialog.grid_combo.setCurrentIndex(dialog.grid_combo.findData(AUTO_GRID))
    dialog.strength_spin.setValue(40)
    dialog.swing_combo.setCurrentIndex(dialog.swing_combo.findData("straight"))
    dialog.map_combo.setCurrentIndex(dialog.map_combo.findData("ableton-drum-rack"))
    dialog.note_length_combo.setCurrentIndex(dialog.note_length_combo.findData("to_next"))
    dialog.name_edit.setText("break")
    dialog.stems_check.setChecked(True)
    options = dialog.options()
    assert options.rank == 2 and options.auto_grid and options.quantize.grid == "1/16"
    assert options.quantize.strength == pytest.approx(0.4)
    assert options.quantize.swing == "straight" and options.note_length == "to_next"
    assert options.drum_map == "ableton-drum-rack"
    assert options.midi_out == str(track.parent / "break.mid")
    assert options.stems == {name: str(path) for name, path in stems.items()}
    assert [p.name for p in dialog.outputs()] == [
        "break.mid", "break.wav", "break.drums.wav", "break.bass.wav"]
    dialog.audio_check.setChecked(False)  # no audio loop: no stem loops either
    assert not dialog.stems_check.isEnabled()
    options = dialog.options()
    assert options.audio_out is None and options.stems == {}
    dialog.bars_combo.setCurrentIndex(dialog.bars_combo.findData(2))  # no candidates for 2
    assert dialog.rank_combo.itemText(0) == "1 (best)" and dialog.rank == 2
    assert dialog.options().bars == 2


def test_invalid_destination_is_shown_inline_and_blocks_export(qtbot: QtBot,
                                                               track: Path) -> None:
    dialog = make(qtbot, track)
    dialog.name_edit.setText("")
    assert not dialog.export_button.isEnabled()
    assert "name" in dialog.status_label.text()
    dialog.name_edit.setText("sub/dir.mid")
    assert not dialog.export_button.isEnabled()
    dialog.name_edit.setText("ok.mid")
    assert dialog.export_button.isEnabled() and dialog.status_label.text() == ""


def test_an_existing_destination_asks_before_overwriting(qtbot: QtBot, track: Path) -> None:
    calls: list[LoopMidiOptions] = []
    dialog = make(qtbot, track, export=lambda options: calls.append(options))
    existing = dialog.midi_path()
    existing.write_bytes(b"MThd old")
    asked: list[list[Path]] = []

    def refuse(paths: list[Path]) -> bool:
        asked.append(list(paths))
        return False

    dialog.confirm_overwrite = refuse
    dialog.audio_check.toggle()
    dialog.audio_check.toggle()  # any change refreshes the summary
    assert "asked before they are replaced" in dialog.outputs_label.text()
    assert not dialog.request_export()
    assert asked == [[existing]] and calls == []
    assert existing.read_bytes() == b"MThd old"
    assert "kept" in dialog.status_label.text()

    dialog.confirm_overwrite = lambda paths: True
    with qtbot.waitSignal(dialog.exportRequested) as requested:
        assert dialog.request_export()
    assert requested.args[0].overwrite and calls[0].overwrite
    assert dialog.busy and not dialog.export_button.isEnabled()


def test_no_question_when_nothing_exists(qtbot: QtBot, track: Path) -> None:
    calls: list[LoopMidiOptions] = []
    dialog = make(qtbot, track, export=calls.append)

    def never(paths: list[Path]) -> bool:
        raise AssertionError("asked although nothing exists")

    dialog.confirm_overwrite = never
    dialog.folder_edit.setText(str(track.parent / "new" / "folder"))
    assert dialog.request_export()
    assert not calls[0].overwrite and (track.parent / "new" / "folder").is_dir()


def test_custom_drum_map_file(qtbot: QtBot, track: Path, tmp_path: Path) -> None:
    good = tmp_path / "pads.yaml"
    good.write_text("kick: 48\nsnare: 50\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("cowbell_xl: 3\n")
    dialog = make(qtbot, track)
    custom = dialog.map_combo.findData(CUSTOM_MAP)
    dialog.choose_drum_map_file = lambda: str(bad)
    dialog.map_combo.setCurrentIndex(custom)
    assert dialog.drum_map_value == "gm"  # reverted
    assert "Drum map not usable" in dialog.status_label.text()
    dialog.choose_drum_map_file = lambda: None  # cancelled
    dialog.map_combo.setCurrentIndex(dialog.map_combo.findData(CUSTOM_MAP))
    assert dialog.drum_map_value == "gm"
    dialog.choose_drum_map_file = lambda: str(good)
    dialog.map_combo.setCurrentIndex(dialog.map_combo.findData(CUSTOM_MAP))
    assert dialog.map_combo.currentText() == "pads.yaml"
    assert dialog.options().drum_map == str(good)


def test_a_custom_map_from_the_config_is_preselected(qtbot: QtBot, track: Path,
                                                     tmp_path: Path) -> None:
    mapping = tmp_path / "mine.json"
    mapping.write_text('{"kick": 35}')
    dialog = make(qtbot, track, config(**{"export.drum_map": str(mapping)}))
    assert dialog.drum_map_value == str(mapping)


def test_finished_export_enables_the_drag_handle(qtbot: QtBot, track: Path) -> None:
    def export(options: LoopMidiOptions) -> list[str]:
        Path(options.midi_out).write_bytes(b"MThd")
        Path(options.audio_out).write_bytes(b"RIFF")
        return [options.midi_out, options.audio_out]

    dialog = make(qtbot, track, export=export)
    assert not dialog.drag_handle.isEnabled()
    with qtbot.waitSignal(dialog.exported):
        dialog.request_export()
    assert dialog.drag_handle.isEnabled() and not dialog.busy
    assert "amen break.loop.mid" in dialog.status_label.text()
    urls = dialog.drag_handle.mime_data().urls()
    assert [u.toLocalFile() for u in urls] == [str(p.resolve()) for p in dialog.outputs()]


def test_export_in_a_worker_is_followed(qtbot: QtBot, track: Path,
                                        make_context: Callable[..., AppContext]) -> None:
    context = make_context()

    class Result:
        def __init__(self, written: list[Path]) -> None:
            self.written = tuple(written)

    def fake_loop_to_midi(options: LoopMidiOptions, *, progress: object = None,
                          cancel: object = None) -> Result:
        Path(options.midi_out).write_bytes(b"MThd")
        return Result([Path(options.midi_out)])

    def fails(options: LoopMidiOptions, *, progress: object = None,
              cancel: object = None) -> Result:
        raise RuntimeError("no drum hits in the loop")

    fn = fake_loop_to_midi
    dialog = make(qtbot, track, cfg=context.config,
                  export=lambda options: context.runner.start(Worker(fn, options)))
    dialog.audio_check.setChecked(False)
    with qtbot.waitSignal(dialog.exported, timeout=5000) as done:
        dialog.request_export()
    assert done.args[0] == [str(dialog.midi_path())]
    assert dialog.drag_handle.files() == [dialog.midi_path()]
    fn = fails
    dialog.confirm_overwrite = lambda paths: True
    dialog.request_export()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5000)
    assert "no drum hits" in dialog.status_label.text()
    assert dialog.export_button.isEnabled()


# -- drag handle -----------------------------------------------------------------------------------


def test_drag_handle_is_enabled_only_when_files_exist(qtbot: QtBot, tmp_path: Path) -> None:
    handle = DragHandle()
    qtbot.addWidget(handle)
    assert not handle.isEnabled()
    midi, wav = tmp_path / "loop.mid", tmp_path / "loop.wav"
    handle.set_files([midi, wav])
    assert not handle.isEnabled() and "export first" in handle.toolTip()
    midi.write_bytes(b"MThd")
    handle.refresh()
    assert handle.isEnabled() and handle.files() == [midi]
    wav.write_bytes(b"RIFF")
    handle.refresh()
    mime = handle.mime_data()
    assert mime.hasUrls()
    assert mime.urls() == [QUrl.fromLocalFile(str(midi.resolve())),
                           QUrl.fromLocalFile(str(wav.resolve()))]
    assert all(u.isLocalFile() for u in mime.urls())
    assert "loop.mid" in handle.toolTip() and "loop.wav" in handle.toolTip()
    midi.unlink()
    wav.unlink()
    handle.refresh()
    assert not handle.isEnabled()
