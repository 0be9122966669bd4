"""``breakroom analyze PATH... [--out DIR] [--format json|yaml|csv] [--jobs N] [--no-cache]``.

Analyses files and folders (recursively, audio files only) with the same pipeline as the window.
One failing file never stops the batch; a summary table closes the run.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from core.analysis.pipeline import AnalysisOptions, analyze_file
from core.cache import ResultCache
from core.cli.context import CliContext, UsageError
from core.cli.progress_display import ProgressDisplay
from core.cli.tables import fmt_number, fmt_seconds, format_table
from core.errors import ConfigError
from core.jobs import CancelToken
from core.results import TrackAnalysis, to_dict
from core.results_io import FORMATS, dumps_yaml, export_analysis


@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: Path
    analysis: TrackAnalysis | None = None
    written: tuple[Path, ...] = ()
    error: str | None = None
    seconds: float = 0.0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``analyze`` sub-command."""
    p = sub.add_parser("analyze", parents=[common], help="analyse audio files and folders",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    p.add_argument("--out", metavar="DIR",
                   help="write one result per file here (default: results to stdout)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="result format (default from config: json)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="files analysed in parallel (default from config: 1)")
    p.add_argument("--no-cache", action="store_true",
                   help="ignore and do not fill the result cache")
    p.add_argument("--force", action="store_true", help="replace existing result files")
    p.add_argument("--style", metavar="STYLE",
                   help="genre hint for the tempo octave: auto, dnb, jungle, dubstep, trap, "
                        "hiphop, house, techno, idm (overrides the built-in prior)")
    p.add_argument("--tempo-range", metavar="MIN-MAX",
                   help="only consider tempos in this range, e.g. 160-180 (BPM)")
    p.add_argument("--drums", choices=("model", "classic"),
                   help="drum transcription backend (default from config: model)")
    p.add_argument("--drum-stem", metavar="FILE",
                   help="an isolated drum stem of the (single) track: beats and drum hits are "
                        "taken from it, loudness from the track")
    p.set_defaults(handler=run)


def analysis_overrides(args: argparse.Namespace) -> dict[str, object]:
    """Config overrides (dotted keys) from the analysis flags; raises UsageError on bad syntax."""
    overrides: dict[str, object] = {}
    if args.style:
        overrides["analysis.style_hint"] = args.style
    if args.drums:
        overrides["analysis.drums"] = args.drums
    if args.tempo_range:
        try:
            low, high = (float(x) for x in args.tempo_range.split("-"))
        except ValueError:
            raise UsageError(f"--tempo-range must look like 160-180, got {args.tempo_range!r}"
                             ) from None
        overrides["analysis.tempo_min_bpm"] = low
        overrides["analysis.tempo_max_bpm"] = high
    return overrides


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Execute ``analyze``; returns the exit status (0 all ok, 1 some failed)."""
    fmt = args.format or ctx.config.get("cli.format")
    jobs = args.jobs if args.jobs is not None else int(ctx.config.get("cli.jobs"))
    if not 1 <= jobs <= 64:
        raise UsageError(f"--jobs must be between 1 and 64, got {jobs}")
    try:
        ctx.config = ctx.config.with_overrides(analysis_overrides(args))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if fmt == "csv" and not args.out:
        raise UsageError("csv writes three tables per file (beats, drums, segments); "
                         "give --out DIR")
    files, missing = ctx.collect_inputs(args.paths)
    if not files:
        return 1
    if args.drum_stem and len(files) != 1:
        raise UsageError(f"--drum-stem belongs to one track, but {len(files)} files were given")
    cache = _make_cache(ctx, args.no_cache)
    options = AnalysisOptions.from_config(ctx.config)
    display = ProgressDisplay(ctx.stderr, len(files), enabled=not ctx.quiet)
    cancel = CancelToken()

    def one(path: Path) -> FileOutcome:
        outcome = _analyse_one(path, options, cache, cancel, display, args, fmt, ctx)
        line = outcome.error or _done_line(outcome)
        if outcome.error and ctx.quiet:
            print(outcome.error, file=ctx.stderr)
        display.finish(str(path), line)
        return outcome

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        outcomes = list(pool.map(one, files))
    except KeyboardInterrupt:
        cancel.cancel("interrupted")  # running files stop at their next block
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        display.close()
    _emit_results(outcomes, fmt, args.out, ctx)
    if not ctx.quiet:
        print(_summary(outcomes), file=ctx.stderr)
    return 1 if missing or any(o.error for o in outcomes) else 0


def _make_cache(ctx: CliContext, disabled: bool) -> ResultCache | None:
    cache = ResultCache.from_config(ctx.config)
    return None if disabled or not cache.enabled else cache


def _analyse_one(path: Path, options: AnalysisOptions, cache: ResultCache | None,
                 cancel: CancelToken, display: ProgressDisplay, args: argparse.Namespace,
                 fmt: str, ctx: CliContext) -> FileOutcome:
    started = time.perf_counter()
    outcome = FileOutcome(path)
    try:
        outcome.analysis = analyze_file(
            path, options=options, cache=cache, cancel=cancel, drum_stem=args.drum_stem,
            progress=lambda f, stage: display.update(str(path), f, stage))
        if args.out:
            outcome.written = tuple(export_analysis(outcome.analysis, args.out, fmt=fmt,
                                                    overwrite=args.force))
    except Exception as exc:  # one bad file never stops the batch
        outcome.error = ctx.error_line(str(path), exc)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _done_line(outcome: FileOutcome) -> str:
    a = outcome.analysis
    assert a is not None
    bpm = fmt_number(a.tempo_bpm, 1, " BPM") or "no tempo"
    target = f" -> {outcome.written[0]}" if outcome.written else ""
    return f"{outcome.path}: ok, {fmt_seconds(a.duration)}, {bpm}{target}"


def _emit_results(outcomes: list[FileOutcome], fmt: str, out: str | None,
                  ctx: CliContext) -> None:
    """Without --out, print results to stdout: one JSON object (or a list), or YAML documents."""
    if out:
        return
    done = [o.analysis for o in outcomes if o.analysis is not None]
    if not done:
        return
    if fmt == "yaml":
        ctx.stdout.write("---\n".join(dumps_yaml(a) for a in done))
    else:
        data = to_dict(done[0]) if len(outcomes) == 1 else [to_dict(a) for a in done]
        ctx.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
    ctx.stdout.flush()


def _summary(outcomes: list[FileOutcome]) -> str:
    rows = []
    for o in outcomes:
        a = o.analysis
        loud = a.loudness if a else None
        rows.append([o.path.name, "ok" if a else "FAILED",
                     fmt_seconds(a.duration) if a else "",
                     fmt_number(a.tempo_bpm, 1) if a else "",
                     fmt_number(loud.integrated_lufs if loud else None, 1),
                     fmt_number(loud.true_peak_dbtp if loud else None, 1),
                     f"{o.seconds:.1f}"])
    table = format_table(["file", "status", "duration", "BPM", "LUFS", "dBTP", "time s"], rows,
                         align_right=(2, 3, 4, 5, 6))
    failed = sum(1 for o in outcomes if o.error)
    return f"\n{table}\n{len(outcomes) - failed} analysed, {failed} failed"
