"""QThread workers that run one core call each, and the runner that keeps them alive."""

from app.workers.runner import WorkerRunner
from app.workers.worker import Worker, WorkerState, running_workers

__all__ = ["Worker", "WorkerRunner", "WorkerState", "running_workers"]
