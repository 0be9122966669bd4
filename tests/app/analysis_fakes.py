"""Hand-built analysis results and fake core calls for app tests that need no real audio."""

from __future__ import annotations

import threading
from pathlib import Path

from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.results import (
    Backend,
    FileInfo,
    Key,
    Loudness,
    Tempo,
    TempoCandidate,
    TrackAnalysis,
)


def make_analysis(path: str | Path = "/music/track.wav", *, bpm: float = 174.0,
                  lufs: float | None = -9.25, duration: float = 185.0,
                  key: Key | None = None, warnings: tuple[str, ...] = ()) -> TrackAnalysis:
    """A plausible finished analysis."""
    return TrackAnalysis(
        file=FileInfo(str(path), 2_345_678, "ab" * 32, "WAV", 2, 44100, duration),
        duration=duration, sample_rate=44100,
        tempo=Tempo(bpm, 0.8, (TempoCandidate(bpm, 0.8), TempoCandidate(bpm / 2, 0.3))),
        onsets=tuple(float(i) * 0.25 for i in range(40)), key=key,
        loudness=Loudness(lufs, 4.5, -0.4, -0.6, -12.0),
        backends=(Backend("decode", "libsndfile", "1.2"),
                  Backend("tempo", "breakroom acf-comb", "1")),
        warnings=warnings)


class GatedAnalysis:
    """A fake ``analyze_fn`` that blocks until :meth:`release` (or cancellation)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started: list[Path] = []
        self._lock = threading.Lock()

    def __call__(self, path: Path, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> TrackAnalysis:
        with self._lock:
            self.started.append(Path(path))
        report(progress, 0.1, "waiting")
        while not self.gate.wait(0.01):
            check_cancel(cancel)
        check_cancel(cancel)
        report(progress, 1.0, "done")
        return make_analysis(path)

    def release(self) -> None:
        self.gate.set()
