"""The latent-lab page: data and training on the left, the map in the middle, the clicked
clip's CC curves and the interpolation on the right.

Everything slow runs in workers through :class:`LatentLabController`; the widgets only read
:class:`LatentLabModel`. Folder fields are plain line edits (with a Browse… button) so tests
drive the page without dialogs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.latent.clip_player import ClipPlayer
from app.latent.curve_views import CcCurveView, LossCurveView
from app.latent.lab_controller import LatentLabController
from app.latent.lab_model import LatentLabModel
from app.latent.map_view import LatentMapView

LATENT_SIZES = (128, 256, 384, 512)


def _folder_row(parent: QWidget, edit: QLineEdit, title: str) -> QWidget:
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit)
    browse = QToolButton(row)
    browse.setText("…")
    browse.setToolTip(f"Choose the {title}")

    def choose() -> None:
        folder = QFileDialog.getExistingDirectory(parent, f"Choose the {title}", edit.text())
        if folder:
            edit.setText(folder)

    browse.clicked.connect(choose)
    layout.addWidget(browse)
    return row


class LatentLabPage(QWidget):
    """See the module docstring."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, *,
                 player: ClipPlayer | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latent_lab_page")
        self.context = context
        self.lab = LatentLabModel(self)
        self.controller = LatentLabController(context, self.lab, player=player, parent=self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._left())
        splitter.addWidget(self._centre())
        splitter.addWidget(self._right())
        splitter.setSizes([300, 700, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.controller.busy_changed.connect(self._on_busy)
        self.controller.progressed.connect(self._on_progress)
        self.controller.auditioned.connect(lambda a: self.cc_view.show_curves(a.curves))
        self.lab.model_changed.connect(self._on_model)
        self.lab.current_changed.connect(self._on_current)
        self.lab.selection_changed.connect(self._on_selection)
        self.lab.interpolation_changed.connect(self._on_interpolation)
        controller = self.controller  # plain Python state survives the C++ object
        self.destroyed.connect(lambda *_: controller.close())
        self._on_model(None)

    # -- layout -----------------------------------------------------------------------------

    def _left(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        data = QGroupBox("Clips", box)
        form = QFormLayout(data)
        self.data_edit = QLineEdit(data)
        self.data_edit.setPlaceholderText("a folder of .mid clips with CC automation")
        form.addRow("Folder", _folder_row(data, self.data_edit, "clip folder"))
        self.examples_button = QPushButton("Write example clips here", data)
        self.examples_button.setToolTip("Generated wobble, IDM and acid clips to start with")
        self.examples_button.clicked.connect(self.write_examples)
        form.addRow(self.examples_button)
        layout.addWidget(data)
        train = QGroupBox("Training", box)
        form = QFormLayout(train)
        self.config_combo = QComboBox(train)
        self.config_combo.addItems(["quick", "full"])
        form.addRow("Config", self.config_combo)
        self.size_combo = QComboBox(train)
        self.size_combo.addItems([str(s) for s in LATENT_SIZES])
        self.size_combo.setCurrentText("256")
        form.addRow("Latent size", self.size_combo)
        self.run_edit = QLineEdit(train)
        self.run_edit.setPlaceholderText("folder for the checkpoint")
        form.addRow("Run folder", _folder_row(train, self.run_edit, "run folder"))
        buttons = QWidget(train)
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        self.train_button = QPushButton("Train", buttons)
        self.resume_button = QPushButton("Resume", buttons)
        self.cancel_button = QPushButton("Cancel", buttons)
        self.load_button = QPushButton("Load", buttons)
        self.load_button.setToolTip("Load the run folder's checkpoint")
        for b in (self.train_button, self.resume_button, self.cancel_button, self.load_button):
            row.addWidget(b)
        self.train_button.clicked.connect(lambda: self.train(resume=False))
        self.resume_button.clicked.connect(lambda: self.train(resume=True))
        self.cancel_button.clicked.connect(self.controller.cancel_training)
        self.load_button.clicked.connect(
            lambda: self.controller.load_model(self.run_edit.text().strip()))
        form.addRow(buttons)
        self.progress = QProgressBar(train)
        self.progress.setRange(0, 1000)
        form.addRow(self.progress)
        self.loss_view = LossCurveView(self.lab, train)
        self.loss_view.setMinimumHeight(160)
        form.addRow(self.loss_view)
        layout.addWidget(train)
        self.model_label = QLabel(box)
        self.model_label.setWordWrap(True)
        layout.addWidget(self.model_label)
        layout.addStretch(1)
        return box

    def _centre(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        bar = QHBoxLayout()
        self.map_button = QPushButton("Map the folder", box)
        self.map_button.clicked.connect(
            lambda: self.controller.encode_folder(self.data_edit.text().strip()))
        bar.addWidget(self.map_button)
        self.method_combo = QComboBox(box)
        self.method_combo.addItem("PCA", "pca")
        self.method_combo.addItem("t-SNE", "tsne")
        self.method_combo.currentIndexChanged.connect(
            lambda _i: self.controller.set_method(self.method_combo.currentData()))
        bar.addWidget(self.method_combo)
        self.colour_combo = QComboBox(box)
        for text, mode in (("colour: tag", "group"), ("colour: file", "file"),
                           ("colour: tempo", "tempo")):
            self.colour_combo.addItem(text, mode)
        bar.addWidget(self.colour_combo)
        self.lasso_button = QPushButton("Lasso", box)
        self.lasso_button.setCheckable(True)
        bar.addWidget(self.lasso_button)
        self.sysex_button = QPushButton("Add SysEx…", box)
        self.sysex_button.setToolTip("Show the presets of .syx files on the map")
        self.sysex_button.clicked.connect(self._choose_sysex)
        bar.addWidget(self.sysex_button)
        self.loops_button = QPushButton("Add loops…", box)
        self.loops_button.setToolTip("Analyse audio files and show their best loops on the map")
        self.loops_button.clicked.connect(self._choose_loops)
        bar.addWidget(self.loops_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.map_view = LatentMapView(self.lab, box)
        self.map_view.itemClicked.connect(self.click_item)
        self.colour_combo.currentIndexChanged.connect(
            lambda _i: self.map_view.colour_by(self.colour_combo.currentData()))
        self.lasso_button.toggled.connect(self.map_view.set_lasso)
        layout.addWidget(self.map_view, 1)
        self.status_label = QLabel("Train or load a model, then map a folder of clips.", box)
        layout.addWidget(self.status_label)
        return box

    def _right(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        self.clip_label = QLabel("Click a point to hear it.", box)
        self.clip_label.setWordWrap(True)
        layout.addWidget(self.clip_label)
        self.cc_view = CcCurveView(box)
        self.cc_view.setMinimumHeight(180)
        layout.addWidget(self.cc_view, 1)
        group = QGroupBox("Interpolate the last two clicked clips", box)
        form = QFormLayout(group)
        self.pair_label = QLabel("A: –   B: –", group)
        form.addRow(self.pair_label)
        self.steps_spin = QSpinBox(group)
        self.steps_spin.setRange(2, 64)
        self.steps_spin.setValue(8)
        form.addRow("Steps", self.steps_spin)
        self.interpolate_button = QPushButton("Interpolate", group)
        self.interpolate_button.clicked.connect(
            lambda: self.controller.interpolate(self.steps_spin.value()))
        form.addRow(self.interpolate_button)
        self.steps_list = QListWidget(group)
        self.steps_list.currentRowChanged.connect(self.play_step)
        form.addRow(self.steps_list)
        self.export_edit = QLineEdit(group)
        self.export_edit.setPlaceholderText("folder for the MIDI files")
        form.addRow("Export to", _folder_row(group, self.export_edit, "export folder"))
        self.export_button = QPushButton("Export MIDI", group)
        self.export_button.clicked.connect(
            lambda: self.controller.export(self.export_edit.text().strip()))
        form.addRow(self.export_button)
        layout.addWidget(group)
        return box

    # -- actions ----------------------------------------------------------------------------

    def write_examples(self) -> None:
        """Write the generated example clips into the folder field (never overwriting)."""
        from core.errors import CoreError
        from core.latent.examples import generate_examples

        folder = self.data_edit.text().strip()
        if not folder:
            self.context.notifier.error("No folder", "choose a folder for the example clips")
            return
        try:
            paths = generate_examples(folder, per_style=8)
        except (CoreError, OSError) as exc:
            self.context.notifier.error("Could not write the examples", str(exc))
            return
        self.status_label.setText(f"Wrote {len(paths)} example clips to {folder}.")

    def train(self, *, resume: bool) -> None:
        """Train (or resume) on the folder into the run folder."""
        data, run = self.data_edit.text().strip(), self.run_edit.text().strip()
        if not data or not run:
            self.context.notifier.error("Cannot train", "choose the clip folder and a run folder")
            return
        self.controller.train(data, run, config=self.config_combo.currentText(),
                              latent_dim=int(self.size_combo.currentText()), resume=resume)

    def click_item(self, index: int) -> None:
        """Make ``index`` current and play it."""
        self.lab.set_current(index)
        self.controller.audition(index)

    def play_step(self, row: int) -> None:
        """Play step ``row`` of the interpolation."""
        if 0 <= row < len(self.lab.interpolation):
            self.controller.audition_clip(self.lab.interpolation[row])

    def _choose_sysex(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "SysEx files", "",
                                                "SysEx (*.syx *.mid *.bin);;All files (*)")
        if files:
            self.controller.add_sysex(files)

    def _choose_loops(self) -> None:
        from core.audio import AUDIO_EXTENSIONS

        patterns = " ".join(f"*{ext}" for ext in sorted(AUDIO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(self, "Audio files", "",
                                                f"Audio ({patterns});;All files (*)")
        if files:
            self.controller.add_loops(files)

    # -- model → widgets ----------------------------------------------------------------------

    def _on_busy(self, kind: str, busy: bool) -> None:
        training = self.controller.is_busy("train")
        self.train_button.setEnabled(not training)
        self.resume_button.setEnabled(not training)
        self.cancel_button.setEnabled(training)
        self._enable_model_buttons()
        if kind == "train" and not busy:
            self.progress.setValue(0)
            self.progress.setFormat("")

    def _on_progress(self, fraction: float, stage: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress.setFormat(stage)

    def _enable_model_buttons(self) -> None:
        """Map, Interpolate and Export need a model and are off while their own job runs (a
        second click would only be refused as already running)."""
        has = self.lab.model is not None
        for kind, widget in (("encode", self.map_button), ("interpolate", self.interpolate_button),
                             ("export", self.export_button)):
            widget.setEnabled(has and not self.controller.is_busy(kind))

    def _on_model(self, model: object) -> None:
        has = model is not None
        self._enable_model_buttons()
        if has:
            cfg = model.config  # type: ignore[attr-defined]
            ev = model.checkpoint.evaluation  # type: ignore[attr-defined]
            score = (f"; held-out CC-ME {ev['ccme']:.4f} (baseline {ev['ccme_baseline']:.4f}),"
                     f" note F1 {ev['note_f1']:.3f}" if ev else "")
            self.model_label.setText(
                f"Model: {cfg.name}, latent {cfg.model.latent_dim}, "
                f"{model.checkpoint.epoch} epochs{score}")  # type: ignore[attr-defined]
        else:
            self.model_label.setText("No model loaded.")

    def _on_current(self, index: int) -> None:
        if index < 0:
            self.clip_label.setText("Click a point to hear it.")
        else:
            item = self.lab.items[index]
            tempo = f", {item.tempo:.0f} BPM" if item.tempo else ""
            self.clip_label.setText(f"{item.label} — {item.kind}: {item.group}{tempo}")
        names = [self.lab.items[i].label for i in self.lab.pair]
        a = names[0] if names else "–"
        b = names[1] if len(names) > 1 else "–"
        self.pair_label.setText(f"A: {a}\nB: {b}")

    def _on_selection(self) -> None:
        if self.lab.selection:
            self.status_label.setText(f"{len(self.lab.selection)} selected")

    def _on_interpolation(self) -> None:
        self.steps_list.clear()
        for clip in self.lab.interpolation:
            self.steps_list.addItem(f"{clip.source} — {len(clip.notes())} notes, "
                                    f"{clip.bpm:.0f} BPM")
