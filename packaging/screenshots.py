"""Screenshots of the window at work, for review and the README.

Run ``.venv/bin/python packaging/screenshots.py [--out screenshots/] [--size 1600x1000]``
(uses Qt's offscreen platform unless a display is set; under ``xvfb-run`` it uses Xvfb). It
opens the generated demo track, waits for the analysis, the views and the loop ranking, then
writes PNGs of the main window and of each view and panel into the folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

SHOTS = ("main_window", "waveform", "spectrogram", "drum_timeline", "results", "loops",
         "transport")
"""Widgets of the Track tab shot after the demo track is analysed; ``sysex`` (the SysEx tab on
a generated DX7 bank, two voices compared) is shot last."""


def _wait(app: object, condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def _generated_bank(path: Path) -> Path:
    """A DX7 bank of 32 voices with seeded random settings (a stand-in for a user's bank)."""
    import random

    from core.sysex import Preset, encode_bank, get_table

    table = get_table("dx7_vced")
    rng = random.Random(7)
    names = ("WOBBLE", "REESE", "SUB", "STAB", "PAD", "PLUCK", "LEAD", "BELL")
    voices = []
    for k in range(32):
        values = {p.name: rng.randint(p.minimum, p.maximum) for p in table.parameters}
        data = table.write_name(table.write(bytes(table.length), values),
                                f"{names[k % len(names)]} {k + 1:02d}")
        voices.append(Preset(table=table, data=data))
    path.write_bytes(b"".join(encode_bank(voices)))
    return path


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots; returns 1 when the analysis did not finish in time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if not any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import tempfile

    from app.bootstrap import apply_theme, create_application
    from app.context import AppContext
    from app.main_window import MainWindow
    from app.models.session_model import TrackStatus
    from core.config import load_config

    app = create_application(["breakroom-screenshots"])
    config = load_config(use_user_file=False, env={}, overrides={"cache.enabled": False})
    scratch = Path(tempfile.mkdtemp(prefix="breakroom-shots-"))
    context = AppContext.create(config=config, settings_dir=scratch / "settings",
                                log_dir=scratch / "logs", show_dialogs=False)
    apply_theme(app, "dark")
    window = MainWindow(context)
    width, height = (int(x) for x in args.size.split("x"))
    window.resize(width, height)
    window.show()
    (track_id,) = window.open_demo_track()
    session = window.session
    done = _wait(app, lambda: session.track(track_id).status is TrackStatus.DONE
                 and bool(session.track(track_id).loops)
                 and window.track_views.waveform.pyramid is not None
                 and window.track_views.spectrogram.image is not None, args.timeout)
    if not done:
        print("screenshots: the demo track was not analysed in time", file=sys.stderr)
        window.shutdown()
        return 1
    window.transport.seek(5.0)
    window.track_views.set_playhead(5.0)
    _wait(app, lambda: False, 0.5)  # let every view paint
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    widgets = {"main_window": window, "waveform": window.track_views.waveform,
               "spectrogram": window.track_views.spectrogram,
               "drum_timeline": window.track_views.drums, "results": window.results_panel,
               "loops": window.loop_panel, "transport": window.transport_bar}
    for name in SHOTS:
        path = out / f"{name}.png"
        widgets[name].grab().save(str(path))
        print(path)
    window.workspace.setCurrentWidget(window.sysex_tab)
    window.sysex_page.open_files([_generated_bank(scratch / "generated-dx7-bank.syx")])
    _wait(app, lambda: window.sysex_page.table.model().rowCount() >= 32, args.timeout)
    window.sysex_page.table.selectRow(0)
    window.sysex_page.table.selectionModel().select(
        window.sysex_page.table.model().index(4, 0),
        window.sysex_page.table.selectionModel().SelectionFlag.Select
        | window.sysex_page.table.selectionModel().SelectionFlag.Rows)
    _wait(app, lambda: False, 0.5)
    path = out / "sysex.png"
    window.grab().save(str(path))
    print(path)
    window.shutdown()
    context.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
