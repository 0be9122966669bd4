"""Running jobs: one row per live worker with its stage, a progress bar and a Cancel button.

The panel observes the :class:`WorkerRunner`, so every kind of job (analysis today, separation
and export later) appears here without the panel knowing what it runs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.workers.runner import WorkerRunner
from app.workers.worker import Worker

IDLE_TEXT = "No jobs running"
_BAR_STEPS = 1000


class JobRow(QFrame):
    """Title, stage, progress bar and Cancel button for one worker."""

    def __init__(self, worker: Worker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("job_row")
        self.worker = worker
        self.title_label = QLabel(worker.title, self)
        self.title_label.setObjectName("job_title")
        self.stage_label = QLabel("starting", self)
        self.stage_label.setObjectName("job_stage")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, _BAR_STEPS)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("job_cancel")
        self.cancel_button.setToolTip(f"Cancel: {worker.title}")
        layout = QGridLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setHorizontalSpacing(12)
        layout.addWidget(self.title_label, 0, 0)
        layout.addWidget(self.stage_label, 0, 1)
        layout.addWidget(self.progress_bar, 0, 2)
        layout.addWidget(self.cancel_button, 0, 3)
        layout.setColumnStretch(0, 3)
        layout.setColumnStretch(1, 2)
        layout.setColumnStretch(2, 4)
        fraction, stage = worker.last_progress
        self.set_progress(fraction, stage or "starting")
        worker.progressed.connect(self.set_progress)
        self.cancel_button.clicked.connect(self.request_cancel)

    def set_progress(self, fraction: float, stage: str) -> None:
        """Show a progress report."""
        self.progress_bar.setValue(round(min(1.0, max(0.0, fraction)) * _BAR_STEPS))
        if not self.worker.token.cancelled:
            self.stage_label.setText(stage)

    def request_cancel(self) -> None:
        """Cancel the worker; the row disappears when its thread has stopped."""
        self.worker.cancel()
        self.cancel_button.setEnabled(False)
        self.stage_label.setText("cancelling…")


class ActivityPanel(QWidget):
    """A list of :class:`JobRow`, or "No jobs running".

    Signals
    -------
    count_changed(int)
        Number of rows shown (for the dock title).
    """

    count_changed = Signal(int)

    def __init__(self, runner: WorkerRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity_panel")
        self._rows: dict[int, JobRow] = {}
        self.idle_label = QLabel(IDLE_TEXT, self)
        self.idle_label.setObjectName("idle_state")
        self.idle_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        container = QWidget(self)
        container.setObjectName("activity_rows")
        self._rows_layout = QVBoxLayout(container)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(2)
        self._rows_layout.addWidget(self.idle_label)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(container)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        for worker in runner.workers():
            self.add_worker(worker)
        runner.worker_started.connect(self.add_worker)
        runner.worker_finished.connect(self.remove_worker)

    def rows(self) -> list[JobRow]:
        """The rows shown, oldest first."""
        return list(self._rows.values())

    def row_for(self, worker: Worker) -> JobRow | None:
        """The row of ``worker``, if shown."""
        return self._rows.get(id(worker))

    def add_worker(self, worker: Worker) -> None:
        """Add a row for a started worker."""
        if id(worker) in self._rows:
            return
        row = JobRow(worker, self)
        self._rows[id(worker)] = row
        self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
        self._refresh()

    def remove_worker(self, worker: Worker) -> None:
        """Remove the row of a finished worker."""
        row = self._rows.pop(id(worker), None)
        if row is not None:
            self._rows_layout.removeWidget(row)
            row.deleteLater()
            self._refresh()

    def _refresh(self) -> None:
        self.idle_label.setVisible(not self._rows)
        self.count_changed.emit(len(self._rows))
