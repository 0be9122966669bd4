"""Which files count as audio, and collecting them from files and folders."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from core.errors import InvalidParameter

AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc",
        ".m4a", ".aac", ".mp4", ".wma", ".caf", ".w64",
    }
)
"""Lower-case file extensions (with the dot) treated as audio when walking folders."""


def is_audio_name(path: str | Path) -> bool:
    """True if ``path``'s extension (case-insensitive) is in :data:`AUDIO_EXTENSIONS`."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def _walk_folder(folder: Path, recursive: bool) -> list[Path]:
    """Audio files in ``folder`` (sorted), skipping hidden files and folders."""
    found: list[Path] = []
    if not recursive:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return found
        return sorted(p for p in entries
                      if p.is_file() and not p.name.startswith(".") and is_audio_name(p))
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not name.startswith(".") and is_audio_name(name):
                found.append(Path(root) / name)
    return sorted(found)


def find_audio_files(paths: Iterable[str | Path], *, recursive: bool = True) -> list[Path]:
    """Expand files and folders into a list of audio files.

    Parameters
    ----------
    paths
        Files and folders. A file given explicitly is always included, whatever its extension
        (the loader decides whether it is audio). Folders contribute files whose extension is in
        :data:`AUDIO_EXTENSIONS`; hidden files and folders (names starting with ``.``) are
        skipped.
    recursive
        Walk sub-folders (default) or only the folder's own files.

    Returns
    -------
    list of Path
        In the order ``paths`` were given, each folder replaced by its audio files sorted by
        path; duplicates are removed. Paths that do not exist are kept so that loading them reports
        :class:`core.errors.FileMissing`.

    Raises
    ------
    InvalidParameter
        If ``paths`` is a single string or path rather than an iterable of them.
    """
    if isinstance(paths, (str, Path)):
        raise InvalidParameter("paths must be an iterable of paths, not a single path")
    result: list[Path] = []
    seen: set[Path] = set()
    for item in paths:
        path = Path(item)
        found = _walk_folder(path, recursive) if path.is_dir() else [path]
        for file in found:
            if file not in seen:
                seen.add(file)
                result.append(file)
    return result
