"""Benchmark the track views on a long file: peak pyramid, first waveform, redraw on zoom/pan.

Run ``.venv/bin/python benchmarks/ui_views.py [--minutes 60] [--steps 100] [--out-dir DIR]``.
A music-like stereo 44.1 kHz WAV is generated block by block (benchmarks/generated_audio.py)
into a temporary folder (kept in ``--out-dir`` when given, and reused from there). Qt renders
offscreen; every timing runs until the change is painted (the paint Qt schedules, or a
synchronous repaint when none came).

Measured:

* time to build the :class:`core.audio.peaks.PeakPyramid` of the file, and its size;
* time to build the display spectrogram (for reference);
* "waveform shown": from pyramid-ready to the waveform painted in an already shown
  :class:`app.views.TrackViews` (``set_peaks`` + repaint; target ≤ 1 s);
* redraw time of ``--steps`` random zoom/pan steps (target ≤ 16 ms): once for the waveform
  view alone, once for the whole stack (waveform, spectrogram, drum timeline with a 174 BPM
  grid and tens of thousands of hits). The steps are replayed ``--repeats`` times and each
  step's fastest wall-clock time counts (the development machine is shared: a single run also
  measures other processes); the UI thread's CPU time and the raw times are reported too.

Prints a Markdown table and ends with one line::

    SUMMARY pyramid_60min_s=… waveform_show_ms=… redraw_ms_p99=… redraw_ms_max=…

(the redraw figures of the SUMMARY are the waveform view's best-of-replays wall-clock times,
the target's subject).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.resources import load_stylesheet  # noqa: E402
from app.views import LoopRegionModel, TimeAxis, TrackViews, WaveformView  # noqa: E402
from benchmarks.generated_audio import write_music  # noqa: E402
from core.analysis.spectrogram import spectrogram_image  # noqa: E402
from core.audio.peaks import PeakPyramid  # noqa: E402
from core.results import DrumHit, FileInfo, Loop, TrackAnalysis  # noqa: E402

BPM = 174.0
WIDTH, HEIGHT = 1280, 720


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def synthetic_analysis(path: Path, duration: float) -> TrackAnalysis:
    """A 174 BPM grid over the whole file with kick, snare and closed hats on it."""
    beat = 60.0 / BPM
    beats = np.arange(0.0, duration, beat)
    rng = np.random.default_rng(1)
    hits = [DrumHit(float(t), "kick", int(rng.integers(70, 128)), float(rng.uniform(0.5, 1)))
            for t in beats[::2]]
    hits += [DrumHit(float(t), "snare", int(rng.integers(60, 128)), float(rng.uniform(0.4, 1)))
             for t in beats[1::2]]
    hits += [DrumHit(float(t), "hihat_closed", int(rng.integers(1, 128)),
                     float(rng.uniform(0, 1))) for t in beats + beat / 2 if t < duration]
    downbeats = tuple(float(t) for t in beats[::4])
    return TrackAnalysis(
        file=FileInfo(str(path), path.stat().st_size, None, "WAV", 2, 44100, duration),
        duration=duration, sample_rate=44100, beats=tuple(float(t) for t in beats),
        downbeats=downbeats, drum_hits=tuple(hits),
        loop=Loop(downbeats[8], downbeats[12], 4))


def timed(action: Callable[[], object]) -> float:
    """Seconds taken by ``action``."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class PaintCounter(QObject):
    """Counts paint events of the plot viewports inside a widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        views = [widget] if isinstance(widget, pg.GraphicsView) else []
        for view in views + widget.findChildren(pg.GraphicsView):
            view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Count, never consume."""
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def repainted(widget: QWidget, action: Callable[[], object],
              counter: PaintCounter) -> Callable[[], None]:
    """``action``, then the event loop until the change is on screen: the paint Qt schedules
    (a synchronous repaint when none came)."""
    def run() -> None:
        before = counter.count
        action()
        QApplication.processEvents()
        if counter.count == before:
            widget.repaint()
    return run


def random_steps(rng: np.random.Generator, axis: TimeAxis, steps: int
                 ) -> list[Callable[[], None]]:
    """A reproducible mix of wheel zooms, drags and jumps to random ranges."""
    duration = axis.duration
    actions: list[Callable[[], None]] = []
    for _ in range(steps):
        kind = rng.choice(["zoom", "pan", "jump"], p=[0.45, 0.4, 0.15])
        if kind == "zoom":
            factor = float(1.25 ** rng.choice([-3, -2, -1, 1, 2, 3]))
            where = float(rng.uniform(0.0, 1.0))
            actions.append(lambda f=factor, w=where: axis.zoom(
                f, axis.start + w * axis.span))
        elif kind == "pan":
            fraction = float(rng.uniform(-0.5, 0.5))
            actions.append(lambda fr=fraction: axis.pan(fr * axis.span))
        else:
            span = float(np.exp(rng.uniform(np.log(1.0), np.log(duration))))
            start = float(rng.uniform(0.0, max(duration - span, 0.0)))
            actions.append(lambda s=start, w=span: axis.set_range(s, s + w))
    return actions


def measure_redraws(widget: QWidget, axis: TimeAxis, steps: int, seed: int,
                    repeats: int) -> dict[str, np.ndarray]:
    """Milliseconds of each of ``steps`` random zoom/pan steps, replayed ``repeats`` times
    from the full view (after 5 warm-up steps).

    Returns per step: ``wall`` — the fastest wall-clock time over the replays (the machine is
    shared, so a single run also measures other processes' time slices), ``wall_any`` — every
    wall-clock time of every replay, and ``cpu`` — the fastest CPU time of this thread, which
    does all the work (offscreen painting included).
    """
    counter = PaintCounter(widget)
    for action in random_steps(np.random.default_rng(seed + 1), axis, 5):
        repainted(widget, action, counter)()
    wall = np.full((repeats, steps), np.inf)
    cpu = np.full((repeats, steps), np.inf)
    for replay in range(repeats):
        axis.fit()
        QApplication.processEvents()
        for index, action in enumerate(random_steps(np.random.default_rng(seed), axis, steps)):
            step = repainted(widget, action, counter)
            started_cpu = time.thread_time()
            wall[replay, index] = timed(step) * 1000.0
            cpu[replay, index] = (time.thread_time() - started_cpu) * 1000.0
    return {"wall": wall.min(axis=0), "wall_any": wall.ravel(), "cpu": cpu.min(axis=0)}


def stats(values_ms: np.ndarray) -> dict[str, float]:
    return {"median": float(np.median(values_ms)), "p99": float(np.percentile(values_ms, 99)),
            "max": float(values_ms.max()), "mean": float(values_ms.mean())}


def run(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(load_stylesheet())
    path = folder / f"music_{args.minutes:g}min.wav"
    if not path.exists():
        log(f"writing {args.minutes:g} minutes of generated music to {path} …")
        write_music(path, args.minutes, bpm=BPM)
    results: dict[str, float] = {}

    log("building the peak pyramid …")
    started = time.perf_counter()
    pyramid = PeakPyramid.from_file(path)
    results["pyramid_s"] = time.perf_counter() - started
    results["pyramid_mb"] = pyramid.nbytes / 2**20
    results["levels"] = len(pyramid.levels)
    log("building the spectrogram …")
    started = time.perf_counter()
    image = spectrogram_image(path)
    results["spectrogram_s"] = time.perf_counter() - started
    results["spectrogram_columns"] = image.columns
    analysis = synthetic_analysis(path, pyramid.duration)
    results["hits"] = len(analysis.drum_hits)
    results["beats"] = len(analysis.beats)

    # From pyramid-ready to the waveform on screen, in a shown (empty) TrackViews.
    views = TrackViews()
    views.resize(WIDTH, HEIGHT)
    views.show()
    QApplication.processEvents()
    views.repaint()
    counter = PaintCounter(views)
    painted: list[int] = []
    original_paint = views.waveform.wave.paint

    def counting_paint(*paint_args: object) -> None:
        painted.append(1)
        original_paint(*paint_args)  # type: ignore[arg-type]

    views.waveform.wave.paint = counting_paint  # type: ignore[method-assign]
    results["waveform_show_ms"] = timed(repainted(views, lambda: views.set_peaks(pyramid),
                                                  counter)) * 1e3
    if not painted:
        raise RuntimeError("the waveform was not painted by the timed repaint")
    results["stack_fill_ms"] = timed(repainted(views, lambda: (
        views.set_spectrogram(image), views.set_analysis(analysis)), counter)) * 1e3

    # Waveform view alone (the target's subject), then the whole stack.
    axis, loop = TimeAxis(), LoopRegionModel()
    alone = WaveformView(axis, loop)
    alone.resize(WIDTH, 320)
    alone.show()
    axis.set_duration(pyramid.duration)
    alone.set_peaks(pyramid)
    alone.set_grid(analysis.beats, analysis.downbeats)
    loop.set_grid(analysis.downbeats, pyramid.duration)
    QApplication.processEvents()
    for name, (widget, time_axis) in {"waveform": (alone, axis),
                                      "stack": (views, views.time_axis)}.items():
        log(f"timing {args.steps} zoom/pan steps × {args.repeats} ({name}) …")
        timings = measure_redraws(widget, time_axis, args.steps, args.seed, args.repeats)
        for kind, values in timings.items():
            for key, value in stats(values).items():
                results[f"{name}_{kind}_{key}_ms"] = value
    views.close()
    alone.close()
    return results


def print_table(results: dict[str, float], args: argparse.Namespace) -> None:
    minutes = f"{args.minutes:g} min"
    rows = [
        (f"peak pyramid of {minutes} stereo 44.1 kHz WAV", f"{results['pyramid_s']:.2f} s "
         f"({results['pyramid_mb']:.1f} MB, {results['levels']:.0f} levels)", ""),
        (f"spectrogram of {minutes} (256 log bands)", f"{results['spectrogram_s']:.1f} s "
         f"({results['spectrogram_columns']:.0f} columns)", ""),
        ("pyramid ready → waveform shown (set_peaks + paint)",
         f"{results['waveform_show_ms']:.1f} ms", "≤ 1000 ms"),
        (f"spectrogram + analysis ({results['beats']:.0f} beats, {results['hits']:.0f} hits)"
         " → shown", f"{results['stack_fill_ms']:.1f} ms", ""),
    ]
    kinds = (("wall", f"wall clock, best of {args.repeats} replays"),
             ("cpu", "CPU time of the UI thread"),
             ("wall_any", f"wall clock, every step of all {args.repeats} replays"))
    for name, label in (("waveform", "waveform view"), ("stack", "all three views")):
        for kind, how in kinds:
            r = {key: results[f"{name}_{kind}_{key}_ms"] for key in ("median", "p99", "max")}
            rows.append((f"{label}: redraw per zoom/pan step ({how}), median / p99 / max",
                         f"{r['median']:.1f} / {r['p99']:.1f} / {r['max']:.1f} ms",
                         "≤ 16 ms" if name == "waveform" and kind == "wall" else ""))
    print(f"Views at {WIDTH}×{HEIGHT} px (waveform alone {WIDTH}×320), offscreen, "
          f"{args.steps} random steps (seed {args.seed}).\n")
    print("| measurement | value | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table and SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3,
                        help="replays of the same steps; each step's fastest counts")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="keep (and reuse) the generated audio here")
    args = parser.parse_args(argv)
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        results = run(args, args.out_dir)
    else:
        folder = Path(tempfile.mkdtemp(prefix="breakroom-bench-views-"))
        try:
            results = run(args, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(results, args)
    print(f"SUMMARY pyramid_60min_s={results['pyramid_s']:.3f} "
          f"waveform_show_ms={results['waveform_show_ms']:.1f} "
          f"redraw_ms_p99={results['waveform_wall_p99_ms']:.2f} "
          f"redraw_ms_max={results['waveform_wall_max_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
