"""Separation quality of the offline ``classic`` separator on generated mixes with known stems.

Run ``.venv/bin/python benchmarks/separation_quality.py [--split unseen] [--clips-per-style 1]
[--styles dnb,techno,...] [--seconds 20] [--chunk 6]``.

Full mixes of the development set (:func:`core.devset.development_set`, default split
``unseen``: held-out drum kits, never used for tuning) are rendered with ``drum_to_rest_db=0``
and their parts (``render_clip(..., with_parts=True)``): the references are the drum stem, the
bass, and pads + vocal for "other". :class:`core.separation.classic.ClassicSeparator` runs over
each whole clip in ``--chunk``-second chunks overlapping by twice its ``context_seconds``,
cross-faded linearly (``--chunk 0``: the whole clip at once).

SDR (dB) is ``mir_eval.separation.bss_eval_sources`` (BSS Eval v3: the estimate may differ
from the reference by a 512-tap filter) on **mono downmixes** (channel mean) of references and
estimates, over the whole clip. The "mixture" rows score the unprocessed mix as the estimate
of every stem: the improvement over doing nothing. ``x_realtime`` is clip seconds per second
of separation (process CPU time, one thread of numpy work).

Prints Markdown tables (per clip, per style, mean) and ends with one line::

    SUMMARY sdr_drums_db=… sdr_bass_db=… sdr_other_db=… x_realtime=…
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

import numpy as np  # noqa: E402

from core.devset import STYLES, development_set, render_clip  # noqa: E402
from core.separation.classic import ClassicSeparator  # noqa: E402

STEMS = ("drums", "bass", "other")


def separate_chunked(sep: ClassicSeparator, x: np.ndarray, chunk_s: float) -> dict[str, np.ndarray]:
    """Run ``sep`` over ``x`` ``[channels, n]`` in chunks of ``chunk_s`` seconds overlapping by
    ``2 · context_seconds``, cross-faded linearly (weights sum to one); ``chunk_s <= 0``: one
    call on the whole of ``x``."""
    n = x.shape[-1]
    size = round(chunk_s * sep.sample_rate)
    if chunk_s <= 0 or size >= n:
        return sep.separate(x)
    overlap = min(size // 2, round(2 * sep.context_seconds * sep.sample_rate))
    step = size - overlap
    out = {s: np.zeros(x.shape, np.float64) for s in sep.stems}
    ramp = np.linspace(0.0, 1.0, overlap + 2)[1:-1]
    start = 0
    while True:
        end = min(n, start + size)
        part = sep.separate(x[:, start:end])
        w = np.ones(end - start)
        if start > 0:
            w[:overlap] = ramp
        if end < n:
            w[-overlap:] = ramp[::-1]
        for s in sep.stems:
            out[s][:, start:end] += part[s] * w
        if end == n:
            return out
        start += step


def sdr(refs: np.ndarray, ests: np.ndarray) -> np.ndarray:
    """BSS Eval v3 SDR (dB) of ``ests`` against ``refs`` (both ``[3, n]``, in stem order)."""
    from mir_eval.separation import bss_eval_sources

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mir_eval 0.8 deprecates bss_eval_sources
        return bss_eval_sources(refs, ests, compute_permutation=False)[0]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; prints Markdown tables and the SUMMARY line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="unseen", choices=("train", "dev", "unseen"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clips-per-style", type=int, default=1)
    ap.add_argument("--styles", default=",".join(STYLES),
                    help="comma-separated styles (default: all ten)")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--chunk", type=float, default=6.0, help="chunk length (s); 0: whole clip")
    args = ap.parse_args(argv)
    styles = [s.strip() for s in args.styles.split(",") if s.strip()]

    specs = [dataclasses.replace(s, mix="full", drum_to_rest_db=0.0)
             for s in development_set(args.split, seed=args.seed,
                                      clips_per_style=args.clips_per_style,
                                      seconds=args.seconds)
             if s.style in styles]
    sep = ClassicSeparator(44100)
    rows: list[tuple[str, str, bool, np.ndarray, np.ndarray]] = []
    audio_s = cpu_s = 0.0
    print(f"# Classic separator on {len(specs)} generated full mixes ({args.split} kits, "
          f"0 dB drums-to-rest, {args.seconds:g} s, chunks {args.chunk:g} s)\n")
    print("| clip | kit | augmented | mixture SDR d/b/o (dB) | classic SDR d/b/o (dB) |")
    print("|---|---|---|---|---|")
    for spec in specs:
        clip = render_clip(spec, with_parts=True)
        assert clip.parts is not None
        p = clip.parts
        refs = np.stack([p["drums"].mean(0), p["bass"].mean(0),
                         (p["pads"].astype(np.float64) + p["vocal"]).mean(0)]).astype(np.float64)
        t0 = time.process_time()
        est = separate_chunked(sep, clip.samples, args.chunk)
        cpu_s += time.process_time() - t0
        audio_s += clip.duration
        ests = np.stack([np.asarray(est[s], np.float64).mean(0) for s in STEMS])
        mix = np.tile(clip.samples.astype(np.float64).mean(0), (3, 1))
        base, ours = sdr(refs, mix), sdr(refs, ests)
        rows.append((spec.style, spec.kit, spec.augment, base, ours))
        print(f"| {spec.style} | {spec.kit} | {'yes' if spec.augment else 'no'} | "
              f"{' / '.join(f'{v:.1f}' for v in base)} | {' / '.join(f'{v:.1f}' for v in ours)} |",
              flush=True)

    print("\n| style | clips | mixture drums | mixture bass | mixture other "
          "| **drums** | **bass** | **other** |")
    print("|---|---|---|---|---|---|---|---|")
    for st in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == st]
        b = np.mean([r[3] for r in mine], axis=0)
        o = np.mean([r[4] for r in mine], axis=0)
        print(f"| {st} | {len(mine)} | " + " | ".join(f"{v:.1f}" for v in b) + " | "
              + " | ".join(f"**{v:.1f}**" for v in o) + " |")
    base = np.mean([r[3] for r in rows], axis=0)
    ours = np.mean([r[4] for r in rows], axis=0)
    print(f"| **mean** | {len(rows)} | " + " | ".join(f"{v:.1f}" for v in base) + " | "
          + " | ".join(f"**{v:.1f}**" for v in ours) + " |")
    speed = audio_s / cpu_s if cpu_s > 0 else float("inf")
    print(f"\nSDR: mir_eval bss_eval_sources on mono downmixes; other = pads + vocal. "
          f"Separation: {audio_s:.0f} s of audio in {cpu_s:.1f} s CPU ({speed:.0f}x real time).")
    print(f"SUMMARY sdr_drums_db={ours[0]:.2f} sdr_bass_db={ours[1]:.2f} "
          f"sdr_other_db={ours[2]:.2f} x_realtime={speed:.1f}")


if __name__ == "__main__":
    main()
