"""Start-up leaves the heavy modules imported, their objects out of the collector's walk, and the
interpreter lock shared in short turns."""

from __future__ import annotations

import gc
import os
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


def test_application_hands_the_interpreter_lock_back_within_a_millisecond() -> None:
    # A fresh interpreter, so the default 5 ms is what create_application starts from.
    code = ("import sys; before = sys.getswitchinterval(); "
            "from app.bootstrap import create_application; create_application(['t']); "
            "print(before, sys.getswitchinterval())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=300,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    before, after = (float(v) for v in out.stdout.split())
    assert before == 0.005 and after == 0.001
