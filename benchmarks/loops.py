"""Benchmark the loop finder and loop → MIDI on generated songs whose right answer is known.

Run ``.venv/bin/python benchmarks/loops.py [--songs-per-style 2] [--bars 4]``.

Each song (``core.devset`` with song arrangement) is: 4 intro bars of pads without drums, 32 drum
bars with a fill ending every 8-bar phrase, a 4-bar breakdown (drums silent, accompaniment on)
from drum bar 16, then the beat again; drums-only and full-mix versions over many kits and
styles. The top-ranked loop is *correct* when it starts on a true bar line (±50 ms) and all its
bars are plain "beat" bars (no intro, fill or breakdown bar).

For the drums-only songs the chosen loop is exported to MIDI (``--quantize auto``: the coarsest
of 1/16, 1/16T, 1/32 that keeps every hit; full strength) twice: with
the rhythm engine's hits, and with the ground-truth hits (which proves the export itself loses
nothing). Note-level F-measure: a note matches a true hit of the same General MIDI note within
±50 ms of its (quantized) time. Also timed: finding loops in a 5-minute track.

Prints Markdown tables and ends with one line::

    SUMMARY loop_top1_correct=… loop_top1_correct_drums=… loop_top1_correct_full=… \
midi_note_f_engine=… midi_note_f_truth=… loop_find_5min_s=…
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import mir_eval
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from core.analysis.loops import find_loops  # noqa: E402
from core.analysis.pipeline import analyze_file  # noqa: E402
from core.devset import ClipSpec, kit_names, render_clip  # noqa: E402
from core.midi.export import read_drum_midi  # noqa: E402
from core.midi.loop_pipeline import LoopMidiOptions, loop_to_midi  # noqa: E402
from core.vocabulary import GM_DRUM_NOTES  # noqa: E402

STYLES = {"dnb": 174.0, "jungle": 166.0, "techno": 130.0, "house": 124.0, "dubstep": 140.0,
          "breakbeat": 132.0, "hiphop": 92.0, "trap": 145.0}
ONSET_WINDOW_S = 0.05


def song_specs(per_style: int) -> list[ClipSpec]:
    """Deterministic song specs: every style, alternating drums-only and full mix, rotating
    through every kit available here."""
    kits = kit_names("all")
    specs = []
    k = 0
    for name, bpm in STYLES.items():
        for i in range(per_style):
            for mix in ("drums", "full"):
                specs.append(ClipSpec(style=name, bpm=bpm, bars=32, kit=kits[k % len(kits)],
                                      seed=100 + k, mix=mix, intro_bars=4, phrase_bars=8,
                                      breakdown=(16, 4), drum_to_rest_db=0.0,
                                      lead_in=0.1 * (i + 1)))
                k += 1
    return specs


def loop_is_correct(truth, start: float, bars: int) -> tuple[bool, str]:
    """Whether a loop of ``bars`` bars starting at ``start`` (s) covers plain beat bars only."""
    starts = np.asarray(truth.bar_starts, dtype=float)
    first = int(np.argmin(np.abs(starts - start)))
    if abs(starts[first] - start) > ONSET_WINDOW_S:
        return False, f"starts off a bar line ({start - starts[first]:+.3f} s)"
    roles = list(truth.bar_roles[first:first + bars])
    if len(roles) < bars:
        return False, "runs past the end"
    bad = [r for r in roles if r != "beat"]
    return (not bad), ",".join(roles)


def note_f(midi_path: Path, truth_hits, loop_start: float, loop_end: float, bpm: float) -> float:
    """Note-level F of an exported MIDI file against the true hits inside the loop."""
    clip = read_drum_midi(midi_path)
    est = defaultdict(list)
    for n in clip.notes:
        est[n.note].append(n.beat * 60.0 / clip.bpm)
    ref = defaultdict(list)
    for h in truth_hits:
        if loop_start - 0.02 <= h.time < loop_end - 0.02:
            ref[GM_DRUM_NOTES[h.instrument]].append(h.time - loop_start)
    tp = n_ref = n_est = 0
    for note in set(est) | set(ref):
        r, e = np.sort(ref.get(note, [])), np.sort(est.get(note, []))
        n_ref, n_est = n_ref + len(r), n_est + len(e)
        if len(r) and len(e):
            tp += len(mir_eval.util.match_events(r, e, ONSET_WINDOW_S))
    return 2.0 * tp / (n_ref + n_est) if n_ref + n_est else 1.0


def five_minute_timing(folder: Path) -> float:
    """Seconds to rank the loops of a 5-minute song (analysis already done, as in the app)."""
    bars = round(5 * 60 / (4 * 60 / 174.0)) - 8
    spec = ClipSpec(style="dnb", bpm=174.0, bars=bars, kit="synth:4", seed=5, mix="full",
                    intro_bars=4, phrase_bars=8, breakdown=(32, 8))
    clip = render_clip(spec)
    wav = folder / "five.wav"
    sf.write(str(wav), clip.samples.T, clip.sample_rate, subtype="PCM_16")
    analysis = analyze_file(wav)
    started = time.perf_counter()
    find_loops(wav, analysis, bars=4)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; prints tables and the SUMMARY line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs-per-style", type=int, default=2)
    parser.add_argument("--bars", type=int, default=4)
    args = parser.parse_args(argv)
    rows = []
    correct: dict[str, list[bool]] = defaultdict(list)
    f_engine: list[float] = []
    f_truth: list[float] = []
    with tempfile.TemporaryDirectory(prefix="breakroom-loops-") as tmp:
        folder = Path(tmp)
        specs = song_specs(args.songs_per_style)
        for i, spec in enumerate(specs):
            clip = render_clip(spec)
            wav = folder / f"song{i}.wav"
            sf.write(str(wav), clip.samples.T, clip.sample_rate, subtype="PCM_24")
            analysis = analyze_file(wav)
            try:
                top = find_loops(wav, analysis, bars=args.bars, top=1)[0]
                ok, why = loop_is_correct(clip.truth, top.start, args.bars)
            except Exception as exc:  # a failed song counts as wrong, and says why
                top, ok, why = None, False, f"error: {exc}"
            correct[spec.mix].append(ok)
            row = [spec.style, spec.kit, spec.mix, f"{top.start:.2f}" if top else "–",
                   "yes" if ok else "NO", why]
            if spec.mix == "drums" and top is not None:
                mid = folder / f"song{i}.mid"
                loop_to_midi(wav, LoopMidiOptions(bars=args.bars, midi_out=str(mid),
                                                  auto_grid=True), analysis=analysis)
                f_engine.append(note_f(mid, clip.truth.hits, top.start, top.end, spec.bpm))
                truth_analysis = analysis.updated(drum_hits=clip.truth.hits,
                                                  beats=clip.truth.beats,
                                                  downbeats=clip.truth.downbeats)
                mid_truth = folder / f"song{i}.truth.mid"
                result = loop_to_midi(wav, LoopMidiOptions(bars=args.bars,
                                                           midi_out=str(mid_truth),
                                                           auto_grid=True),
                                      analysis=truth_analysis)
                f_truth.append(note_f(mid_truth, clip.truth.hits, result.chosen.start,
                                      result.chosen.end, spec.bpm))
                row.append(f"{f_engine[-1]:.3f} / {f_truth[-1]:.3f}")
            else:
                row.append("")
            rows.append(row)
            print(f"\r{i + 1}/{len(specs)} songs", end="", file=sys.stderr)
        print(file=sys.stderr)
        five_min = five_minute_timing(folder)
    print("### Loop finder on generated songs (intro, fills every 8 bars, breakdown)\n")
    print("| style | kit | mix | top loop start s | correct | bar roles | MIDI note F "
          "engine / truth |\n|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    every = correct["drums"] + correct["full"]
    summary = {
        "loop_top1_correct": float(np.mean(every)),
        "loop_top1_correct_drums": float(np.mean(correct["drums"])),
        "loop_top1_correct_full": float(np.mean(correct["full"])),
        "midi_note_f_engine": float(np.mean(f_engine)) if f_engine else 0.0,
        "midi_note_f_truth": float(np.mean(f_truth)) if f_truth else 0.0,
        "loop_find_5min_s": five_min,
    }
    print(f"\ntop-1 loop correct: {summary['loop_top1_correct']:.3f} "
          f"(drums only {summary['loop_top1_correct_drums']:.3f}, full mix "
          f"{summary['loop_top1_correct_full']:.3f}) over {len(every)} songs; "
          f"MIDI note F drums-only: engine hits {summary['midi_note_f_engine']:.3f}, "
          f"true hits {summary['midi_note_f_truth']:.3f}; ranking the loops of a 5-minute "
          f"track {five_min:.2f} s")
    print("SUMMARY " + " ".join(f"{k}={v:.3f}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
