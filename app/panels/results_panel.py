"""The selected track's analysis: headline numbers, tempo, loudness, file, warnings, backends.

A view: it reads the :class:`SessionModel` and redraws on ``selection_changed`` and on
``track_changed`` for the selected track. All wording comes from
:mod:`app.panels.results_text`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.formatting import format_status
from app.models.session_model import SessionModel, TrackEntry, TrackStatus
from app.panels import results_text as rt

NO_SELECTION_TEXT = "Select a track in the library to see its analysis."


def _label(text: str = "", name: str = "", parent: QWidget | None = None, *,
           selectable: bool = False, wrap: bool = False) -> QLabel:
    label = QLabel(text, parent)
    if name:
        label.setObjectName(name)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    return label


class MetricCard(QFrame):
    """One headline number with a title above and a detail line below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metric_card")
        self.title = _label(name="metric_title", parent=self)
        self.value = _label(name="metric_value", parent=self, selectable=True)
        self.detail = _label(name="metric_detail", parent=self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(2)
        for widget in (self.title, self.value, self.detail):
            layout.addWidget(widget)

    def show_metric(self, metric: rt.Metric) -> None:
        """Display ``metric``."""
        self.title.setText(metric.title.upper())
        self.value.setText(metric.value)
        self.detail.setText(metric.detail)


class FormSection(QGroupBox):
    """A titled group of ``label: value`` rows."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._form = QFormLayout(self)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._form.setHorizontalSpacing(14)
        self._form.setVerticalSpacing(5)

    def set_rows(self, rows: rt.Rows) -> None:
        """Replace the rows."""
        while self._form.rowCount():
            self._form.removeRow(0)
        for name, value in rows:
            self._form.addRow(_label(name, "field_name", self),
                              _label(value, "field_value", self, selectable=True, wrap=True))


class ResultsPanel(QWidget):
    """Shows the analysis of the session's selected track.

    Signals
    -------
    flip_requested(float)
        The user asked to re-derive the grid at this factor of the tempo (½× or 2×).
    """

    flip_requested = Signal(float)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("results_panel")
        self._session = session
        self._lines: list[str] = []
        self.empty_label = _label(NO_SELECTION_TEXT, "empty_state", self, wrap=True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._details = self._build_details()
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._details)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.empty_label)
        self._stack.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)
        session.selection_changed.connect(self.refresh)
        session.track_changed.connect(self._on_track_changed)
        session.track_removed.connect(self._on_track_changed)
        self.refresh()

    def _build_details(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("results_page")
        self.title_label = _label(name="track_title", parent=page, selectable=True)
        self.path_label = _label(name="track_path", parent=page, selectable=True, wrap=True)
        self.status_label = _label(name="track_status", parent=page, selectable=True, wrap=True)
        self.cards = [MetricCard(page) for _ in range(5)]
        self.flip_row = QWidget(page)
        flip_layout = QHBoxLayout(self.flip_row)
        flip_layout.setContentsMargins(0, 0, 0, 0)
        self.flip_label = _label("", "flip_label", self.flip_row, wrap=True)
        self.half_button = QPushButton("½× tempo", self.flip_row)
        self.double_button = QPushButton("2× tempo", self.flip_row)
        for button, factor, tip in ((self.half_button, 0.5, "Half the tempo: re-derive the "
                                     "grid, downbeats and groove at half the BPM"),
                                    (self.double_button, 2.0, "Double the tempo: re-derive the "
                                     "grid, downbeats and groove at twice the BPM")):
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, f=factor: self.flip_requested.emit(f))
        flip_layout.addWidget(self.flip_label, 1)
        flip_layout.addWidget(self.half_button)
        flip_layout.addWidget(self.double_button)
        cards_row = QGridLayout()  # wraps to a second row in a narrow dock
        cards_row.setSpacing(10)
        for k, card in enumerate(self.cards):
            cards_row.addWidget(card, k // 2, k % 2)
        self.rhythm_section = FormSection("Rhythm", page)
        self.loudness_section = FormSection("Loudness", page)
        self.file_section = FormSection("File", page)
        self.warnings_section = QGroupBox("Warnings", page)
        self.warnings_label = _label(name="warnings", parent=self.warnings_section,
                                     selectable=True, wrap=True)
        QVBoxLayout(self.warnings_section).addWidget(self.warnings_label)
        self.backends_label = _label(name="backends", parent=page, selectable=True, wrap=True)
        grid = QGridLayout()
        grid.setSpacing(10)
        grid.addWidget(self.rhythm_section, 0, 0)
        grid.addWidget(self.loudness_section, 0, 1)
        grid.addWidget(self.file_section, 1, 0, 1, 2)
        grid.addWidget(self.warnings_section, 2, 0, 1, 2)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(self.title_label)
        layout.addWidget(self.path_label)
        layout.addWidget(self.status_label)
        layout.addLayout(cards_row)
        layout.addWidget(self.flip_row)
        layout.addLayout(grid)
        layout.addWidget(self.backends_label)
        layout.addStretch(1)
        self._analysis_widgets: list[QWidget] = [
            *self.cards, self.flip_row, self.rhythm_section, self.loudness_section,
            self.file_section,
            self.warnings_section, self.backends_label]
        return page

    # -- reading ------------------------------------------------------------------------------

    def text(self) -> str:
        """Everything the panel currently shows, as plain text (one item per line)."""
        return "\n".join(self._lines)

    # -- rendering ----------------------------------------------------------------------------

    def _on_track_changed(self, track_id: str) -> None:
        if track_id == self._session.selected_id or self._session.selected_id is None:
            self.refresh()

    def refresh(self, *_: object) -> None:
        """Redraw from the model's selected track."""
        entry = self._session.selected_track()
        if entry is None:
            self._lines = [NO_SELECTION_TEXT]
            self._stack.setCurrentIndex(0)
            return
        self._stack.setCurrentIndex(1)
        self._lines = [entry.name, str(entry.path)]
        self.title_label.setText(entry.name)
        self.path_label.setText(str(entry.path))
        status = self._status_text(entry)
        self.status_label.setText(status)
        self.status_label.setVisible(bool(status))
        self.status_label.setProperty("failed", entry.status is TrackStatus.FAILED)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        if status:
            self._lines.append(status)
        analysis = entry.analysis
        for widget in self._analysis_widgets:
            widget.setVisible(analysis is not None)
        if analysis is not None:
            self._show_analysis(entry)

    def _show_flip(self, a: object) -> None:
        bpm = getattr(a, "tempo_bpm", None)
        self.flip_row.setVisible(bpm is not None)
        if bpm is None:
            return
        tempo = a.tempo  # type: ignore[attr-defined]
        runner = tempo.candidates[1] if tempo and len(tempo.candidates) > 1 else None
        hint = (f"Runner-up {runner.bpm:.1f} BPM ({runner.confidence:.0%}). "
                if runner is not None else "")
        self.flip_label.setText(f"{hint}Wrong octave? Flip it and the grid follows.")
        self.half_button.setEnabled(bpm / 2 >= 20)
        self.double_button.setEnabled(bpm * 2 <= 400)

    @staticmethod
    def _status_text(entry: TrackEntry) -> str:
        if entry.status is TrackStatus.DONE:
            return ""
        if entry.status is TrackStatus.ANALYZING:
            stage = f" — {entry.stage}" if entry.stage else ""
            return f"Analysing… {round(entry.progress * 100)}%{stage}"
        if entry.status is TrackStatus.FAILED:
            return f"Analysis failed: {entry.error}"
        if entry.status is TrackStatus.CANCELLED:
            return "Analysis cancelled. Track → Re-analyse (Ctrl+R) to run it again."
        return format_status(entry).capitalize()

    def _show_analysis(self, entry: TrackEntry) -> None:
        a = entry.analysis
        assert a is not None
        for card, metric in zip(self.cards, rt.headline_metrics(a), strict=True):
            card.show_metric(metric)
            self._lines.append(f"{metric.title}: {metric.value} {metric.detail}".rstrip())
        self._show_flip(a)
        for section, rows in ((self.rhythm_section, rt.tempo_rows(a) + rt.onset_rows(a)),
                              (self.loudness_section, rt.loudness_rows(a)),
                              (self.file_section, rt.file_rows(a))):
            section.set_rows(rows)
            self._lines.extend(f"{name}: {value}" for name, value in rows)
        warnings = rt.warning_lines(a)
        self.warnings_section.setVisible(bool(warnings))
        self.warnings_label.setText("\n".join(f"• {w}" for w in warnings))
        self._lines.extend(f"warning: {w}" for w in warnings)
        backends = rt.backends_text(a)
        self.backends_label.setText(backends)
        self.backends_label.setVisible(bool(backends))
        if backends:
            self._lines.append(backends)
