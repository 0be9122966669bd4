"""Separate a file into stem files, streaming: bounded memory for any length.

:func:`separate_file` is what the CLI's ``separate`` and the window's separation job run:

1. choose the model (``auto``: Demucs ``htdemucs`` when its weights are present, else the
   offline ``classic`` separator — the result says which ran and why) and the device;
2. reuse the stems of an earlier run when the track's content hash, the model and the settings
   match its manifest (``<track>.stems.json``);
3. for Demucs, a first pass over the file measures the mono mix's mean and standard deviation
   (Demucs normalises by them);
4. the second pass streams blocks at the model's rate, runs the separator on overlapping chunks
   (:mod:`core.separation.overlap_add`) with progress per chunk and cancellation, resamples the
   stems back to the file's rate and writes them as they are finished — to hidden temporary
   files that are renamed to ``<track>.<stem>.<flac|wav>`` (24-bit) only when every stem is
   complete. A failure or a cancel (or a full disk) removes the temporary files: no half-written
   stem is ever left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import platformdirs

from core.errors import CoreError, InvalidParameter, OutputExists
from core.jobs import CancelToken, ProgressCallback, StagedProgress, check_cancel, report
from core.separation.catalog import DEFAULT_MODEL, MODELS, OFFLINE_MODEL, model_info
from core.separation.overlap_add import Chunk, OverlapAdd, triangle_window

log = logging.getLogger(__name__)

FORMATS = ("flac", "wav")
"""Stem file formats (both 24-bit PCM)."""
MANIFEST_VERSION = 1
_BLOCK_SECONDS = 10.0


class Separator(Protocol):
    """What the pipeline drives: chunks in, stems out (see :mod:`.demucs_backend`)."""

    name: str
    device: str
    stems: tuple[str, ...]
    sample_rate: int
    channels: int
    chunk: int
    overlap: int
    needs_stats: bool
    cancel: CancelToken | None

    @property
    def backend(self) -> str: ...

    def prepare(self, mean: float, std: float) -> None: ...

    def separate(self, chunk: np.ndarray) -> np.ndarray: ...

    def close(self) -> None: ...


class SeparationFailed(CoreError):
    """Stems could not be written (disk full, permissions, …); nothing was left behind."""


@dataclass(frozen=True)
class SeparationOptions:
    """``model`` (``auto`` or a :data:`core.separation.catalog.MODELS` name), ``device``
    (auto, cpu, cuda, mps), ``stems`` to write (empty: all the model has), ``out_dir`` (default:
    :func:`default_stems_dir` of the track), ``format`` (flac or wav), ``overwrite`` (replace
    stems of a different run), ``half`` (float16 on CUDA), ``reuse`` (keep matching stems),
    ``overlap`` (fraction of a chunk shared with the next) and ``segment_seconds`` (chunk
    length; at most the model's training segment, ``None`` = that segment)."""

    model: str = "auto"
    device: str = "auto"
    stems: tuple[str, ...] = ()
    out_dir: str | None = None
    format: str = "flac"
    overwrite: bool = False
    half: bool = True
    reuse: bool = True
    overlap: float = 0.25
    segment_seconds: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.overlap < 1.0:
            raise InvalidParameter(f"overlap must be a fraction 0–0.9, got {self.overlap}")
        if self.segment_seconds is not None and self.segment_seconds <= 0:
            raise InvalidParameter(f"segment must be positive seconds, got "
                                   f"{self.segment_seconds}")
        if self.model != "auto":
            model_info(self.model)
        if self.format not in FORMATS:
            raise InvalidParameter(f"stem format must be flac or wav, got {self.format!r}")

    def settings(self) -> dict[str, object]:
        """What the stems' content depends on besides the track and the model."""
        return {"format": self.format, "half": self.half, "overlap": self.overlap,
                "segment_seconds": self.segment_seconds}


@dataclass(frozen=True)
class SeparationResult:
    """What :func:`separate_file` did: the ``model`` and the ``backend`` line (with device and
    precision), why that model (``reason``), the stem files, whether they were ``reused``,
    the ``seconds`` it took and the track's ``duration``."""

    track: Path
    model: str
    backend: str
    device: str
    reason: str
    stems: dict[str, Path] = field(default_factory=dict)
    reused: bool = False
    seconds: float = 0.0
    duration: float = 0.0


def default_stems_dir(content_hash: str) -> Path:
    """``<user data dir>/breakroom/stems/<first 16 hex of the content hash>``."""
    return Path(platformdirs.user_data_dir("breakroom")) / "stems" / content_hash[:16]


def choose_model(requested: str) -> tuple[str, str]:
    """The model to run and why: an explicit name is used as is; ``auto`` takes
    :data:`DEFAULT_MODEL` when its weights are present, else :data:`OFFLINE_MODEL`."""
    from core.separation.weights import status

    if requested != "auto":
        return requested, "requested"
    if status(DEFAULT_MODEL).ready:
        return DEFAULT_MODEL, f"{DEFAULT_MODEL} weights are installed"
    return OFFLINE_MODEL, (f"{DEFAULT_MODEL} weights are not installed "
                           f"(`python main.py models download {DEFAULT_MODEL}`); using the "
                           "offline separator")


def make_separator(model: str, device: str, *, half: bool = True,
                   demucs_model: object | None = None, overlap: float = 0.25,
                   segment_seconds: float | None = None) -> Separator:
    """A ready separator for ``model`` on ``device`` (``auto`` resolved here).

    ``demucs_model`` injects an already-built Demucs model (tests use tiny random ones).
    Raises :class:`ModelUnavailable` with the exact fix when weights are missing.
    """
    from core.devices import resolve_device

    if model == OFFLINE_MODEL:
        from core.separation.classic_adapter import ClassicChunkSeparator

        if device not in ("auto", "cpu"):
            resolve_device(device, purpose="separation")  # refuse an unavailable device
        return ClassicChunkSeparator()
    from core.separation.demucs_backend import DemucsSeparator
    from core.separation.weights import load_demucs

    resolved = resolve_device(device, purpose="separation")
    built = demucs_model if demucs_model is not None else load_demucs(model)
    return DemucsSeparator(built, resolved, model, half=half, overlap=overlap,
                           segment_seconds=segment_seconds)


def _manifest_path(out_dir: Path, track: Path) -> Path:
    return out_dir / f"{track.stem}.stems.json"


def _reusable(manifest: Path, digest: str, model: str, options: SeparationOptions,
              stems: Sequence[str], out_dir: Path) -> dict[str, Path] | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (data.get("version") != MANIFEST_VERSION or data.get("content_hash") != digest
            or data.get("model") != model or data.get("settings") != options.settings()):
        return None
    files = {s: out_dir / data.get("files", {}).get(s, "") for s in stems}
    if all(data.get("files", {}).get(s) and p.is_file() for s, p in files.items()):
        return files
    return None


def _to_channels(block: np.ndarray, channels: int) -> np.ndarray:
    """Mono → duplicated; 5.1/more → an ITU-style stereo downmix; else the first channels."""
    if block.shape[0] == channels:
        return block
    if block.shape[0] == 1:
        return np.repeat(block, channels, axis=0)
    if channels == 2 and block.shape[0] >= 6:  # L R C LFE Ls Rs
        left = block[0] + 0.7071 * block[2] + 0.7071 * block[4]
        right = block[1] + 0.7071 * block[2] + 0.7071 * block[5]
        return np.stack([left, right]) / 2.414
    if channels == 2 and block.shape[0] > 2:
        return block[:2]
    return block.mean(axis=0, keepdims=True)[:channels]


def _stats(path: Path, rate: int, cancel: CancelToken | None,
           progress: ProgressCallback | None, duration: float) -> tuple[float, float]:
    """Mean and standard deviation of the mono mix at ``rate`` (one streaming pass)."""
    from core.audio import blocks

    n = 0
    s1 = s2 = 0.0
    for block in blocks(path, seconds=_BLOCK_SECONDS, mono=True, sample_rate=rate,
                        cancel=cancel):
        x = block.samples[0].astype(np.float64)
        n += len(x)
        s1 += float(x.sum())
        s2 += float((x * x).sum())
        report(progress, min(1.0, n / max(1.0, duration * rate)), "measuring level")
    if n == 0:
        return 0.0, 1.0
    mean = s1 / n
    return mean, float(np.sqrt(max(s2 / n - mean * mean, 0.0)))


class _StemWriters:
    """Temporary stem files written block by block, renamed when all are complete."""

    def __init__(self, finals: dict[str, Path], rate: int, channels: int, fmt: str) -> None:
        import soundfile as sf

        self.finals = finals
        self.temps = {s: p.with_name(f".{p.name}.partial") for s, p in finals.items()}
        self.files = {}
        try:
            for s, tmp in self.temps.items():
                self.files[s] = sf.SoundFile(str(tmp), "w", samplerate=rate, channels=channels,
                                             subtype="PCM_24", format=fmt.upper())
        except BaseException:
            self.abort()
            raise

    def write(self, stems: dict[str, np.ndarray]) -> None:
        import soundfile as sf

        for s, data in stems.items():
            if data.shape[-1]:
                try:
                    self.files[s].write(np.clip(data, -1.0, 1.0 - 2.0 ** -23).T)
                except sf.SoundFileRuntimeError as exc:  # disk full, file too large, I/O error
                    raise OSError(f"{self.temps[s].parent}: {exc} (disk full?)") from None

    def commit(self) -> dict[str, Path]:
        import soundfile as sf

        for f in self.files.values():
            try:
                f.close()
            except sf.SoundFileRuntimeError as exc:
                raise OSError(f"{exc} (disk full?)") from None
        for s, tmp in self.temps.items():
            os.replace(tmp, self.finals[s])
        return dict(self.finals)

    def abort(self) -> None:
        for f in self.files.values():
            with contextlib.suppress(Exception):  # closing on a full disk may fail too
                f.close()
        for tmp in self.temps.values():
            tmp.unlink(missing_ok=True)


class _Resampler:
    """Stems from the model's rate back to the file's rate (streaming soxr), per stem."""

    def __init__(self, stems: Sequence[str], src: int, dst: int, channels: int) -> None:
        self.streams = {}
        if src != dst:
            import soxr

            self.streams = {s: soxr.ResampleStream(src, dst, channels, dtype="float32",
                                                   quality="HQ") for s in stems}

    def __call__(self, stems: dict[str, np.ndarray], last: bool = False
                 ) -> dict[str, np.ndarray]:
        if not self.streams:
            return stems
        return {s: self.streams[s].resample_chunk(np.ascontiguousarray(x.T, np.float32),
                                                  last=last).T for s, x in stems.items()}


def separate_file(path: str | os.PathLike[str], options: SeparationOptions | None = None, *,
                  progress: ProgressCallback | None = None, cancel: CancelToken | None = None,
                  separator: Separator | None = None) -> SeparationResult:
    """Separate the track at ``path`` into stem files (see the module docstring).

    ``separator`` injects a ready separator (tests; the window keeps one loaded). Raises
    :class:`core.errors.AudioLoadError` subclasses for unreadable input,
    :class:`ModelUnavailable` with the exact fix for missing weights, :class:`OutputExists`
    when different stems are in the way, :class:`core.errors.Cancelled`, and
    :class:`SeparationFailed` when writing fails.
    """
    from core.audio import probe
    from core.cache import content_hash

    opts = options or SeparationOptions()
    track = Path(path)
    started = time.perf_counter()
    info = probe(track)
    if info.duration <= 0:
        raise InvalidParameter(f"{track}: no audio to separate")
    stages = StagedProgress(progress, {"hash": 0.02, "stats": 0.08, "separate": 0.9})
    digest = content_hash(track, cancel=cancel)
    report(stages.begin("hash"), 1.0, "hashing")
    if separator is not None:
        model, reason = separator.name, "given"
    else:
        model, reason = choose_model(opts.model)
    catalog_stems = model_info(model).stems if model in MODELS else (
        separator.stems if separator else ())
    wanted = tuple(opts.stems) or tuple(catalog_stems)
    unknown = [s for s in wanted if s not in catalog_stems]
    if unknown:
        raise InvalidParameter(f"model {model} has no stem {', '.join(unknown)}; it has "
                               f"{', '.join(catalog_stems)}")
    out_dir = Path(opts.out_dir) if opts.out_dir else default_stems_dir(digest)
    finals = {s: out_dir / f"{track.stem}.{s}.{opts.format}" for s in wanted}
    manifest = _manifest_path(out_dir, track)
    if opts.reuse and not opts.overwrite:
        found = _reusable(manifest, digest, model, opts, wanted, out_dir)
        if found is not None:
            stages.done()
            return SeparationResult(track, model, f"reused stems of an earlier {model} run",
                                    "none", reason, found, True,
                                    time.perf_counter() - started, info.duration)
    if not opts.overwrite:
        for p in finals.values():
            if p.exists():
                raise OutputExists(p)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeparationFailed(f"{out_dir}: cannot create the stems folder ({exc.strerror})"
                               ) from None
    sep = separator or make_separator(model, opts.device, half=opts.half, overlap=opts.overlap,
                                      segment_seconds=opts.segment_seconds)
    sep.cancel = cancel
    try:
        stems = _run(track, info, sep, finals, opts, stages, cancel)
    finally:
        if separator is None:
            sep.close()
    _write_manifest(manifest, digest, model, sep, opts, stems)
    stages.done()
    return SeparationResult(track, model, sep.backend, sep.device, reason, stems, False,
                            time.perf_counter() - started, info.duration)


def _run(track: Path, info: object, sep: Separator, finals: dict[str, Path],
         opts: SeparationOptions, stages: StagedProgress,
         cancel: CancelToken | None) -> dict[str, Path]:
    duration = float(info.duration)  # type: ignore[attr-defined]
    src_rate = int(info.sample_rate)  # type: ignore[attr-defined]
    out_channels = 1 if int(info.channels) == 1 else sep.channels  # type: ignore[attr-defined]
    stats_progress = stages.begin("stats")
    if sep.needs_stats:
        sep.prepare(*_stats(track, sep.sample_rate, cancel, stats_progress, duration))
    run_progress = stages.begin("separate")
    index = {s: k for k, s in enumerate(sep.stems)}
    resample = _Resampler(list(finals), sep.sample_rate, src_rate, out_channels)
    expected = max(1, round(duration * sep.sample_rate))
    try:
        writers = _StemWriters(finals, src_rate, out_channels, opts.format)
    except OSError as exc:
        folder = next(iter(finals.values())).parent
        raise SeparationFailed(f"{track}: cannot write stems in {folder} ({exc})") from None
    try:
        chunks = _chunks(track, sep, cancel)
        acc = OverlapAdd(sep.overlap)
        triangle = (triangle_window(sep.chunk)
                    if getattr(sep, "window", "linear") == "triangle" else None)
        step = sep.chunk - sep.overlap
        for chunk, piece, last in chunks:
            out = sep.separate(piece)
            if out.shape[-1] != chunk.length:  # padded with context: keep the centre
                lead = (out.shape[-1] - chunk.length) // 2
                out = out[..., lead:lead + chunk.length]
            acc.add(chunk, out, None if triangle is None else triangle[:chunk.length])
            done = acc.finish() if last else acc.ready(chunk.start + step)
            writers.write(resample(_pick(done, index, finals, out_channels), last=last))
            report(run_progress, min(1.0, chunk.stop / expected), f"separating ({sep.backend})")
        return writers.commit()
    except OSError as exc:
        writers.abort()
        raise SeparationFailed(f"{track}: writing stems failed ({exc.strerror or exc}); "
                               "no partial stem was kept") from None
    except BaseException:
        writers.abort()
        raise


def _chunks(track: Path, sep: Separator, cancel: CancelToken | None
            ) -> Iterator[tuple[Chunk, np.ndarray, bool]]:
    """Stream the track at the separator's rate and channel count and yield
    ``(chunk, input, is_last)``: chunks start every ``chunk − overlap`` samples while they
    start inside the signal (as ``demucs.apply.apply_model`` places them). With
    ``sep.pad_input`` a short final chunk's input is padded to the full segment around it —
    real samples before it, zeros after the end — like Demucs' ``TensorChunk.padded``."""
    from core.audio import blocks

    seg, step = sep.chunk, sep.chunk - sep.overlap
    history = seg // 2 + 1
    pad = bool(getattr(sep, "pad_input", False))
    pending = np.zeros((sep.channels, 0), np.float32)
    origin = 0   # signal position of pending[:, 0]
    start = 0
    first = True
    stream = blocks(track, seconds=_BLOCK_SECONDS, sample_rate=sep.sample_rate, cancel=cancel)
    ended = False
    while True:
        block = None if ended else next(stream, None)
        if block is None:
            ended = True
        else:
            pending = np.concatenate(
                [pending, _to_channels(np.asarray(block.samples), sep.channels)], axis=1)
        have = origin + pending.shape[1]
        while start < have and (have - start >= seg or ended):
            check_cancel(cancel)
            stop = min(start + seg, have)
            last = ended and start + step >= have
            piece = pending[:, start - origin:stop - origin]
            if pad and stop - start < seg:
                delta = seg - (stop - start)
                lo = max(origin, start - delta // 2)
                before = pending[:, lo - origin:start - origin]
                left = delta // 2 - before.shape[1]
                right = delta - delta // 2
                piece = np.concatenate([np.zeros((sep.channels, left), np.float32), before,
                                        piece, np.zeros((sep.channels, right), np.float32)],
                                       axis=1)
            yield Chunk(start, stop, first, last), piece, last
            first = False
            start += step
            keep = max(origin, start - history)
            pending, origin = pending[:, keep - origin:], keep
        if ended:
            return


def _pick(done: np.ndarray, index: dict[str, int], finals: dict[str, Path],
          channels: int) -> dict[str, np.ndarray]:
    if done.size == 0:
        return {s: np.zeros((channels, 0), np.float32) for s in finals}
    out = {}
    for s in finals:
        x = done[index[s]].astype(np.float32)
        out[s] = x.mean(axis=0, keepdims=True) if channels == 1 else x
    return out


def _write_manifest(manifest: Path, digest: str, model: str, sep: Separator,
                    opts: SeparationOptions, stems: dict[str, Path]) -> None:
    from core.fileutil import atomic_write_text

    data = {"version": MANIFEST_VERSION, "content_hash": digest, "model": model,
            "backend": sep.backend, "device": sep.device, "settings": opts.settings(),
            "files": {s: p.name for s, p in stems.items()}}
    try:
        atomic_write_text(manifest, json.dumps(data, indent=2), overwrite=True)
    except OSError as exc:  # the stems are fine; only reuse is lost
        log.warning("%s: could not write the stems manifest (%s)", manifest, exc)


def find_stems(track: str | os.PathLike[str], content_hash: str, *,
               models: Sequence[str] | None = None) -> dict[str, Path]:
    """Stems an earlier run left for this track content in the default stems folder
    (``{}`` when none, or when they came from a model not in ``models``)."""
    out_dir = default_stems_dir(content_hash)
    manifest = _manifest_path(out_dir, Path(track))
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("content_hash") != content_hash or (
            models is not None and data.get("model") not in models):
        return {}
    files = {s: out_dir / name for s, name in data.get("files", {}).items()}
    return {s: p for s, p in files.items() if p.is_file()}


__all__ = ["FORMATS", "SeparationFailed", "SeparationOptions", "SeparationResult", "Separator",
           "choose_model", "default_stems_dir", "find_stems", "make_separator", "separate_file"]
