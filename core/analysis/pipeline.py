"""The track-analysis pipeline shared by the CLI and the window.

One streaming pass over the file (bounded memory for any length) feeds the loudness meter, the
signal checks, the multi-band onset features and the drum transcriber. Tempo, beats, downbeats,
meter, drum hits and groove follow from those. With a drum stem, beats and drums come from a
second streaming pass over the stem. Results are cached by content hash + options when a
:class:`core.cache.ResultCache` is passed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import soxr

from core.analysis.drums import DrumOptions, DrumTranscriber, DrumTranscription
from core.analysis.groove import analyze_groove
from core.analysis.loudness import LoudnessMeter
from core.analysis.onsets import (
    ONSET_SAMPLE_RATE,
    OnsetEnvelope,
    OnsetFeatureBuilder,
    OnsetFeatures,
    pick_onsets,
)
from core.analysis.rhythm import RhythmOptions, RhythmResult, analyze_rhythm
from core.audio import AudioInfo, blocks, probe
from core.audio.checks import SignalChecker
from core.cache import CacheKey, ResultCache, content_hash, params_key
from core.config import Config
from core.errors import InvalidParameter, ResultFormatError
from core.jobs import (
    CancelToken,
    ProgressCallback,
    StagedProgress,
    check_cancel,
    report,
)
from core.results import Backend, FileInfo, TrackAnalysis, from_dict, to_dict

PIPELINE_VERSION = "14"
"""Bumped whenever the pipeline's output changes, so stale cache entries are not reused."""
_CACHE_NAMESPACE = f"analysis-v{PIPELINE_VERSION}"


_VIEWS = {"auto": DrumOptions.views, "1": 1, "3": 3}
"""Drum views per ``drum_views`` setting: "auto" is the transcriber's own default."""


@dataclass(frozen=True)
class AnalysisOptions:
    """Options of :func:`analyze_file`.

    ``tempo_min_bpm``/``tempo_max_bpm`` bound the tempo search (BPM) and ``style_hint`` (auto,
    dnb, dubstep, …) overrides the tempo prior; ``drums`` is the transcription backend (model or
    classic) run on ``device`` (auto, cpu, cuda, mps); ``loudness`` enables the BS.1770
    measurement; ``block_seconds`` is the streaming block length (s); ``use_drum_stem`` takes
    beats and drum hits from the track's separated drum stem when ``separate`` left one;
    ``drum_views`` (auto, 1, 3) is how many ways the drum net hears the audio (see
    :class:`core.analysis.drums.DrumOptions`): ``auto`` is the transcriber's default (one
    view, which suits the shipped weights).
    """

    tempo_min_bpm: float = 60.0
    tempo_max_bpm: float = 200.0
    style_hint: str = "auto"
    drums: str = "model"
    device: str = "auto"
    loudness: bool = True
    block_seconds: float = 10.0
    use_drum_stem: bool = True
    drum_views: str = "auto"

    def __post_init__(self) -> None:
        if self.drum_views not in _VIEWS:
            raise InvalidParameter(
                f"analysis.drum_views must be auto, 1 or 3, got {self.drum_views!r}")

    @classmethod
    def from_config(cls, config: Config) -> AnalysisOptions:
        """Options from the ``analysis`` and ``audio`` sections of a configuration."""
        return cls(tempo_min_bpm=float(config.get("analysis.tempo_min_bpm")),
                   tempo_max_bpm=float(config.get("analysis.tempo_max_bpm")),
                   style_hint=str(config.get("analysis.style_hint")),
                   drums=str(config.get("analysis.drums")),
                   device=str(config.get("analysis.device")),
                   loudness=bool(config.get("analysis.loudness")),
                   block_seconds=float(config.get("audio.block_seconds")),
                   use_drum_stem=bool(config.get("analysis.use_drum_stem")),
                   drum_views=str(config.get("analysis.drum_views")))

    @property
    def drum_view_count(self) -> int:
        """How many views ``drum_views`` stands for (auto: the transcriber's default)."""
        return _VIEWS[self.drum_views]

    def cache_params(self) -> dict[str, object]:
        """What the result depends on besides the file content: neither the block size nor
        the device changes it, and "auto" views are keyed as the count they stand for."""
        params = asdict(self)
        params.pop("block_seconds")
        params.pop("device")
        params["drum_views"] = self.drum_view_count
        params.pop("use_drum_stem")  # the stem used is keyed by its own content hash
        return params

    def rhythm_options(self) -> RhythmOptions:
        """The rhythm engine's share of these options."""
        return RhythmOptions(tempo_min_bpm=self.tempo_min_bpm, tempo_max_bpm=self.tempo_max_bpm,
                             style_hint=self.style_hint)


class _RhythmFeeder:
    """Feeds one stream of blocks to the onset features and the drum transcriber."""

    def __init__(self, sample_rate: int, options: AnalysisOptions) -> None:
        self.onsets = OnsetFeatureBuilder()
        self.drums = DrumTranscriber(sample_rate, options=DrumOptions(
            backend=options.drums, device=options.device, views=options.drum_view_count))
        self._resampler = (soxr.ResampleStream(sample_rate, ONSET_SAMPLE_RATE, 1,
                                               dtype="float32", quality="HQ")
                           if sample_rate != ONSET_SAMPLE_RATE else None)

    def feed(self, samples: np.ndarray) -> None:
        mono = samples.mean(axis=0)
        self.onsets.feed(self._resampler.resample_chunk(mono) if self._resampler else mono)
        self.drums.feed(samples)

    def finish(self) -> tuple[OnsetFeatures, DrumTranscription]:
        if self._resampler is not None:
            self.onsets.feed(self._resampler.resample_chunk(np.zeros(0, np.float32), last=True))
        return self.onsets.finish(), self.drums.finish()


def analyze_file(path: str | Path, *, options: AnalysisOptions | None = None,
                 cache: ResultCache | None = None, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None,
                 drum_stem: str | Path | None = None) -> TrackAnalysis:
    """Analyse one audio file.

    Returns a :class:`TrackAnalysis` with file info, duration, loudness, onsets, tempo (with
    candidates and sections), beats, downbeats, meter, drum hits and groove. With
    ``drum_stem`` (an isolated drum track of the same song), beats and drums come from the stem.
    Raises :class:`core.errors.AudioLoadError` (naming the file and reason) for unreadable
    input and :class:`core.errors.Cancelled` when ``cancel`` fires.
    """
    options = options or AnalysisOptions()
    path = Path(path)
    info = probe(path)
    report(progress, 0.0, "hashing")
    digest = content_hash(path, cancel=cancel)
    if drum_stem is None and options.use_drum_stem:
        drum_stem = _separated_drum_stem(path, digest)
    stem_info = probe(drum_stem) if drum_stem is not None else None
    weights = {"hash": 1.0, "decode": 8.0, "rhythm": 1.5}
    if stem_info is not None:
        weights["stem"] = 6.0
    stages = StagedProgress(progress, weights)
    report(stages.begin("hash"), 1.0, "hashing")
    params = options.cache_params()
    if drum_stem is not None:
        params["drum_stem"] = content_hash(drum_stem, cancel=cancel)
    key = CacheKey(digest, params_key(params), _CACHE_NAMESPACE)
    if cache is not None:
        cached = _from_cache(cache.get(key), path)
        if cached is not None:
            stages.done()
            return cached
    file_info = FileInfo(str(path), path.stat().st_size, digest, info.format, info.channels,
                         info.sample_rate, info.duration)
    result = _analyse(path, info, file_info, options, stages, cancel,
                      Path(drum_stem) if drum_stem is not None else None, stem_info)
    if cache is not None:
        cache.put(key, to_dict(result))
    stages.done()
    return result


STEM_MODELS_FOR_DRUMS = ("htdemucs", "htdemucs_ft", "htdemucs_6s")
"""Separators whose drum stem analysis takes by itself. The offline ``classic`` stem is left
out: measured on unseen-kit mixes it lowers the drum model's 3-class F (0.924 on the mix, 0.881
on the stem; ``benchmarks/separation.py``). ``drum_stem=`` still accepts any stem."""


def _separated_drum_stem(path: Path, digest: str) -> Path | None:
    """The Demucs drum stem ``separate`` left for this track's content, if any."""
    from core.separation.pipeline import find_stems

    return find_stems(path, digest, models=STEM_MODELS_FOR_DRUMS).get("drums")


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


def _stream(path: Path, info: AudioInfo, options: AnalysisOptions,
            progress: ProgressCallback | None, cancel: CancelToken | None,
            consumers: list) -> int:
    """Feed every block of ``path`` to ``consumers`` (callables); returns the frame count."""
    frames = 0
    for block in blocks(path, seconds=options.block_seconds, cancel=cancel):
        for consume in consumers:
            consume(block.samples)
        frames += block.samples.shape[1]
        if info.duration > 0:
            report(progress, block.start / info.duration, "decoding")
    return frames


def _analyse(path: Path, info: AudioInfo, file_info: FileInfo, options: AnalysisOptions,
             stages: StagedProgress, cancel: CancelToken | None, drum_stem: Path | None,
             stem_info: AudioInfo | None) -> TrackAnalysis:
    meter = LoudnessMeter(info.sample_rate, info.channels) if options.loudness else None
    checker = SignalChecker(info.sample_rate)
    consumers = [checker.feed] + ([meter.feed] if meter is not None else [])
    feeder = None
    if drum_stem is None:
        feeder = _RhythmFeeder(info.sample_rate, options)
        consumers.append(feeder.feed)
    frames = _stream(path, info, options, stages.begin("decode"), cancel, consumers)
    if drum_stem is not None and stem_info is not None:
        if abs(stem_info.duration - info.duration) > 1.0:
            raise InvalidParameter(
                f"{drum_stem}: the drum stem lasts {stem_info.duration:.1f} s but the track "
                f"{info.duration:.1f} s; pass the stem separated from this track")
        feeder = _RhythmFeeder(stem_info.sample_rate, options)
        _stream(drum_stem, stem_info, options, stages.begin("stem"), cancel, [feeder.feed])
    check_cancel(cancel)
    assert feeder is not None
    features, drums = feeder.finish()
    duration = frames / info.sample_rate
    rhythm = analyze_rhythm(features, duration=duration, options=options.rhythm_options(),
                            progress=stages.begin("rhythm"), cancel=cancel,
                            drum_hits=drums.hits)
    groove = analyze_groove(drums.hits, rhythm.beats)
    return TrackAnalysis(
        file=file_info, duration=duration, sample_rate=info.sample_rate, tempo=rhythm.tempo,
        beats=rhythm.beats, downbeats=rhythm.downbeats, time_signature=rhythm.time_signature,
        grid_confidence=rhythm.grid_confidence, tempo_sections=rhythm.tempo_sections,
        onsets=tuple(float(t) for t in pick_onsets(OnsetEnvelope(features.full,
                                                                 features.frame_rate))),
        drum_hits=drums.hits, groove=groove,
        loudness=meter.result() if meter is not None else None,
        backends=_backends(info, rhythm, drums, drum_stem, meter is not None),
        warnings=_warnings(checker, rhythm, drums))


def _backends(info: AudioInfo, rhythm: RhythmResult, drums: DrumTranscription,
              drum_stem: Path | None, loudness: bool) -> tuple[Backend, ...]:
    source = f"drum stem {drum_stem.name}" if drum_stem is not None else "mix"
    backends = [Backend("decode", info.backend),
                Backend("rhythm", f"breakroom rhythm engine (from the {source})",
                        PIPELINE_VERSION),
                Backend("drums", f"{drums.backend} (from the {source})", drums.version,
                        drums.device),
                Backend("groove", "breakroom groove", PIPELINE_VERSION)]
    if loudness:
        backends.append(Backend("loudness", "breakroom BS.1770-4", PIPELINE_VERSION))
    return tuple(backends)


def _warnings(checker: SignalChecker, rhythm: RhythmResult,
              drums: DrumTranscription) -> tuple[str, ...]:
    notes = list(checker.warnings())
    if rhythm.tempo is None and rhythm.reason:
        notes.append(rhythm.reason)
    if drums.fallback_reason:
        notes.append(f"drum model unavailable, used the classic baseline: "
                     f"{drums.fallback_reason}")
    return tuple(notes)


TEMPO_FLIPS = (0.5, 2.0, 2.0 / 3.0, 1.5)
"""Factors the app offers as one-click tempo corrections (½×, 2×, ⅔×, 1.5×)."""


def analyze_at_tempo(path: str | Path, bpm: float, *, options: AnalysisOptions | None = None,
                     cache: ResultCache | None = None, progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None,
                     drum_stem: str | Path | None = None) -> TrackAnalysis:
    """Analyse again with the tempo held to ``bpm`` (±3 %): the one-click ½× / 2× flip.

    Everything downstream of the tempo — beats, downbeats, meter, groove — is re-derived at
    that metrical level (drum hits do not depend on it). Raises :class:`InvalidParameter` for a
    tempo outside 20–400 BPM.
    """
    if not 20.0 <= bpm <= 400.0:
        raise InvalidParameter(f"tempo must be within 20–400 BPM, got {bpm:g}")
    base = options or AnalysisOptions()
    forced = replace(base, tempo_min_bpm=max(20.0, bpm * 0.97),
                     tempo_max_bpm=min(400.0, bpm * 1.03))
    return analyze_file(path, options=forced, cache=cache, progress=progress, cancel=cancel,
                        drum_stem=drum_stem)
