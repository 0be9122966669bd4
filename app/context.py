"""The services one window needs, built in one place: config, cache, runner, notifier, settings.

``bootstrap`` builds the real one; tests build one over temporary folders with the cache
disabled and dialogs off (see ``tests/app/conftest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.main_thread_gc import MainThreadCollector
from app.notifier import Notifier
from app.settings import AppSettings
from app.workers.runner import WorkerRunner
from core.cache import ResultCache
from core.config import Config, default_config, load_config
from core.errors import ConfigError

DEFAULT_MAX_CONCURRENT_ANALYSES = 2


@dataclass
class AppContext:
    """Everything shared by the window, its controllers and panels.

    ``startup_errors`` holds problems found while building the context (e.g. a malformed user
    config file, replaced by the defaults) for the window to report once it is shown.
    """

    config: Config
    cache: ResultCache
    runner: WorkerRunner
    notifier: Notifier
    settings: AppSettings
    max_concurrent_analyses: int = DEFAULT_MAX_CONCURRENT_ANALYSES
    startup_errors: list[str] = field(default_factory=list)
    collector: MainThreadCollector | None = None  # cycles collected on the UI thread until close

    @classmethod
    def create(cls, *, config: Config | None = None, settings_dir: Path | None = None,
               log_dir: Path | None = None, cache_enabled: bool | None = None,
               show_dialogs: bool = True,
               max_concurrent_analyses: int = DEFAULT_MAX_CONCURRENT_ANALYSES) -> AppContext:
        """Build the services.

        Parameters
        ----------
        config
            Configuration to use; ``None`` = :func:`core.config.load_config` (defaults, user
            file, ``BREAKROOM_*`` environment). A malformed user config falls back to the
            defaults and is recorded in ``startup_errors``.
        settings_dir, log_dir
            Folders for ``breakroom.ini`` and the log file; ``None`` = platform defaults.
        cache_enabled
            Force the result cache on or off; ``None`` follows ``cache.enabled`` in the config
            (so ``BREAKROOM_CACHE__ENABLED=false`` disables it).
        show_dialogs
            Passed to the :class:`Notifier` (false in tests).
        """
        startup_errors: list[str] = []
        if config is None:
            try:
                config = load_config()
            except ConfigError as exc:
                startup_errors.append(f"{exc} — using the default settings instead.")
                config = default_config()
        if cache_enabled is not None:
            config = config.with_overrides({"cache.enabled": bool(cache_enabled)})
        notifier = Notifier(log_dir, show_dialogs=show_dialogs)
        return cls(config=config, cache=ResultCache.from_config(config),
                   runner=WorkerRunner(), notifier=notifier,
                   settings=AppSettings(settings_dir),
                   max_concurrent_analyses=max(1, int(max_concurrent_analyses)),
                   startup_errors=startup_errors, collector=MainThreadCollector.acquire())

    @property
    def analyze_on_drop(self) -> bool:
        """``app.analyze_on_drop`` from the config."""
        return bool(self.config.get("app.analyze_on_drop"))

    @property
    def recent_files_max(self) -> int:
        """``app.recent_files_max`` from the config."""
        return int(self.config.get("app.recent_files_max") or 0)

    def close(self, timeout_ms: int = 5000) -> bool:
        """Stop all workers (joining their threads), save settings, close the log, hand cycle
        collection back to Python.

        Returns whether every worker thread stopped in time. Idempotent.
        """
        joined = self.runner.shutdown(timeout_ms)
        self.settings.sync()
        self.notifier.close()
        if self.collector is not None:
            self.collector.release()
            self.collector = None
        return joined
