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

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

HEARTBEAT_MS = 10


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints the table and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QTimer

    from app.bootstrap import create_application, preload_engines
    from app.context import AppContext
    from app.main_window import MainWindow
    from app.models.session_model import TrackStatus
    from benchmarks.generated_audio import write_music
    from core.config import load_config

    app = create_application(["breakroom-ui-bench"])
    preload_engines()  # as the app does before its window shows
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
    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - HEARTBEAT_MS))
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


if __name__ == "__main__":
    sys.exit(main())
