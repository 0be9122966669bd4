"""``breakroom latent …``: the latent-space lab from the command line.

    latent generate-examples OUT_DIR [--per-style 100] [--bars 8] [--seed 0]
    latent report DIR [--config quick] [--json]
    latent train DIR [--config quick|full|FILE] [--out RUN_DIR] [--latent-dim N] [--epochs N]
                     [--resume] [--force] [--heldout DIR] [--device auto] [--json]
    latent encode INPUT... --model RUN [--out latents.json]
    latent sample --model RUN --out DIR [--count 4] [--seed 0] [--temperature 1] [--bpm 120]
    latent interpolate A B --model RUN --out DIR [--steps 8]

``--model`` takes a run folder (holding ``checkpoint.safetensors``) or the file itself. A clip
is named by its MIDI file (its first 4-bar segment) or ``file.mid#N`` for segment N.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from core.cli.context import CliContext, UsageError
from core.cli.tables import format_table
from core.errors import CoreError, InvalidParameter, OutputExists

_SUBCOMMANDS = ("generate-examples", "report", "train", "encode", "sample", "interpolate")


def _verbosity() -> argparse.ArgumentParser:
    """-q/-v for the leaf parsers (``--config`` means the training config here, so the global
    parent parser, whose ``--config`` is the settings file, is not used)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    group.add_argument("-v", "--verbose", action="store_true", help="full tracebacks")
    return parent


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``latent`` command and its sub-commands."""
    p = sub.add_parser("latent", help="train and use the MIDI+CC latent model",
                       description=__doc__.split("\n\n")[0],
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=__doc__.split("\n\n", 1)[1])
    p.set_defaults(handler=_no_subcommand, quiet=False, verbose=False)
    leaves = p.add_subparsers(dest="latent_command", metavar="SUBCOMMAND")
    parent = _verbosity()

    g = leaves.add_parser("generate-examples", parents=[parent],
                          help="write the deterministic example clips")
    g.add_argument("out_dir", metavar="OUT_DIR")
    g.add_argument("--per-style", type=int, default=100,
                   help="files per style (default 100, the quick config's training set)")
    g.add_argument("--bars", type=int, default=8, help="bars per file (default 8)")
    g.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    g.set_defaults(handler=_generate)

    r = leaves.add_parser("report", parents=[parent], help="the dataset report of a folder")
    r.add_argument("data", metavar="DIR", nargs="+")
    r.add_argument("--config", dest="latent_config", default="quick",
                   help="quick, full or a YAML file (its grid and CC list; default quick)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=_report)

    t = leaves.add_parser("train", parents=[parent], help="train a model on a folder of clips")
    t.add_argument("data", metavar="DIR", nargs="+")
    t.add_argument("--config", dest="latent_config", default="quick",
                   help="quick, full or a YAML file (default quick)")
    t.add_argument("--out", metavar="RUN_DIR", help="run folder (default latent-<config>-<Z>)")
    t.add_argument("--latent-dim", type=int, help="latent size (e.g. 128, 256, 384, 512)")
    t.add_argument("--epochs", type=int, help="override train.epochs")
    t.add_argument("--resume", action="store_true", help="continue from RUN_DIR's checkpoint")
    t.add_argument("--force", action="store_true",
                   help="start afresh over RUN_DIR's checkpoint and results")
    t.add_argument("--heldout", metavar="DIR", help="measure on these clips, not a split")
    t.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    t.add_argument("--json", action="store_true", help="print the results as JSON")
    t.set_defaults(handler=_train)

    e = leaves.add_parser("encode", parents=[parent], help="latent means of clips")
    e.add_argument("inputs", metavar="INPUT", nargs="+", help="MIDI files or folders")
    _model_args(e)
    e.add_argument("--out", metavar="FILE.json", help="write the vectors as JSON")
    e.add_argument("--force", action="store_true", help="replace --out if it exists")
    e.set_defaults(handler=_encode)

    s = leaves.add_parser("sample", parents=[parent], help="decode random latent vectors")
    _model_args(s)
    s.add_argument("--out", metavar="DIR", required=True)
    s.add_argument("--count", type=int, default=4)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--bpm", type=float, default=120.0)
    s.set_defaults(handler=_sample)

    i = leaves.add_parser("interpolate", parents=[parent],
                          help="decode the straight line between two clips")
    i.add_argument("a", metavar="A", help="clip: file.mid or file.mid#N")
    i.add_argument("b", metavar="B", help="clip: file.mid or file.mid#N")
    _model_args(i)
    i.add_argument("--steps", type=int, default=8)
    i.add_argument("--out", metavar="DIR", required=True)
    i.set_defaults(handler=_interpolate)


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="RUN", required=True,
                   help="run folder or checkpoint.safetensors")
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")


def _no_subcommand(args: argparse.Namespace, ctx: CliContext) -> int:
    raise UsageError(f"choose a sub-command: {', '.join(_SUBCOMMANDS)}")


def _fail(ctx: CliContext, where: str, exc: BaseException) -> int:
    print(ctx.error_line(where, exc), file=ctx.stderr)
    return 1


def _generate(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.latent.examples import generate_examples

    try:
        paths = generate_examples(args.out_dir, per_style=args.per_style, bars=args.bars,
                                  seed=args.seed)
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None
    except (CoreError, OSError) as exc:
        return _fail(ctx, args.out_dir, exc)
    ctx.info(f"wrote {len(paths)} example clips to {args.out_dir}")
    return 0


def _config(args: argparse.Namespace):  # -> LatentConfig
    from core.latent.config import load_latent_config

    try:
        config = load_latent_config(args.latent_config)
        if getattr(args, "latent_dim", None):
            config = config.with_latent_dim(args.latent_dim)
        if getattr(args, "epochs", None):
            config = config.with_train(epochs=args.epochs)
        return config
    except CoreError as exc:
        raise UsageError(str(exc)) from None


def _report(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.latent.dataset import load_dataset

    config = _config(args)
    try:
        dataset = load_dataset(args.data, config.grid)
    except CoreError as exc:
        return _fail(ctx, args.data[0], exc)
    rep = dataset.report
    if args.json:
        ctx.stdout.write(json.dumps(rep.to_dict(), indent=2) + "\n")
    else:
        rows = [[Path(f.path).name, f.status, f.notes, f"{f.cc_per_beat:.1f}", f"{f.bars:.1f}",
                 f"{f.bpm:.1f}" if f.bpm else "", f.segments, f"{f.quality:.0f}%"
                 if f.status == "used" else "", f.reason] for f in rep.files]
        ctx.stdout.write(format_table(["file", "status", "notes", "CC/beat", "bars", "BPM",
                                       "clips", "quality", "reason"], rows,
                                      align_right=(2, 3, 4, 5, 6, 7)) + "\n")
        ctx.info(f"{len(rep.used)} file(s) used ({len(dataset.clips)} clips), "
                 f"{len(rep.skipped)} skipped")
    return 0


def _train(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.latent.dataset import load_dataset
    from core.latent.results_table import ResultRow, results_markdown, write_results
    from core.latent.train import train_latent

    config = _config(args)
    if args.resume and args.force:
        raise UsageError("--resume continues a run, --force replaces it; choose one")
    out = Path(args.out or f"latent-{config.name}-{config.model.latent_dim}")
    if args.epochs is not None and args.epochs < 1:
        raise UsageError("--epochs must be 1 or more")

    def on_epoch(record) -> None:  # type: ignore[no-untyped-def]
        ctx.info(f"epoch {record.epoch}/{record.epochs}: loss {record.train_loss:.4f}, "
                 f"held-out CC-ME {record.holdout_ccme:.4f}, note F1 "
                 f"{record.holdout_note_f1:.3f}, KL {record.holdout_kl:.1f} "
                 f"({record.seconds:.1f} s)")

    started = time.perf_counter()
    try:
        heldout = load_dataset(args.heldout, config.grid) if args.heldout else None
        result = train_latent(args.data if len(args.data) > 1 else args.data[0], config, out,
                              resume=args.resume, overwrite=args.force, device=args.device,
                              heldout=heldout, on_epoch=on_epoch)
    except OutputExists as exc:
        print(f"{exc.path}: a run is already there; pass --resume to continue it or --force "
              "to start afresh", file=ctx.stderr)
        return 1
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None
    except CoreError as exc:
        return _fail(ctx, str(args.data[0]), exc)
    seconds = time.perf_counter() - started
    row = ResultRow.from_evaluation(config.model.latent_dim, result.evaluation,
                                    epochs=len(result.history),
                                    epoch_seconds=result.epoch_seconds, train_seconds=seconds,
                                    parameters=result.parameters)
    try:
        written = write_results([row], out, overwrite=True)
        from core.fileutil import atomic_write_text

        atomic_write_text(out / "history.json", json.dumps(list(result.history), indent=2),
                          overwrite=True)
        if result.report is not None:
            atomic_write_text(out / "report.json", json.dumps(result.report.to_dict(),
                                                              indent=2), overwrite=True)
    except (CoreError, OSError) as exc:
        return _fail(ctx, str(out), exc)
    if args.json:
        ctx.stdout.write(json.dumps({"checkpoint": str(result.checkpoint),
                                     "evaluation": result.evaluation.to_dict(),
                                     "epochs_run": result.epochs_run,
                                     "resumed_from": result.resumed_from,
                                     "epoch_seconds": round(result.epoch_seconds, 3),
                                     "train_clips": result.train_clips,
                                     "holdout_clips": result.holdout_clips}, indent=2) + "\n")
    else:
        ctx.stdout.write(results_markdown([row]))
    if result.stopped_by_time:
        ctx.info(f"stopped after {len(result.history)} of {config.train.epochs} epochs: "
                 f"train.max_minutes is {config.train.max_minutes:g}; --resume continues")
    ctx.info(f"checkpoint: {result.checkpoint}; tables: "
             f"{', '.join(p.name for p in written)} ({seconds:.0f} s)")
    return 0


def _load_model(args: argparse.Namespace):  # -> LatentModel
    from core.latent.inference import LatentModel

    return LatentModel.load(args.model, device=args.device)


def _encode(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.latent.dataset import clips_from_file, find_midi_files

    try:
        model = _load_model(args)
        files = find_midi_files(args.inputs)
    except CoreError as exc:
        return _fail(ctx, args.model, exc)
    failed = 0
    entries = []
    for file in files:
        try:
            clips, _ = clips_from_file(file, model.grid)
        except CoreError as exc:
            failed += 1
            print(ctx.error_line(str(file), exc), file=ctx.stderr)
            continue
        mu, _ = model.encode(clips)
        for clip, vector in zip(clips, mu, strict=True):
            entries.append({"source": clip.source, "tag": clip.tag, "bpm": clip.bpm,
                            "mu": [round(float(v), 6) for v in vector]})
    if not files:
        print(f"{args.inputs[0]}: no MIDI files found", file=ctx.stderr)
        failed += 1
    text = json.dumps({"latent_dim": model.latent_dim, "clips": entries}) + "\n"
    if args.out:
        from core.fileutil import write_output
        from core.latent.errors import LatentDataError

        try:
            write_output(args.out, text.encode(), overwrite=args.force, what="the latents",
                         error=LatentDataError)
        except CoreError as exc:
            return _fail(ctx, args.out, exc)
        ctx.info(f"wrote {len(entries)} latent vectors ({model.latent_dim}-D) to {args.out}")
    else:
        ctx.stdout.write(text)
    return 1 if failed else 0


def _write_clips(clips, model, out: str, ctx: CliContext) -> int:  # type: ignore[no-untyped-def]
    from core.latent.midi_io import write_clip_midi

    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            path = write_clip_midi(folder / f"{clip.source}.mid", clip, model.grid)
            ctx.info(f"wrote {path} ({len(clip.notes())} notes)")
    except CoreError as exc:
        return _fail(ctx, out, exc)
    except OSError as exc:
        print(f"{out}: cannot write ({exc.strerror or exc})", file=ctx.stderr)
        return 1
    return 0


def _sample(args: argparse.Namespace, ctx: CliContext) -> int:
    try:
        model = _load_model(args)
        clips = model.sample(args.count, seed=args.seed, temperature=args.temperature,
                             bpm=args.bpm)
    except InvalidParameter as exc:
        raise UsageError(str(exc)) from None
    except CoreError as exc:
        return _fail(ctx, args.model, exc)
    return _write_clips(clips, model, args.out, ctx)


def _interpolate(args: argparse.Namespace, ctx: CliContext) -> int:
    from core.latent.dataset import clip_from_spec
    from core.latent.evaluate import interpolation_smoothness

    if not 2 <= args.steps <= 256:
        raise UsageError(f"--steps must be 2–256, got {args.steps}")
    try:
        model = _load_model(args)
    except CoreError as exc:
        return _fail(ctx, args.model, exc)
    try:
        a = clip_from_spec(args.a, model.grid)
        b = clip_from_spec(args.b, model.grid)
    except CoreError as exc:
        return _fail(ctx, args.a, exc)
    clips, _ = model.interpolate(a, b, args.steps)
    smooth = interpolation_smoothness(clips)
    ctx.info(f"neighbour CC distance: mean {smooth.mean:.4f}, max {smooth.max:.4f} "
             f"(max/mean {smooth.ratio:.2f}); ends {smooth.ends:.4f}")
    return _write_clips(clips, model, args.out, ctx)
