"""Guard against PySide6 builds that leak references on Signal.emit().

PySide6 6.12.0 on CPython < 3.12 drops one reference to ``True`` per emit, and the interpreter
aborts ("bool_dealloc") after a few thousand signals; pyproject.toml excludes that release. This
test emits 20 000 signals in a child process so a future bad release fails here, not in a
producer's session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_CHILD = """\
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal

class Source(QObject):
    changed = Signal(str)
    moved = Signal(float, str)

qapp = QCoreApplication([])
source = Source()
seen = []
source.changed.connect(seen.append)
source.moved.connect(lambda f, s: seen.append(s))
before = sys.getrefcount(True)
for i in range(10_000):
    source.changed.emit("x")
    source.moved.emit(0.5, "y")
assert len(seen) == 20_000
print(sys.getrefcount(True) - before)
"""


def test_many_emits_keep_refcounts_balanced() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert abs(int(done.stdout.strip())) < 100
