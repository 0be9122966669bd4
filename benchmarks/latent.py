"""Benchmark the latent lab: train the quick config per latent size on generated clips and
measure on held-out generated clips (other seeds, other files).

Run ``.venv/bin/python benchmarks/latent.py [--config quick] [--sizes 256,128,384,512]
[--device cpu] [--out DIR] [--no-time-limit]``.

For each latent size: held-out CC modulation error against the per-step mean baseline, note
F1, KL, reconstruction loss, MR-STFT (the built-in synth's renders of 8 held-out clips),
seconds per epoch and in all. Then, with the config's default latent size, interpolations
between held-out clips of different styles: CC-ME between neighbouring steps (mean, max,
max/mean) against the two ends. Targets (quick config, default size): CC-ME at least 50 %
below the baseline's and note F1 ≥ 0.9. With ``--out`` the table is written as JSON,
Markdown and LaTeX. Metric definitions: ``core/latent/metrics.py`` and the README.

Ends with one line::

    SUMMARY ccme=… ccme_baseline=… note_f1=… kl=… epoch_s=…
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from core.latent.config import load_latent_config  # noqa: E402
from core.latent.dataset import load_dataset  # noqa: E402
from core.latent.evaluate import interpolation_smoothness  # noqa: E402
from core.latent.examples import generate_examples  # noqa: E402
from core.latent.inference import LatentModel  # noqa: E402
from core.latent.results_table import ResultRow, results_markdown, write_results  # noqa: E402
from core.latent.train import train_latent  # noqa: E402


def _smoothness(model: LatentModel, clips: list, pairs: int = 6, steps: int = 8) -> list:
    """Interpolations between held-out clips of different styles (first clip of each style)."""
    by_tag: dict[str, list] = {}
    for clip in clips:
        by_tag.setdefault(clip.tag, []).append(clip)
    tags = sorted(by_tag)
    rows = []
    for k in range(pairs):
        a_tag, b_tag = tags[k % len(tags)], tags[(k + 1) % len(tags)]
        a = by_tag[a_tag][k // len(tags) % len(by_tag[a_tag])]
        b = by_tag[b_tag][(k // len(tags) + 1) % len(by_tag[b_tag])]
        path, _ = model.interpolate(a, b, steps)
        s = interpolation_smoothness(path)
        rows.append((f"{Path(a.source).name} → {Path(b.source).name}", s))
    return rows


def main() -> None:
    """Run the benchmark; prints tables and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="quick", help="quick, full or a YAML file")
    parser.add_argument("--sizes", default="256,128,384,512",
                        help="latent sizes to train (the config's own first)")
    parser.add_argument("--device", default="cpu", help="cpu (default), auto, cuda or mps")
    parser.add_argument("--out", help="write results.json/.md/.tex into this folder")
    parser.add_argument("--no-time-limit", action="store_true",
                        help="ignore train.max_minutes: always train the config's epochs (the "
                             "quality of the config whatever else the CPU is doing; the time "
                             "is still reported)")
    args = parser.parse_args()
    config = load_latent_config(args.config)
    if args.no_time_limit:
        config = config.with_train(max_minutes=0.0)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    default = config.model.latent_dim
    ex = config.examples
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate_examples(root / "train", per_style=ex.per_style, bars=ex.bars, seed=ex.seed)
        generate_examples(root / "heldout", per_style=ex.heldout_per_style, bars=ex.bars,
                          seed=ex.heldout_seed)
        train = load_dataset(root / "train", config.grid)
        heldout = load_dataset(root / "heldout", config.grid)
        print(f"# Latent lab benchmark — config {config.name}, device {args.device}\n")
        print(f"generated {len(train.report.files)} training files ({len(train.clips)} clips) "
              f"and {len(heldout.report.files)} held-out files ({len(heldout.clips)} clips) "
              f"in {time.perf_counter() - t0:.1f} s\n")
        rows: list[ResultRow] = []
        models: dict[int, LatentModel] = {}
        for size in sizes:
            cfg = config.with_latent_dim(size)
            start = time.perf_counter()
            result = train_latent(train, cfg, root / f"run{size}", heldout=heldout,
                                  device=args.device)
            seconds = time.perf_counter() - start
            rows.append(ResultRow.from_evaluation(size, result.evaluation,
                                                  epochs=result.epochs_run,
                                                  epoch_seconds=result.epoch_seconds,
                                                  train_seconds=seconds,
                                                  parameters=result.parameters))
            models[size] = LatentModel.load(result.checkpoint, device=args.device)
            capped = (f", stopped by train.max_minutes ({cfg.train.max_minutes:g} min) before "
                      f"epoch {cfg.train.epochs}" if result.stopped_by_time else "")
            print(f"latent {size}: trained {result.epochs_run} epochs in {seconds:.1f} s "
                  f"({result.epoch_seconds:.2f} s/epoch{capped})", flush=True)
        print("\n## Held-out results per latent size\n")
        rows.sort(key=lambda r: r.latent_dim)
        print(results_markdown(rows))
        print("| Latent | train s | CC-ME vs baseline | note precision | note recall |")
        print("|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r.latent_dim} | {r.train_seconds:.1f} | "
                  f"{100 * (1 - r.ccme / r.ccme_baseline):.1f} % lower | "
                  f"{r.note_precision:.3f} | {r.note_recall:.3f} |")
        key = default if default in models else sizes[0]
        smooth = _smoothness(models[key], list(heldout.clips))
        print(f"\n## Interpolation smoothness (latent {key}, 8 steps; CC-ME between "
              "neighbours)\n")
        print("| pair | mean | max | max/mean | ends |")
        print("|---|---:|---:|---:|---:|")
        for name, s in smooth:
            print(f"| {name} | {s.mean:.4f} | {s.max:.4f} | {s.ratio:.2f} | {s.ends:.4f} |")
        ratio = float(np.mean([s.ratio for _, s in smooth]))
        print(f"\nmean max/mean ratio {ratio:.2f} (1.0 = perfectly even steps)")
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            for path in write_results(rows, args.out, overwrite=True):
                print(f"wrote {path}")
        row = next(r for r in rows if r.latent_dim == key)
        better = 1 - row.ccme / row.ccme_baseline
        print(f"\ntargets (latent {key}): CC-ME {100 * better:.1f} % below baseline (need ≥ 50 %)"
              f" {'PASS' if better >= 0.5 else 'FAIL'}; note F1 {row.note_f1:.3f} (need ≥ 0.9) "
              f"{'PASS' if row.note_f1 >= 0.9 else 'FAIL'}; training {row.train_seconds:.0f} s "
              "(quick: ≤ 300 s on 2 cores)")
        print(f"SUMMARY ccme={row.ccme:.4f} ccme_baseline={row.ccme_baseline:.4f} "
              f"note_f1={row.note_f1:.4f} kl={row.kl:.2f} epoch_s={row.epoch_seconds:.3f}")


if __name__ == "__main__":
    main()
