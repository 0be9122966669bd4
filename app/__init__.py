"""Breakroom's desktop window (the only package that imports Qt).

:func:`run` first checks that a window can be shown at all. Qt aborts the whole process (in C++,
uncatchable from Python) when its platform plugin cannot start — no display, or missing xcb
libraries — so this module does not import Qt; it checks the environment first and, on
Linux, probes the platform plugin in a short-lived child process before creating the real
``QApplication`` in :mod:`app.bootstrap`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

HEADLESS_HINT = """\
Breakroom: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).
The window needs a desktop session. Headless alternatives:
  python main.py analyze TRACK --out results/   analyse tracks and write the results
  python main.py info TRACK                     show what a file contains
  python main.py --help                         every command
or run the window under a virtual display:  xvfb-run make run"""

PLUGIN_HINT = """\
Breakroom: the Qt platform plugin could not start, so the window cannot open.
Qt said: {detail}
On Debian/Ubuntu the xcb plugin needs: sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0 \
libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 (or run `make setup` as root).
You can also pick another plugin, e.g. QT_QPA_PLATFORM=wayland, or use the command line:
  python main.py --help"""

_PROBE_TIMEOUT_S = 20.0
_PROBE_CODE = "from PySide6.QtGui import QGuiApplication; QGuiApplication(['breakroom-probe'])"
_HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb"}


def display_problem(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when on Linux no display and no explicit Qt platform are configured."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return False
    return not any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def probe_platform_plugin(env: Mapping[str, str] | None = None) -> str | None:
    """Start a ``QGuiApplication`` in a child process; return Qt's complaint if it failed.

    Skipped (``None``) off Linux and for headless platforms (offscreen, minimal, …). A probe
    that times out or cannot be started is treated as success: the real start will tell.
    """
    env = dict(os.environ if env is None else env)
    platform_name = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if not sys.platform.startswith("linux") or platform_name in _HEADLESS_PLATFORMS:
        return None
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE_CODE], env=env,
                              capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    useful = [line for line in lines if "plugin" in line.lower() or "xcb" in line.lower()]
    return " ".join((useful or lines or [f"exit status {done.returncode}"])[:3])


def run(argv: list[str] | None = None) -> int:
    """Open the Breakroom window and return the exit status.

    ``argv`` is the application's argument list (``sys.argv`` by default); arguments after the
    program name that are paths are opened. Returns 1, with advice on stderr, when no display is
    available or Qt's platform plugin cannot start.
    """
    argv = list(sys.argv if argv is None else argv)
    if display_problem():
        print(HEADLESS_HINT, file=sys.stderr)
        return 1
    problem = probe_platform_plugin()
    if problem is not None:
        print(PLUGIN_HINT.format(detail=problem), file=sys.stderr)
        return 1
    from app.bootstrap import main

    return main(argv)


__all__ = ["display_problem", "probe_platform_plugin", "run"]
