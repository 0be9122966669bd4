"""The track-analysis pipeline shared by the CLI and the window.

One streaming pass over the file (bounded memory for any length) feeds the loudness meter, the
signal checks and the onset envelope; tempo is estimated from the envelope afterwards. Results
are cached by content hash + options when a :class:`core.cache.ResultCache` is passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soxr

from core.analysis.loudness import LoudnessMeter
from core.analysis.onsets import ONSET_SAMPLE_RATE, OnsetEnvelopeBuilder, pick_onsets
from core.analysis.tempo_estimate import estimate_tempo
from core.audio import AudioInfo, blocks, probe
from core.audio.checks import SignalChecker
from core.cache import CacheKey, ResultCache, content_hash, params_key
from core.config import Config
from core.errors import ResultFormatError
from core.jobs import CancelToken, ProgressCallback, StagedProgress, check_cancel, report
from core.results import Backend, FileInfo, TrackAnalysis, from_dict, to_dict

PIPELINE_VERSION = "1"
"""Bumped whenever the pipeline's output changes, so stale cache entries are not reused."""
_CACHE_NAMESPACE = f"analysis-v{PIPELINE_VERSION}"


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of :func:`analyze_file`.

    ``tempo_min_bpm``/``tempo_max_bpm`` bound the tempo search (BPM); ``loudness`` enables the
    BS.1770 measurement; ``block_seconds`` is the streaming block length (s).
    """

    tempo_min_bpm: float = 60.0
    tempo_max_bpm: float = 200.0
    loudness: bool = True
    block_seconds: float = 10.0

    @classmethod
    def from_config(cls, config: Config) -> AnalysisOptions:
        """Options from the ``analysis`` and ``audio`` sections of a configuration."""
        return cls(tempo_min_bpm=float(config.get("analysis.tempo_min_bpm")),
                   tempo_max_bpm=float(config.get("analysis.tempo_max_bpm")),
                   loudness=bool(config.get("analysis.loudness")),
                   block_seconds=float(config.get("audio.block_seconds")))

    def cache_params(self) -> dict[str, object]:
        """What the result depends on besides the file content (block size does not count)."""
        params = asdict(self)
        params.pop("block_seconds")
        return params


def analyze_file(path: str | Path, *, options: AnalysisOptions | None = None,
                 cache: ResultCache | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> TrackAnalysis:
    """Analyse one audio file.

    Returns a :class:`TrackAnalysis` with file info, duration, loudness, onsets and a first
    tempo estimate. Raises :class:`core.errors.AudioLoadError` (naming the file and reason)
    for unreadable input and :class:`core.errors.Cancelled` when ``cancel`` fires.
    """
    options = options or AnalysisOptions()
    path = Path(path)
    info = probe(path)
    stages = StagedProgress(progress, {"hash": 1.0, "decode": 8.0, "tempo": 1.0})
    report(stages.begin("hash"), 0.0, "hashing")
    digest = content_hash(path, cancel=cancel)
    key = CacheKey(digest, params_key(options.cache_params()), _CACHE_NAMESPACE)
    if cache is not None:
        cached = _from_cache(cache.get(key), path)
        if cached is not None:
            stages.done()
            return cached
    file_info = FileInfo(str(path), path.stat().st_size, digest, info.format, info.channels,
                         info.sample_rate, info.duration)
    result = _analyse_stream(path, info, file_info, options, stages, cancel)
    if cache is not None:
        cache.put(key, to_dict(result))
    stages.done()
    return result


def _from_cache(data: dict | None, path: Path) -> TrackAnalysis | None:
    if data is None:
        return None
    try:
        cached = from_dict(data)
    except ResultFormatError:
        return None
    # Same content may live at another path: report the file as it is now.
    return cached.updated(file=FileInfo(str(path), path.stat().st_size,
                                        cached.file.content_hash, cached.file.format,
                                        cached.file.channels, cached.file.sample_rate,
                                        cached.file.duration))


def _analyse_stream(path: Path, info: AudioInfo, file_info: FileInfo, options: AnalysisOptions,
                    stages: StagedProgress, cancel: CancelToken | None) -> TrackAnalysis:
    decode = stages.begin("decode")
    meter = LoudnessMeter(info.sample_rate, info.channels) if options.loudness else None
    checker = SignalChecker(info.sample_rate)
    onset_builder = OnsetEnvelopeBuilder()
    resampler = (soxr.ResampleStream(info.sample_rate, ONSET_SAMPLE_RATE, 1, dtype="float32",
                                     quality="HQ")
                 if info.sample_rate != ONSET_SAMPLE_RATE else None)
    frames = 0
    for block in blocks(path, seconds=options.block_seconds, cancel=cancel):
        if meter is not None:
            meter.feed(block.samples)
        checker.feed(block.samples)
        mono = block.samples.mean(axis=0)
        onset_builder.feed(resampler.resample_chunk(mono) if resampler else mono)
        frames += block.samples.shape[1]
        if info.duration > 0:
            report(decode, block.start / info.duration, "decoding")
    if resampler is not None:
        onset_builder.feed(resampler.resample_chunk(np.zeros(0, np.float32), last=True))
    check_cancel(cancel)
    report(stages.begin("tempo"), 0.0, "tempo")
    envelope = onset_builder.finish()
    tempo = estimate_tempo(envelope, min_bpm=options.tempo_min_bpm,
                           max_bpm=options.tempo_max_bpm)
    onsets = tuple(float(t) for t in pick_onsets(envelope))
    duration = frames / info.sample_rate
    backends = [Backend("decode", info.backend),
                Backend("onsets", "breakroom spectral-flux", PIPELINE_VERSION),
                Backend("tempo", "breakroom acf-comb (first estimate)", PIPELINE_VERSION)]
    if meter is not None:
        backends.append(Backend("loudness", "breakroom BS.1770-4", PIPELINE_VERSION))
    return TrackAnalysis(
        file=file_info, duration=duration, sample_rate=info.sample_rate, tempo=tempo,
        onsets=onsets, loudness=meter.result() if meter is not None else None,
        backends=tuple(backends), warnings=tuple(checker.warnings()))
