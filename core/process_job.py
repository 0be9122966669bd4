"""Run one slow core function in a child process, with progress and cancellation.

CPython runs one thread's bytecode at a time. A heavy job that is mostly numpy still holds the
interpreter lock between its calls, and on a 2-core machine two such jobs beside the window's
thread keep it waiting tens of milliseconds. A job that takes a file and writes files (stem
separation) can live in its own process instead: :func:`run_in_process` starts it there
(``spawn``, so nothing of the parent's threads or locks is copied), relays its progress reports
and a cancellation, and returns its result or raises its error — the same contract as calling
the function directly (``progress``/``cancel`` keywords, :class:`core.errors.CoreError` out).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from core import errors
from core.errors import Cancelled, CoreError
from core.jobs import CancelToken, ProgressCallback, check_cancel, report

POLL_S = 0.05
"""How often the parent looks for messages and for a cancellation (s)."""


class JobProcessFailed(CoreError):
    """The child process ended without a result (killed, out of memory, crashed)."""


def run_in_process(fn: Callable[..., Any], *args: Any, progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None, **kwargs: Any) -> Any:
    """``fn(*args, progress=…, cancel=…, **kwargs)`` in a child process; returns its result.

    ``fn`` must be importable by name (a module-level function) and its arguments and result
    picklable. Errors come back as the same :mod:`core.errors` class when it can be rebuilt
    from its message, else as :class:`CoreError` with the message; an unexpected exception comes
    back as :class:`CoreError` naming it. Cancelling sets a flag the child's job polls; the child
    is terminated if it has not stopped 10 s later.
    """
    context = mp.get_context("spawn")
    messages = context.Queue()
    stop = context.Event()
    child = context.Process(target=_child, args=(fn, args, kwargs, messages, stop),
                            name=f"breakroom-{getattr(fn, '__name__', 'job')}", daemon=True)
    child.start()
    cancelled_at: float | None = None
    try:
        while True:
            if cancel is not None and cancel.cancelled and not stop.is_set():
                stop.set()
                cancelled_at = time.monotonic()
            try:
                kind, *payload = messages.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive():
                    check_cancel(cancel)
                    raise JobProcessFailed(
                        f"the {child.name} process ended without a result (exit code "
                        f"{child.exitcode})") from None
                if cancelled_at is not None and time.monotonic() - cancelled_at > 10.0:
                    child.terminate()
                    check_cancel(cancel)
                continue
            if kind == "progress":
                report(progress, *payload)
            elif kind == "result":
                return payload[0]
            else:
                raise _rebuild(*payload)
    finally:
        child.join(timeout=5.0)
        if child.is_alive():
            child.terminate()
            child.join(timeout=5.0)
        messages.close()


def _rebuild(name: str, message: str) -> CoreError:
    """The error the child raised, as its class when that takes one message."""
    if name == "Cancelled":
        return Cancelled(message)
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, CoreError):
        try:
            return cls(message)
        except TypeError:  # e.g. PathError(path, reason): keep the message as it was
            pass
    return CoreError(message)


def _child(fn: Callable[..., Any], args: tuple, kwargs: dict, messages: Any, stop: Any) -> None:
    """Child process body: run ``fn``, send progress, then the result or the error."""
    token = CancelToken()

    def watch() -> None:
        stop.wait()
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()

    def progress(fraction: float, stage: str) -> None:
        messages.put(("progress", fraction, stage))

    try:
        result = fn(*args, progress=progress, cancel=token, **kwargs)
    except Cancelled as exc:
        messages.put(("error", "Cancelled", str(exc)))
    except CoreError as exc:
        messages.put(("error", type(exc).__name__, str(exc)))
    except Exception as exc:  # reported in one line; the traceback goes to the child's stderr
        traceback.print_exc()
        messages.put(("error", "CoreError", f"internal error ({type(exc).__name__}: {exc})"))
    else:
        messages.put(("result", result))
