"""Track ▸ Export MIDI: choose the loop and how it is quantized, then export it.

:class:`ExportMidiDialog` only gathers :class:`core.midi.loop_pipeline.LoopMidiOptions`; the
export itself runs through a function the caller passes (the window runs
:func:`core.midi.loop_pipeline.loop_to_midi` in a :class:`app.workers.worker.Worker`;
:func:`worker_export` builds that function). The dialog stays open while it runs, then shows
what was written and offers a :class:`app.widgets.drag_handle.DragHandle` to drag the new
``.mid`` (and the loop ``.wav``) straight into a DAW.

Defaults come from the ``export`` section of the configuration (bars, grid, strength, swing,
drum map, output folder — ``null`` = the track's folder). An existing output is never replaced
silently: :meth:`ExportMidiDialog.confirm_overwrite` asks first (tests answer through that
hook).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.dialogs.folder_chooser import FolderChooser
from app.widgets.drag_handle import DragHandle
from core.analysis.loops import LOOP_BARS
from core.config import Config
from core.errors import CoreError
from core.midi.drum_maps import DRUM_MAP_PRESETS, drum_map
from core.midi.loop_pipeline import LoopMidiOptions
from core.midi.quantize import GRIDS, QuantizeOptions
from core.playback.timeline import clock_text

__all__ = ["AUTO_GRID", "CUSTOM_MAP", "ExportMidiDialog", "LoopLike", "worker_export"]

AUTO_GRID = "auto"
"""Grid choice that lets :func:`core.midi.quantize.choose_grid` pick the grid."""

CUSTOM_MAP = "__custom__"
"""Item data of the drum-map entry that opens a file chooser."""

DEFAULT_RANKS = 10
"""Ranks offered when no candidates were passed for the chosen length (loop_to_midi ranks
at least 10)."""

MIDI_SUFFIXES = (".mid", ".midi")

_NOTE_LENGTHS = (("fixed", "Fixed (1/32 note)"), ("to_next", "Up to the next hit"))
_SWINGS = (("keep", "Keep the track's swing"), ("straight", "Straight"))


class LoopLike(Protocol):
    """What a ranked loop candidate offers (:class:`core.analysis.loops.LoopCandidate`)."""

    start: float
    end: float
    bars: int
    first_bar: int
    score: float


class ExportMidiDialog(FolderChooser, QDialog):
    """Options for exporting the track's best loop as drum MIDI (and audio).

    Parameters
    ----------
    config
        The configuration; its ``export`` section gives the defaults.
    track
        The audio file the loop comes from (default folder and file name).
    candidates
        Ranked loop candidates, best first: a sequence (all of one length) or a mapping
        ``bars → sequence``. Shown with their bars, start and score in the Rank list.
    stems
        Stem name → stem file; offers "Include stem loops" when given.
    export
        Called with the :class:`LoopMidiOptions` on Export. It may return a worker-like
        object with ``succeeded(result)`` / ``failed(error)`` signals (the dialog then
        follows it), a result with ``written`` paths or a list of paths (done at once), or
        ``None`` (the caller reports back through :meth:`export_succeeded` /
        :meth:`export_failed`).

    Signals
    -------
    exportRequested(object)
        The options of an accepted Export click (overwrite set when the user agreed).
    exported(list)
        The paths written.
    """

    folder_title = 'Export to folder'

    exportRequested = Signal(object)
    exported = Signal(list)

    def __init__(self, config: Config, track: str | os.PathLike[str], *,
                 candidates: Sequence[LoopLike] | Mapping[int, Sequence[LoopLike]] = (),
                 stems: Mapping[str, str | os.PathLike[str]] | None = None,
                 export: Callable[[LoopMidiOptions], Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("export_midi_dialog")
        self.config = config
        self.track = Path(track)
        self._candidates = _by_bars(candidates)
        self._stems = {str(k): Path(v) for k, v in (stems or {}).items()}
        self._export = export
        self._busy = False
        self._handle: Any = None
        self.last_options: LoopMidiOptions | None = None
        self.written: list[Path] = []
        self.setWindowTitle(f"Export MIDI — {self.track.name}")
        self._build()
        self._load_defaults()
        self._connect()
        self._refresh()

    # -- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.bars_combo = QComboBox(self)
        self.bars_combo.setObjectName("bars_combo")
        for bars in LOOP_BARS:
            self.bars_combo.addItem(f"{bars} bar{'s' if bars > 1 else ''}", bars)
        self.rank_combo = QComboBox(self)
        self.rank_combo.setObjectName("rank_combo")
        self.grid_combo = QComboBox(self)
        self.grid_combo.setObjectName("grid_combo")
        for grid in GRIDS:
            self.grid_combo.addItem(grid, grid)
        self.grid_combo.addItem("auto (coarsest grid that keeps every hit)", AUTO_GRID)
        self.strength_spin = QSpinBox(self)
        self.strength_spin.setObjectName("strength_spin")
        self.strength_spin.setRange(0, 100)
        self.strength_spin.setSuffix(" %")
        self.strength_spin.setToolTip("0 % = as played, 100 % = exactly on the grid")
        self.swing_combo = QComboBox(self)
        self.swing_combo.setObjectName("swing_combo")
        for value, text in _SWINGS:
            self.swing_combo.addItem(text, value)
        self.map_combo = QComboBox(self)
        self.map_combo.setObjectName("drum_map_combo")
        for name in DRUM_MAP_PRESETS:
            self.map_combo.addItem(name, name)
        self.map_combo.addItem("Custom file…", CUSTOM_MAP)
        self.note_length_combo = QComboBox(self)
        self.note_length_combo.setObjectName("note_length_combo")
        for value, text in _NOTE_LENGTHS:
            self.note_length_combo.addItem(text, value)
        self.audio_check = QCheckBox("Include the audio loop (.wav)", self)
        self.audio_check.setObjectName("audio_check")
        self.stems_check = QCheckBox("Include stem loops", self)
        self.stems_check.setObjectName("stems_check")
        if self._stems:
            self.stems_check.setToolTip("Cut the same loop from every stem: "
                                        + ", ".join(self._stems))
        self.stems_check.setVisible(bool(self._stems))
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setObjectName("folder_edit")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("browse_button")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("name_edit")
        self.outputs_label = QLabel(self)
        self.outputs_label.setObjectName("outputs_label")
        self.outputs_label.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("status_label")
        self.status_label.setWordWrap(True)
        self.drag_handle = DragHandle(parent=self)
        self.export_button = QPushButton("Export", self)
        self.export_button.setObjectName("export_button")
        self.export_button.setDefault(True)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("close_button")

        loop_box = QGroupBox("Loop", self)
        loop_form = QFormLayout(loop_box)
        loop_form.addRow("Length", self.bars_combo)
        loop_form.addRow("Rank", self.rank_combo)
        quant_box = QGroupBox("Quantize", self)
        quant_form = QFormLayout(quant_box)
        quant_form.addRow("Grid", self.grid_combo)
        quant_form.addRow("Strength", self.strength_spin)
        quant_form.addRow("Swing", self.swing_combo)
        midi_box = QGroupBox("MIDI", self)
        midi_form = QFormLayout(midi_box)
        midi_form.addRow("Drum map", self.map_combo)
        midi_form.addRow("Note length", self.note_length_combo)
        out_box = QGroupBox("Output", self)
        out_form = QFormLayout(out_box)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        out_form.addRow("Folder", folder_row)
        out_form.addRow("File name", self.name_edit)
        out_form.addRow(self.audio_check)
        out_form.addRow(self.stems_check)
        out_form.addRow(self.outputs_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.drag_handle, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        for box in (loop_box, quant_box, midi_box, out_box):
            layout.addWidget(box)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self._last_map_index = 0

    def _load_defaults(self) -> None:
        cfg = self.config
        _select(self.bars_combo, int(cfg.get("export.bars") or 4))
        self._fill_ranks()
        _select(self.grid_combo, str(cfg.get("export.quantize")))
        self.strength_spin.setValue(round(float(cfg.get("export.strength"))))
        _select(self.swing_combo, str(cfg.get("export.swing")))
        configured_map = str(cfg.get("export.drum_map") or "gm")
        if configured_map.strip().lower() in DRUM_MAP_PRESETS:
            _select(self.map_combo, configured_map.strip().lower())
        else:
            self._add_custom_map(configured_map)
        self._last_map_index = self.map_combo.currentIndex()
        out_dir = cfg.path("export.out_dir")
        self.folder_edit.setText(str(out_dir if out_dir is not None else self.track.parent))
        self.name_edit.setText(f"{self.track.stem}.loop.mid")
        self.audio_check.setChecked(True)
        self.stems_check.setChecked(False)

    def _connect(self) -> None:
        self.bars_combo.currentIndexChanged.connect(self._on_bars)
        self.map_combo.currentIndexChanged.connect(self._on_map)
        self.browse_button.clicked.connect(self._browse)
        self.export_button.clicked.connect(self.request_export)
        self.close_button.clicked.connect(self.reject)
        for edit in (self.folder_edit, self.name_edit):
            edit.textChanged.connect(self._refresh)
        for check in (self.audio_check, self.stems_check):
            check.toggled.connect(self._refresh)

    # -- ranks ----------------------------------------------------------------------------------

    def _fill_ranks(self) -> None:
        keep = self.rank_combo.currentData() or 1
        self.rank_combo.blockSignals(True)
        self.rank_combo.clear()
        found = self._candidates.get(self.bars, [])
        if found:
            for rank, loop in enumerate(found, start=1):
                self.rank_combo.addItem(_candidate_text(rank, loop), rank)
            self.rank_combo.setToolTip("Loop candidates, best first: where they start and "
                                       "their score (0–1)")
        else:
            for rank in range(1, DEFAULT_RANKS + 1):
                self.rank_combo.addItem("1 (best)" if rank == 1 else str(rank), rank)
            self.rank_combo.setToolTip(f"The {self.bars}-bar loops are ranked when exporting")
        self.rank_combo.blockSignals(False)
        _select(self.rank_combo, keep if keep <= self.rank_combo.count() else 1)

    def _on_bars(self, _index: int) -> None:
        self._fill_ranks()
        self._refresh()

    # -- drum map -------------------------------------------------------------------------------

    def choose_drum_map_file(self) -> str | None:
        """Hook: ask for a drum map file; ``None`` when cancelled (tests replace this)."""
        path, _ = QFileDialog.getOpenFileName(self, "Drum map file", str(self.track.parent),
                                              "Drum maps (*.yaml *.yml *.json);;All files (*)")
        return path or None

    def _on_map(self, index: int) -> None:
        if self.map_combo.itemData(index) != CUSTOM_MAP:
            self._last_map_index = index
            self._refresh()
            return
        path = self.choose_drum_map_file()
        if path:
            try:
                drum_map(path)
            except CoreError as exc:
                self._revert_map()
                self._show_status(f"Drum map not usable: {exc}", error=True)
                return
            self._add_custom_map(path)
            self._last_map_index = self.map_combo.currentIndex()
            self._refresh()
        else:
            self._revert_map()

    def _revert_map(self) -> None:
        self.map_combo.blockSignals(True)
        self.map_combo.setCurrentIndex(self._last_map_index)
        self.map_combo.blockSignals(False)

    def _add_custom_map(self, path: str) -> None:
        index = self.map_combo.findData(path)
        if index < 0:
            index = self.map_combo.count() - 1  # before "Custom file…"
            self.map_combo.insertItem(index, Path(path).name, path)
            self.map_combo.setItemData(index, path, Qt.ItemDataRole.ToolTipRole)
        self.map_combo.blockSignals(True)
        self.map_combo.setCurrentIndex(index)
        self.map_combo.blockSignals(False)

    # -- destination ----------------------------------------------------------------------------

    def confirm_overwrite(self, existing: Sequence[Path]) -> bool:
        """Hook: may these existing files be replaced? (A question box; tests replace this.)"""
        names = "\n".join(str(p) for p in existing)
        answer = QMessageBox.question(
            self, "Replace existing files?",
            f"These files exist already:\n\n{names}\n\nReplace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # -- reading the widgets --------------------------------------------------------------------

    @property
    def bars(self) -> int:
        """Loop length in bars."""
        return int(self.bars_combo.currentData())

    @property
    def rank(self) -> int:
        """1 = best candidate."""
        return int(self.rank_combo.currentData() or 1)

    @property
    def grid(self) -> str:
        """Grid name, or ``"auto"``."""
        return str(self.grid_combo.currentData())

    @property
    def drum_map_value(self) -> str:
        """Preset name or drum map file."""
        data = self.map_combo.currentData()
        return str(data) if data not in (None, CUSTOM_MAP) else "gm"

    def midi_path(self) -> Path:
        """Where the MIDI file goes (``.mid`` added when the name has no MIDI suffix)."""
        name = self.name_edit.text().strip()
        if not name.lower().endswith(MIDI_SUFFIXES):
            name += ".mid"
        return Path(self.folder_edit.text().strip()).expanduser() / name

    def audio_path(self) -> Path | None:
        """Where the audio loop goes (beside the MIDI file, ``.wav``), or ``None``."""
        if not self.audio_check.isChecked():
            return None
        midi = self.midi_path()
        return midi.with_name(f"{midi.stem}.wav")

    def stem_paths(self) -> dict[str, Path]:
        """Stem name → where its loop goes (as :func:`loop_to_midi` names them)."""
        audio = self.audio_path()
        if audio is None or not self.stems_check.isChecked():
            return {}
        return {name: audio.with_name(f"{audio.stem}.{name}.wav") for name in self._stems}

    def outputs(self) -> list[Path]:
        """Every file an export writes, MIDI first."""
        audio = self.audio_path()
        return [self.midi_path(), *([audio] if audio else []), *self.stem_paths().values()]

    def validation_error(self) -> str | None:
        """What stops an export (shown inline; Export is disabled meanwhile), or ``None``."""
        name = self.name_edit.text().strip()
        folder = self.folder_edit.text().strip()
        if not folder:
            return "Choose a destination folder."
        if not name:
            return "Give the MIDI file a name."
        if "/" in name or "\\" in name or name in (".", ".."):
            return "The file name must not contain a folder; use the Folder field."
        target = Path(folder).expanduser()
        if target.exists() and not target.is_dir():
            return f"{target} is a file, not a folder."
        return None

    def options(self) -> LoopMidiOptions:
        """The options the widgets describe (``overwrite`` only after the user agreed).

        Raises :class:`core.errors.CoreError` (e.g. a drum map file that no longer reads).
        """
        auto = self.grid == AUTO_GRID
        quantize = QuantizeOptions(grid="1/16" if auto else self.grid,
                                   strength=self.strength_spin.value() / 100.0,
                                   swing=str(self.swing_combo.currentData()))  # type: ignore[arg-type]
        audio = self.audio_path()
        return LoopMidiOptions(
            bars=self.bars, rank=self.rank, quantize=quantize, drum_map=self.drum_map_value,
            midi_out=str(self.midi_path()), audio_out=str(audio) if audio else None,
            stems={name: str(self._stems[name]) for name in self.stem_paths()},
            note_length=str(self.note_length_combo.currentData()),  # type: ignore[arg-type]
            overwrite=False, auto_grid=auto)

    # -- export ---------------------------------------------------------------------------------

    def request_export(self) -> bool:
        """Export: validate, ask before replacing files, then hand the options over.

        Returns whether an export was started.
        """
        if self._busy:
            return False
        error = self.validation_error()
        if error:
            self._show_status(error, error=True)
            return False
        try:
            options = self.options()
        except CoreError as exc:
            self._show_status(str(exc), error=True)
            return False
        existing = [p for p in self.outputs() if p.exists()]
        if existing:
            if not self.confirm_overwrite(existing):
                self._show_status("Not exported: the files exist and were kept.", error=True)
                return False
            options = replace(options, overwrite=True)
        try:
            self.midi_path().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._show_status(f"Cannot create the folder: {exc.strerror or exc}", error=True)
            return False
        self.last_options = options
        self._set_busy(True)
        self._show_status("Exporting…")
        self.exportRequested.emit(options)
        if self._export is not None:
            try:
                handle = self._export(options)
            except Exception as exc:
                self.export_failed(str(exc) or type(exc).__name__)
                return False
            self._follow(handle)
        return True

    def _follow(self, handle: Any) -> None:
        """Track what the export function returned (see the class docstring)."""
        if handle is None:
            return
        if hasattr(handle, "succeeded") and hasattr(handle, "failed"):
            self._handle = handle
            handle.succeeded.connect(lambda result: self.export_succeeded(_written(result)))
            handle.failed.connect(lambda exc: self.export_failed(str(exc)))
            if hasattr(handle, "cancelled"):
                handle.cancelled.connect(lambda: self.export_failed("Export cancelled."))
            return
        self.export_succeeded(_written(handle))

    def export_succeeded(self, written: Sequence[str | os.PathLike[str]]) -> None:
        """The export wrote ``written``: list them and offer them for dragging."""
        self.written = [Path(p) for p in written]
        self._handle = None
        self._set_busy(False)
        names = ", ".join(p.name for p in self.written) or "nothing"
        self._show_status(f"Wrote {names}")
        self.drag_handle.set_files(self.written)
        self.exported.emit([str(p) for p in self.written])

    def export_failed(self, message: str) -> None:
        """The export failed: say why (Export can be clicked again)."""
        self._handle = None
        self._set_busy(False)
        self._show_status(f"Export failed: {message}", error=True)

    @property
    def busy(self) -> bool:
        """Whether an export is running."""
        return self._busy

    # -- display --------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh()

    def _show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setProperty("error", error)
        self.status_label.setStyleSheet("color: #d9534f;" if error else "")

    def _refresh(self, *_: object) -> None:
        self.stems_check.setEnabled(self.audio_check.isChecked() and bool(self._stems))
        error = self.validation_error()
        self.export_button.setEnabled(error is None and not self._busy)
        if error:
            self._show_status(error, error=True)
            self.outputs_label.setText("")
            return
        if self.status_label.property("error") and not self._busy:
            self._show_status("")
        outputs = self.outputs()
        lines = [f"Writes {', '.join(p.name for p in outputs)}"]
        if not Path(self.folder_edit.text().strip()).expanduser().exists():
            lines.append("The folder will be created.")
        if any(p.exists() for p in outputs):
            lines.append("Some of these exist: you will be asked before they are replaced.")
        self.outputs_label.setText("\n".join(lines))


def worker_export(context: Any, track: str | os.PathLike[str], *, analysis: Any = None,
                  ) -> Callable[[LoopMidiOptions], Any]:
    """An ``export`` function for :class:`ExportMidiDialog` that runs
    :func:`core.midi.loop_pipeline.loop_to_midi` in a :class:`app.workers.worker.Worker` on
    ``context.runner`` (an :class:`app.context.AppContext`), with the analysis the window shows
    and the context's result cache; returns the started worker."""
    from app.workers.worker import Worker
    from core.midi.loop_pipeline import loop_to_midi

    path = Path(track)
    cache = getattr(context, "cache", None)
    if cache is not None and not getattr(cache, "enabled", False):
        cache = None

    def start(options: LoopMidiOptions) -> Any:
        worker = Worker(loop_to_midi, path, options, analysis=analysis, cache=cache,
                        title=f"Export MIDI {path.name}")
        return context.runner.start(worker)

    return start


# -- helpers ------------------------------------------------------------------------------------


def _by_bars(candidates: Sequence[LoopLike] | Mapping[int, Sequence[LoopLike]],
             ) -> dict[int, list[LoopLike]]:
    if isinstance(candidates, Mapping):
        return {int(bars): list(found) for bars, found in candidates.items()}
    grouped: dict[int, list[LoopLike]] = {}
    for loop in candidates:
        grouped.setdefault(int(loop.bars), []).append(loop)
    return grouped


def _candidate_text(rank: int, loop: LoopLike) -> str:
    first = int(loop.first_bar) + 1
    return (f"{rank}. bars {first}–{first + int(loop.bars) - 1} · from "
            f"{clock_text(float(loop.start))} · score {float(loop.score):.2f}")


def _written(result: Any) -> list[Path]:
    """Paths from a LoopMidiResult (``written``) or a list of paths."""
    paths = getattr(result, "written", result)
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _select(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
