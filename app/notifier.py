"""The one route for errors: status bar, details dialog on demand and a rotating log file.

Worker failures, uncaught exceptions (:meth:`Notifier.install_excepthook`) and Qt warnings
(:meth:`Notifier.install_qt_message_handler`) all end up here. :meth:`Notifier.error` may be
called from any thread; off the UI thread it is forwarded through a queued signal.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    Qt,
    QThread,
    QtMsgType,
    Signal,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QMessageBox, QWidget

LOGGER_NAME = "breakroom"
LOG_FILE_NAME = "breakroom.log"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
MAX_KEPT_ERRORS = 200
STATUS_TIMEOUT_MS = 8000

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


@dataclass(frozen=True)
class ErrorRecord:
    """One reported error: a short ``title``, a one-line ``message`` and optional ``details``
    (a traceback or longer explanation); ``time`` is the UNIX time it was reported."""

    title: str
    message: str
    details: str = ""
    time: float = field(default_factory=time.time)


def default_log_dir() -> Path:
    """The platform log directory (``~/.local/state/breakroom/log`` on Linux)."""
    return Path(platformdirs.user_log_dir("breakroom", appauthor=False))


class Notifier(QObject):
    """Collects errors and status messages for the window and writes the log file.

    Parameters
    ----------
    log_dir
        Directory of the rotating log file; ``None`` = :func:`default_log_dir`.
    show_dialogs
        When false (tests), :meth:`show_details` builds the dialog but never shows it.

    Signals
    -------
    message_posted(str, int)
        Text for the status bar and how long to show it (ms, 0 = until replaced).
    error_reported(object)
        An :class:`ErrorRecord` was added to :attr:`errors`.
    """

    message_posted = Signal(str, int)
    error_reported = Signal(object)
    _error_from_thread = Signal(object)

    def __init__(self, log_dir: Path | None = None, *, show_dialogs: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.show_dialogs = show_dialogs
        self.errors: list[ErrorRecord] = []
        self.log_dir = Path(log_dir) if log_dir is not None else default_log_dir()
        self.logger = logging.getLogger(LOGGER_NAME)
        self._handler = self._open_log_file()
        self._previous_excepthook: object = None
        self._qt_handler_installed = False
        self._error_from_thread.connect(self._record, Qt.ConnectionType.QueuedConnection)

    # -- reporting ----------------------------------------------------------------------------

    def error(self, title: str, message: str, details: str = "") -> None:
        """Report an error: status bar, :attr:`errors`, the log. Safe from any thread."""
        record = ErrorRecord(title, message, details)
        if QThread.currentThread() is self.thread():
            self._record(record)
        else:
            self._error_from_thread.emit(record)

    def info(self, message: str, timeout_ms: int = STATUS_TIMEOUT_MS) -> None:
        """Show a transient status-bar message (also logged at INFO)."""
        self.logger.info(message)
        self.message_posted.emit(message, timeout_ms)

    @Slot(object)
    def _record(self, record: ErrorRecord) -> None:
        self.errors.append(record)
        del self.errors[:-MAX_KEPT_ERRORS]
        text = f"{record.title}: {record.message}"
        self.logger.error("%s%s", text, f"\n{record.details}" if record.details else "")
        self.message_posted.emit(text, 0)
        self.error_reported.emit(record)

    @property
    def last_error(self) -> ErrorRecord | None:
        """The most recent error, or ``None``."""
        return self.errors[-1] if self.errors else None

    def clear_errors(self) -> None:
        """Forget the kept errors (the log file keeps them)."""
        self.errors.clear()

    # -- details dialog -----------------------------------------------------------------------

    def show_details(self, record: ErrorRecord | None = None,
                     parent: QWidget | None = None) -> QMessageBox | None:
        """A message box for ``record`` (default: the last error) with the details expandable.

        Opened window-modally without blocking when :attr:`show_dialogs` is true; returned
        unshown otherwise. ``None`` when there is no error to show.
        """
        record = record or self.last_error
        if record is None:
            return None
        box = QMessageBox(QMessageBox.Icon.Warning, record.title, record.message,
                          QMessageBox.StandardButton.Close, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.setInformativeText(f"The log file is {self.log_path}.")
        if record.details:
            box.setDetailedText(record.details)
        if self.show_dialogs:
            box.open()
        return box

    # -- log file -----------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        """Path of the current log file."""
        return self.log_dir / LOG_FILE_NAME

    def _open_log_file(self) -> logging.Handler | None:
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = RotatingFileHandler(
                self.log_path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS,
                encoding="utf-8")
        except OSError as exc:
            print(f"breakroom: cannot write the log file in {self.log_dir}: {exc}",
                  file=sys.stderr)
            return None
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"))
        self.logger.addHandler(handler)
        if self.logger.level == logging.NOTSET or self.logger.level > logging.INFO:
            self.logger.setLevel(logging.INFO)
        return handler

    # -- hooks --------------------------------------------------------------------------------

    def install_excepthook(self) -> None:
        """Route uncaught exceptions (UI thread, Qt virtual overrides) to :meth:`error`."""
        if self._previous_excepthook is None:
            self._previous_excepthook = sys.excepthook
            sys.excepthook = self.handle_uncaught

    def uninstall_excepthook(self) -> None:
        """Restore the excepthook that was active before :meth:`install_excepthook`."""
        if self._previous_excepthook is not None:
            sys.excepthook = self._previous_excepthook  # type: ignore[assignment]
            self._previous_excepthook = None

    def handle_uncaught(self, exc_type: type[BaseException], exc: BaseException,
                        tb: TracebackType | None) -> None:
        """The excepthook: report the exception with its traceback as details."""
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.error("Unexpected error", f"{exc_type.__name__}: {exc}", details)

    def install_qt_message_handler(self) -> None:
        """Send Qt's own warnings to the log (critical and fatal ones also to :meth:`error`)."""
        qInstallMessageHandler(self.qt_message_handler)
        self._qt_handler_installed = True

    def uninstall_qt_message_handler(self) -> None:
        """Restore Qt's default message handler."""
        if self._qt_handler_installed:
            qInstallMessageHandler(None)
            self._qt_handler_installed = False

    def qt_message_handler(self, mode: QtMsgType, context: QMessageLogContext,
                           message: str) -> None:
        """A ``QtMessageHandler``: log ``message`` at the matching level."""
        level = _QT_LEVELS.get(mode, logging.WARNING)
        where = f" ({context.file}:{context.line})" if context and context.file else ""
        self.logger.log(level, "Qt: %s%s", message, where)
        if level >= logging.ERROR:
            self.error("Qt error", message)

    def close(self) -> None:
        """Uninstall the hooks and close the log file (idempotent)."""
        self.uninstall_excepthook()
        self.uninstall_qt_message_handler()
        if self._handler is not None:
            self.logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
