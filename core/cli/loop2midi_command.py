"""``breakroom loop2midi TRACK [--bars 4] [--rank 1] [--quantize 1/16] [--strength 100]
[--swing keep|straight] [--map gm|…|FILE] [--source mix|drums] [--out loop.mid]
[--audio loop.wav]``.

Finds the most loopable bars of a track and writes them as a quantized drum MIDI clip (and,
with --audio, the same loop as a sample-accurate WAV). Prints the chosen loop, the runners-up
and the notes per instrument.
"""

from __future__ import annotations

import argparse
import json

from core.analysis.loops import LOOP_BARS
from core.cache import ResultCache
from core.cli.context import CliContext, UsageError
from core.cli.tables import fmt_seconds, format_table
from core.errors import InvalidParameter
from core.midi.drum_maps import DRUM_MAP_PRESETS
from core.midi.export import summarize
from core.midi.loop_pipeline import LoopMidiOptions, LoopMidiResult, loop_to_midi
from core.midi.quantize import GRIDS, QuantizeOptions


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``loop2midi`` sub-command."""
    p = sub.add_parser("loop2midi", parents=[common],
                       help="export the best drum loop of a track as MIDI",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("track", metavar="TRACK", help="an audio file")
    p.add_argument("--bars", type=int, choices=LOOP_BARS,
                   help="loop length in bars (default from config: 4)")
    p.add_argument("--rank", type=int, default=1,
                   help="1 = best loop, 2 = runner-up, … (default 1)")
    p.add_argument("--quantize", choices=(*GRIDS, "auto"), metavar="GRID",
                   help=f"grid: {', '.join(GRIDS)}, or auto (the coarsest of 1/16, 1/16T, "
                        "1/32 that keeps every hit); default from config: 1/16")
    p.add_argument("--strength", type=float, metavar="PERCENT",
                   help="how far hits move to the grid, 0–100 %% (default from config: 100)")
    p.add_argument("--swing", choices=("keep", "straight"),
                   help="keep: quantize to the track's measured swing; straight: to the "
                        "straight grid (default from config: keep)")
    p.add_argument("--map", metavar="MAP",
                   help=f"drum map: {', '.join(DRUM_MAP_PRESETS)} or a YAML/JSON file "
                        "{instrument: note} (default from config: gm)")
    p.add_argument("--source", choices=("mix", "drums"), default="mix",
                   help="take hits from the mix or from --drum-stem (default mix)")
    p.add_argument("--drum-stem", metavar="FILE", help="the track's isolated drum stem")
    p.add_argument("--note-length", choices=("fixed", "to_next"), default="fixed",
                   help="note lengths: a fixed 1/32 or up to the next hit (default fixed)")
    p.add_argument("--out", metavar="FILE.mid", help="MIDI file (default TRACK.loop.mid)")
    p.add_argument("--audio", metavar="FILE.wav", help="also write the loop as audio")
    p.add_argument("--stem", action="append", default=[], metavar="NAME=FILE",
                   help="with --audio, also cut the loop from this stem (repeatable), written "
                        "next to the audio loop as <audio>.<NAME>.wav")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--no-cache", action="store_true", help="ignore the analysis cache")
    p.add_argument("--json", action="store_true",
                   help="print the chosen loop, candidates and notes as JSON on stdout")
    p.set_defaults(handler=run)


def _options(args: argparse.Namespace, ctx: CliContext) -> LoopMidiOptions:
    """Loop options: flags, else the ``export`` section of the configuration."""
    cfg = ctx.config
    args.bars = args.bars or int(cfg.get("export.bars"))
    args.quantize = args.quantize or str(cfg.get("export.quantize"))
    args.strength = args.strength if args.strength is not None else float(
        cfg.get("export.strength"))
    args.swing = args.swing or str(cfg.get("export.swing"))
    args.map = args.map or str(cfg.get("export.drum_map"))
    if not 0.0 <= args.strength <= 100.0:
        raise UsageError(f"--strength is a percentage 0–100, got {args.strength:g}")
    if args.rank < 1:
        raise UsageError(f"--rank must be 1 or more, got {args.rank}")
    if args.source == "drums" and not args.drum_stem:
        raise UsageError("--source drums needs --drum-stem FILE")
    stems = {}
    for item in args.stem:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise UsageError(f"--stem must look like drums=track.drums.flac, got {item!r}")
        stems[name.strip()] = file.strip()
    if stems and not args.audio:
        raise UsageError("--stem cuts stem loops next to the audio loop; give --audio FILE")
    try:
        auto = args.quantize == "auto"
        quantize = QuantizeOptions(grid="1/16" if auto else args.quantize,
                                   strength=args.strength / 100.0, swing=args.swing)
        return LoopMidiOptions(bars=args.bars, rank=args.rank, quantize=quantize,
                               drum_map=args.map, source=args.source, drum_stem=args.drum_stem,
                               midi_out=args.out, audio_out=args.audio, stems=stems,
                               note_length=args.note_length, overwrite=args.force,
                               auto_grid=auto)
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Execute ``loop2midi``; 0 on success, 1 when the track cannot give a loop."""
    options = _options(args, ctx)
    cache = None if args.no_cache else ResultCache.from_config(ctx.config)
    if cache is not None and not cache.enabled:
        cache = None
    ok, result = ctx.run_single(
        args.track, lambda **kw: loop_to_midi(args.track, options, cache=cache, **kw),
        lambda _r: f"{args.track}: loop found")
    if not ok:
        return 1
    _print(result, args, ctx)  # type: ignore[arg-type]
    return 0


def _print(result: LoopMidiResult, args: argparse.Namespace, ctx: CliContext) -> None:
    """JSON on stdout with --json; the readable report on stderr unless --quiet."""
    chosen = result.chosen
    counts = summarize(result.notes)
    if args.json:
        data = {
            "track": args.track,
            "loop": {"start": chosen.start, "end": chosen.end, "bars": chosen.bars,
                     "first_bar": chosen.first_bar + 1, "score": round(chosen.score, 4),
                     "scores": chosen.scores, "reasons": list(chosen.reasons)},
            "bpm": round(result.bpm, 4),
            "grid": result.quantize.grid,
            "time_signature": str(result.time_signature),
            "notes": counts,
            "candidates": [{"rank": k + 1, "start": c.start, "end": c.end,
                            "first_bar": c.first_bar + 1, "score": round(c.score, 4)}
                           for k, c in enumerate(result.candidates)],
            "written": [str(p) for p in result.written],
        }
        ctx.stdout.write(json.dumps(data, indent=2) + "\n")
        ctx.stdout.flush()
    if ctx.quiet:
        return
    out = ctx.stderr
    print(f"loop: bars {chosen.first_bar + 1}–{chosen.first_bar + chosen.bars} "
          f"({fmt_seconds(chosen.start)}–{fmt_seconds(chosen.end)}, {chosen.bars} bars, "
          f"{result.time_signature}, {result.bpm:.2f} BPM), score {chosen.score:.3f}"
          f" (rank {args.rank}), quantized to {result.quantize.grid}", file=out)
    for reason in chosen.reasons:
        print(f"  - {reason}", file=out)
    rows = [[k + 1, f"{c.first_bar + 1}–{c.first_bar + c.bars}", fmt_seconds(c.start),
             f"{c.score:.3f}", " ".join(f"{n}={v:.2f}" for n, v in c.scores.items())]
            for k, c in enumerate(result.candidates[:5])]
    print(format_table(["rank", "bars", "start", "score", "criteria"], rows,
                       align_right=(0, 3)), file=out)
    note_rows = [[name, count] for name, count in counts.items()]
    print(format_table(["instrument", "notes"], note_rows, align_right=(1,)), file=out)
    for path in result.written:
        print(f"wrote {path}", file=out)
