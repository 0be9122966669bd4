"""UI responsiveness while the heavy jobs run: the window never freezes.

Run ``.venv/bin/python benchmarks/ui.py [--minutes 5]`` (offscreen unless a display is set).

A 10 ms heartbeat timer runs on the UI thread while the window analyses a generated track of
``--minutes`` minutes and separates it (offline separator) at the same time, then draws its
views and ranks its loops. Every heartbeat's lateness (actual interval − 10 ms) is recorded;
the target is a maximum ≤ 50 ms. Drawing speed of the views themselves (60-minute waveform,
zoom/pan redraws) is measured by ``benchmarks/ui_views.py``.

Prints a Markdown table and ends with one line::

    SUMMARY heartbeat_late_ms_max=… heartbeat_late_ms_p99=… heartbeats=… jobs_s=…
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

HEARTBEAT_MS = 10


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the table and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--diagnose", type=float, default=0.0, metavar="MS",
                        help="print every thread's stack around heartbeats later than MS")
    args = parser.parse_args(argv)
    if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QElapsedTimer, QTimer

    from app.bootstrap import create_application, freeze_heap, preload_engines
    from app.context import AppContext
    from app.main_window import MainWindow
    from app.models.session_model import TrackStatus
    from benchmarks.generated_audio import write_music
    from core.config import load_config

    app = create_application(["breakroom-ui-bench"])
    preload_engines()  # as the app does before its window shows
    preloaded = set(sys.modules)
    scratch = Path(tempfile.mkdtemp(prefix="breakroom-ui-"))
    os.environ["XDG_DATA_HOME"] = str(scratch / "data")  # stems go to a scratch folder
    track = write_music(scratch / "five.wav", args.minutes, bpm=174.0)
    config = load_config(use_user_file=False, env={}, overrides={
        "cache.enabled": False, "separation.model": "classic"})
    context = AppContext.create(config=config, settings_dir=scratch / "settings",
                                log_dir=scratch / "logs", show_dialogs=False)
    window = MainWindow(context)
    window.resize(1600, 1000)
    window.show()
    freeze_heap()  # as the app does once its window shows
    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    sampler = StackSampler() if args.diagnose > 0 else None
    if sampler is not None:
        time_paints(args.diagnose)
        time_collections(args.diagnose)

    def beat() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - HEARTBEAT_MS))
        if sampler is not None and late[-1] > args.diagnose:
            sampler.report(late[-1], (now - last[0]) / 1e9)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    started = time.perf_counter()
    heartbeat.start()
    (track_id,) = window.open_paths([track])
    window.media.separate(track_id)
    session = window.session

    def finished() -> bool:
        entry = session.track(track_id)
        return (entry.status is TrackStatus.DONE and bool(entry.stems) and bool(entry.loops)
                and window.track_views.spectrogram.image is not None
                and not context.runner.active_count)

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and not finished():
        app.processEvents()
        time.sleep(0.001)
    jobs_s = time.perf_counter() - started
    heartbeat.stop()
    if sampler is not None:
        sampler.stop()
        late_imports = sorted(set(sys.modules) - preloaded)
        print(f"-- {len(late_imports)} modules imported after preload: "
              + " ".join(late_imports), file=sys.stderr)
    ok = finished()
    window.shutdown()
    context.close()
    values = np.array(late[1:] or [0.0])
    p99, worst = float(np.percentile(values, 99)), float(values.max())
    print(f"### UI heartbeat while analysing and separating a {args.minutes:g}-minute track\n")
    print("| heartbeats | late p50 ms | late p99 ms | late max ms | jobs s | finished |")
    print("|---|---|---|---|---|---|")
    print(f"| {len(values)} | {np.percentile(values, 50):.1f} | {p99:.1f} | {worst:.1f} | "
          f"{jobs_s:.1f} | {'yes' if ok else 'NO'} |")
    print(f"SUMMARY heartbeat_late_ms_max={worst:.3f} heartbeat_late_ms_p99={p99:.3f} "
          f"heartbeats={len(values)} jobs_s={jobs_s:.3f}")
    return 0 if ok else 1


def time_collections(threshold_ms: float) -> None:
    """Print every garbage collection slower than ``threshold_ms`` (it holds the GIL)."""
    import gc
    import threading

    started: dict[str, float] = {}

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
            return
        ms = 1000 * (time.perf_counter() - started.get("t", time.perf_counter()))
        if ms > threshold_ms / 4:
            print(f"-- gc generation {info['generation']} took {ms:.0f} ms "
                  f"({info['collected']} collected) on {threading.current_thread().name}",
                  file=sys.stderr)

    gc.callbacks.append(callback)


def time_paints(threshold_ms: float) -> None:
    """Print every view repaint (and the items it painted) slower than ``threshold_ms``."""
    import pyqtgraph as pg

    original = pg.GraphicsView.paintEvent
    item_times: dict[str, float] = {}

    def paint_event(view, event) -> None:
        item_times.clear()
        started = time.perf_counter()
        original(view, event)
        ms = 1000 * (time.perf_counter() - started)
        if ms > threshold_ms:
            slow = sorted(item_times.items(), key=lambda kv: -kv[1])[:4]
            print(f"-- paint of {view.objectName() or type(view).__name__} took {ms:.0f} ms; "
                  + ", ".join(f"{k} {v:.0f} ms" for k, v in slow), file=sys.stderr)

    pg.GraphicsView.paintEvent = paint_event
    for cls in {pg.ImageItem, pg.PlotCurveItem, pg.AxisItem, pg.ScatterPlotItem,
                pg.GraphicsObject}:
        def wrap(paint):
            def timed(item, *a) -> None:
                started = time.perf_counter()
                paint(item, *a)
                key = type(item).__name__
                item_times[key] = item_times.get(key, 0.0) + 1000 * (time.perf_counter()
                                                                      - started)
            return timed
        if "paint" in cls.__dict__:
            cls.paint = wrap(cls.__dict__["paint"])


class StackSampler:
    """Samples every thread's innermost frames every millisecond (for ``--diagnose``).

    When a heartbeat is late, :meth:`report` prints the samples taken during the stall: a gap
    in the samples means some thread held the GIL inside C code; otherwise the UI thread's
    frames show what it was busy with.
    """

    def __init__(self, period_s: float = 0.001, keep: int = 4000) -> None:
        import collections
        import threading

        self._samples: collections.deque = collections.deque(maxlen=keep)
        self._stop = threading.Event()
        self._period = period_s
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import threading
        import traceback

        me = threading.get_ident()
        names = {}
        while not self._stop.wait(self._period):
            names.update({t.ident: t.name for t in threading.enumerate()})
            frames = {names.get(ident, str(ident)): [
                fr for fr in traceback.extract_stack(frame, limit=30)
                if not fr.filename.startswith("<frozen")][-4:]
                for ident, frame in sys._current_frames().items() if ident != me}
            self._samples.append((time.perf_counter(), frames))

    def report(self, late_ms: float, window_s: float) -> None:
        now = time.perf_counter()
        samples = list(self._samples)
        first = next((i for i, (t, _) in enumerate(samples) if t >= now - window_s),
                     len(samples))
        recent = samples[max(0, first - 1):]
        gaps = np.diff([t for t, _ in recent]) * 1000 if len(recent) > 1 else np.zeros(1)
        print(f"-- heartbeat late {late_ms:.0f} ms: {len(recent)} samples, "
              f"largest sample gap {gaps.max():.0f} ms", file=sys.stderr)
        for t, frames in recent[:: max(1, len(recent) // 6)]:
            for name, stack in frames.items():
                where = " <- ".join(f"{Path(fr.filename).name}:{fr.lineno} {fr.name}"
                                    for fr in reversed(stack))
                print(f"   {1000 * (t - now):7.1f} ms {name}: {where}", file=sys.stderr)

    def stop(self) -> None:
        self._stop.set()


if __name__ == "__main__":
    sys.exit(main())
