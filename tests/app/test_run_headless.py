"""``app.run`` without a display: a clear hint on stderr, exit status 1, no QApplication."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import display_problem

REPO = Path(__file__).resolve().parents[2]
_DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")

_CHILD = """\
import sys
import app
status = app.run(["breakroom"])
qt_modules = sorted(m for m in sys.modules if m.startswith("PySide6.Qt"))
print("QT_MODULES=" + ",".join(qt_modules))
sys.exit(status)
"""


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DISPLAY_VARS}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is Linux's")
def test_run_without_display_prints_the_headless_hint_in_a_subprocess() -> None:
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=child_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "no display found" in done.stderr
    assert "python main.py analyze TRACK --out results/" in done.stderr
    assert "python main.py info TRACK" in done.stderr
    assert "python main.py --help" in done.stderr
    assert "xvfb-run make run" in done.stderr
    assert "QT_MODULES=\n" in done.stdout  # Qt was never imported


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is Linux's")
def test_run_without_display_in_process(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for name in _DISPLAY_VARS:
        monkeypatch.delenv(name, raising=False)

    def must_not_start(argv: list[str]) -> int:
        raise AssertionError("the window must not be created without a display")

    import app.bootstrap

    monkeypatch.setattr(app.bootstrap, "main", must_not_start)
    assert app.run(["breakroom"]) == 1
    err = capsys.readouterr().err
    assert "no display found" in err and "xvfb-run make run" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the plugin probe is Linux's")
def test_a_broken_platform_plugin_is_reported_not_aborted() -> None:
    env = child_env(QT_QPA_PLATFORM="no-such-plugin")
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "Qt platform plugin could not start" in done.stderr
    assert "no-such-plugin" in done.stderr
    assert "QT_MODULES=\n" in done.stdout


def test_display_problem_rules() -> None:
    assert display_problem({}, "linux")
    assert not display_problem({"DISPLAY": ":0"}, "linux")
    assert not display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not display_problem({}, "darwin")
    assert not display_problem({}, "win32")


_BOOT_CHILD = """\
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import app

qapp = QApplication(["breakroom"])

def inspect_and_close():
    [window] = [w for w in QApplication.topLevelWidgets() if w.objectName() == "main_window"]
    print("TRACKS=%d" % len(window.session))
    print("STYLED=%s" % bool(qapp.styleSheet()))
    print("NAME=%s/%s" % (qapp.organizationName(), qapp.applicationName()))
    window.close()

QTimer.singleShot(1000, inspect_and_close)
sys.exit(app.run(["breakroom", sys.argv[1]]))
"""


def test_run_opens_the_window_and_exits_cleanly(tmp_path: Path) -> None:
    track = tmp_path / "track.wav"
    track.write_bytes(b"not really audio")
    home = tmp_path / "home"
    env = child_env(QT_QPA_PLATFORM="offscreen", HOME=str(home),
                    XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"),
                    XDG_CACHE_HOME=str(home / "cache"), BREAKROOM_CACHE__ENABLED="false")
    done = subprocess.run([sys.executable, "-c", _BOOT_CHILD, str(track)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "TRACKS=1" in done.stdout
    assert "STYLED=True" in done.stdout
    assert "NAME=Breakroom/Breakroom" in done.stdout
    assert (home / "config" / "Breakroom" / "Breakroom.ini").is_file()
    assert any((home / "state").rglob("breakroom.log"))
