"""Benchmark the SysEx browser core: bank decode speed per format, the real corpus, bulk import.

Run ``.venv/bin/python benchmarks/sysex.py [--corpus DIR] [--banks 1000] [--repeat 7]``.
Banks are synthetic (random in-range parameters written by Breakroom's own encoder); the
corpus defaults to ``../shared/sysex-corpus`` beside the project. Prints Markdown tables and
ends with one line::

    SUMMARY bank_decode_ms=<max over formats> import_1000_s=<s> corpus_files=<n> corpus_ok=<n>

``corpus_ok`` counts files decoded without an exception whose checksums all verified, except
the damage the edge-case files were made with (a bad bank checksum, the real TI multi's 00).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project, and never shadow the stdlib from benchmarks/

from core.sysex import decode_bytes, decode_file, encode_bank  # noqa: E402
from core.sysex.library import Library  # noqa: E402
from tests.support.sysex_dumps import random_preset  # noqa: E402

BANKS = [("Access Virus C bank", "virus_c_single", 128),
         ("Access Virus TI bank", "virus_ti_single", 128),
         ("JP-8080 128 patches", "jp8080_patch", 128),
         ("JP-8080 64 performances", "jp8080_performance", 64),
         ("DX7 VMEM 32 voices", "dx7_vced", 32),
         ("DW-8000 64 programs", "dw8000_program", 64),
         ("Juno-106 128 patches", "juno106_patch", 128),
         ("Bass Station II 128", "bass_station2_program", 128)]
EXPECTED_BAD = {"dx7_vmem_bad_checksum.syx"}


def bank_bytes(table_id: str, count: int, rng: random.Random) -> bytes:
    """A synthetic bank of ``count`` presets."""
    presets = [random_preset(table_id, rng) for _ in range(count)]
    bank = 1 if table_id.startswith("virus") else None
    return b"".join(encode_bank(presets, bank=bank))


def time_ms(fn, repeat: int) -> float:
    """Median wall time of ``fn`` in milliseconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_banks(repeat: int) -> float:
    rng = random.Random(1)
    print("| format | presets | bytes | decode ms (median) |\n|---|---:|---:|---:|")
    worst = 0.0
    for label, table_id, count in BANKS:
        data = bank_bytes(table_id, count, rng)
        ms = time_ms(lambda d=data: decode_bytes(d), repeat)
        n = len(decode_bytes(data).presets)
        assert n == count, (label, n)
        worst = max(worst, ms)
        print(f"| {label} | {n} | {len(data)} | {ms:.1f} |")
    return worst


def bench_corpus(corpus: Path, repeat: int) -> tuple[int, int]:
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix != ".md")
    print("\n| corpus file | presets | messages | checksums | notes | decode ms |\n"
          "|---|---:|---:|---|---:|---:|")
    ok = 0
    for path in files:
        try:
            result = decode_file(path)
        except Exception as exc:  # the benchmark reports, it does not stop
            print(f"| {path.relative_to(corpus)} | – | – | {type(exc).__name__}: {exc} | | |")
            continue
        bad = [m for m in result.messages if m.checksum.startswith("bad")
               and m.kind != "Access Virus multi dump"]
        checked = [m for m in result.messages if m.checksum.startswith(("ok", "bad"))]
        if not bad or path.name in EXPECTED_BAD:
            ok += 1
        ms = time_ms(lambda p=path: decode_file(p), max(1, repeat // 2))
        summary = f"{len(checked) - len(bad)}/{len(checked)} ok" if checked else "none"
        print(f"| {path.relative_to(corpus)} | {len(result.presets)} | {len(result.messages)} "
              f"| {summary} | {len(result.notes)} | {ms:.1f} |")
    return len(files), ok


def bench_import(banks: int) -> float:
    rng = random.Random(2)
    kinds = [("dx7_vced", 32, "op6_eg_rate1", "op6_eg_rate2", 100),
             ("virus_c_single", 128, "cutoff", "cutoff2", 128),
             ("jp8080_patch", 128, "cutoff", "resonance", 128),
             ("dw8000_program", 64, "cutoff", "osc1_level", 64)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "banks"
        folder.mkdir()
        templates = {k: [random_preset(k, rng) for _ in range(n)] for k, n, *_ in kinds}
        for i in range(banks):
            kind, _, first, second, span = kinds[i % len(kinds)]
            j = i // len(kinds)  # every bank a different sound in every slot
            presets = [p.with_values({first: j % span, second: j // span})
                       for p in templates[kind]]
            bank = 1 if kind.startswith("virus") else None
            (folder / f"bank_{i:04d}.syx").write_bytes(b"".join(encode_bank(presets,
                                                                            bank=bank)))
        library = Library(Path(tmp) / "lib.sqlite3")
        updates = []
        start = time.perf_counter()
        report = library.import_paths([folder], progress=lambda f, s: updates.append(f))
        seconds = time.perf_counter() - start
        print(f"\n| import | files | presets added | duplicates | progress updates | seconds |\n"
              f"|---|---:|---:|---:|---:|---:|\n| {banks} synthetic banks | {report.files} | "
              f"{report.added} | {report.duplicates} | {len(updates)} | {seconds:.2f} |")
        library.close()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get(
        "BREAKROOM_SYSEX_CORPUS", ROOT / ".." / "shared" / "sysex-corpus")))
    parser.add_argument("--banks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    worst = bench_banks(args.repeat)
    files = ok = 0
    if args.corpus.is_dir():
        files, ok = bench_corpus(args.corpus.resolve(), args.repeat)
    else:
        print(f"\n(corpus not found at {args.corpus}; skipped)")
    seconds = bench_import(args.banks)
    print(f"\nSUMMARY bank_decode_ms={worst:.1f} import_{args.banks}_s={seconds:.2f} "
          f"corpus_files={files} corpus_ok={ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
