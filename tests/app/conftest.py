"""App test fixtures: offscreen Qt, isolated settings and logs, no result cache, leak guard."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.context import AppContext
from app.main_window import MainWindow
from app.workers.worker import running_workers
from core.config import load_config
from tests.app.audio_files import (
    write_click_track,
    write_corrupt_wav,
    write_long_noise,
)


@pytest.fixture(autouse=True)
def _no_thread_leaks() -> Iterator[None]:
    """Every test must leave no worker thread running (checked after its fixtures close)."""
    yield
    leaked = running_workers()
    for worker in leaked:
        worker.cancel()
        worker.wait(5000)
    assert not leaked, f"worker threads still running after the test: {leaked}"


@pytest.fixture
def make_context(tmp_path: Path) -> Iterator[Callable[..., AppContext]]:
    """Factory of contexts over temporary settings/log folders, cache off, dialogs off."""
    made: list[AppContext] = []

    def make(**overrides: object) -> AppContext:
        config = load_config(use_user_file=False, env={},
                             overrides={"cache.enabled": False, **overrides})
        index = len(made)
        context = AppContext.create(config=config, settings_dir=tmp_path / f"settings{index}",
                                    log_dir=tmp_path / f"logs{index}", show_dialogs=False)
        made.append(context)
        return context

    yield make
    for context in made:
        assert context.close(), "a worker thread did not stop within the timeout"


@pytest.fixture
def app_context(make_context: Callable[..., AppContext]) -> AppContext:
    """A context with the default settings (analyse on drop, 2 concurrent analyses)."""
    return make_context()


@pytest.fixture
def window(qtbot: QtBot, app_context: AppContext) -> MainWindow:
    """A shown main window over :func:`app_context`."""
    main_window = MainWindow(app_context)
    qtbot.addWidget(main_window)
    main_window.show()
    return main_window


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of generated audio shared by the session (written once)."""
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def click_wav(audio_dir: Path) -> Path:
    """6 s click track at 120 BPM."""
    return write_click_track(audio_dir / "click_120.wav")


@pytest.fixture
def corrupt_wav(tmp_path: Path) -> Path:
    """Text renamed to .wav."""
    return write_corrupt_wav(tmp_path / "liner_notes.wav")


@pytest.fixture(scope="session")
def long_noise_wav(audio_dir: Path) -> Path:
    """10 minutes of noise (about 50 MB)."""
    return write_long_noise(audio_dir / "long_noise.wav")
