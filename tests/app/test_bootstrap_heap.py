"""Start-up leaves the heavy modules imported and their objects out of the collector's walk."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from app.bootstrap import freeze_heap

ROOT = Path(__file__).resolve().parents[2]


def test_preload_imports_the_engines_but_not_numba() -> None:
    # A fresh interpreter: other tests in this process may have imported numba themselves.
    code = ("import sys; from app.bootstrap import preload_engines; preload_engines(); "
            "print(all(m in sys.modules for m in ('torch', 'core.analysis.pipeline', "
            "'core.separation.classic')), 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300).stdout.split()
    # numba's first import alone held the interpreter lock ~200 ms inside a worker.
    assert out == ["True", "False"]


def test_freeze_heap_takes_long_lived_objects_out_of_collections() -> None:
    before = gc.get_freeze_count()
    objects = [[k] for k in range(1000)]  # long-lived objects created after start-up
    freeze_heap()
    try:
        assert gc.get_freeze_count() >= before + len(objects)
    finally:
        gc.unfreeze()  # leave the test process's collector as it was
