"""Safe file writing: atomic replacement, no silent overwrites, free alternative names.

Every file Breakroom writes (exported MIDI, stems, reports, cache entries) goes through
:func:`atomic_write_bytes` / :func:`atomic_write_text`: the data is written to a temporary file in
the destination's directory, flushed and fsync'ed, then moved over the destination with
``os.replace`` (or hard-linked into place when overwriting is not allowed), so a reader sees
either the old file or the complete new one — never a truncated file — and a failure leaves
the old file untouched and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from pathlib import Path

from core.errors import (
    AudioLoadError,
    FileMissing,
    InvalidParameter,
    NotAFile,
    OutputExists,
    PathError,
)

__all__ = ["atomic_write_bytes", "atomic_write_text", "unique_path"]

_TEMP_SUFFIX = ".tmp"
_MAX_ALTERNATIVES = 10_000
_NUMBERED_RE = re.compile(r"^(?P<base>.*) \((?P<n>\d+)\)$")
# Errors from os.link that mean "this file system cannot hard-link", not "the target exists".
_NO_LINK_ERRNOS = frozenset(
    code for code in (getattr(errno, name, None)
                      for name in ("EPERM", "EACCES", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK",
                                   "ENOSYS", "EINVAL"))
    if code is not None
)


def _open_temp(directory: Path, name: str) -> tuple[int, Path]:
    """Create and open a fresh temporary file beside the destination.

    Created with mode 0o666 so the process umask applies, like any new file (``mkstemp`` would
    make it 0o600). The name starts with a dot and ends with ``.tmp``.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = directory / f".{name}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "could not create a unique temporary file", str(directory))


def _fsync_directory(directory: Path) -> None:
    """Persist a rename on POSIX; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                       overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : path-like
        Destination file. Its directory must exist.
    data : bytes-like
        The complete new content.
    overwrite : bool
        Replace an existing file. When false and ``path`` exists, nothing is written.

    Returns
    -------
    Path
        The destination path.

    Raises
    ------
    OutputExists
        ``path`` exists (also if another writer creates it meanwhile) and ``overwrite`` is false.
    InvalidParameter
        ``data`` is not bytes-like.
    OSError
        The directory is missing or not writable, the disk is full, … — the destination is then
        unchanged and no temporary file is left.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidParameter(f"data must be bytes-like, got {type(data).__name__}")
    dest = Path(path)
    if not overwrite and (dest.exists() or dest.is_symlink()):
        raise OutputExists(dest)
    directory = dest.parent
    fd, temp = _open_temp(directory, dest.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            if dest.is_file():
                with contextlib.suppress(OSError):
                    shutil.copymode(dest, temp)  # keep the permissions of the file replaced
            os.replace(temp, dest)
        else:
            _move_no_clobber(temp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(directory)
    return dest


def write_output(path: str | os.PathLike[str], data: bytes | bytearray | memoryview, *,
                 overwrite: bool, what: str, error: type[PathError]) -> Path:
    """:func:`atomic_write_bytes` for a user-facing output: OS failures become ``error``
    (``"<path>: cannot write <what>: <reason>"``), :class:`OutputExists` passes through."""
    dest = Path(path)
    try:
        return atomic_write_bytes(dest, data, overwrite=overwrite)
    except OutputExists:
        raise
    except PermissionError:
        raise error(dest, f"cannot write {what}: permission denied (choose a folder you can "
                          "write to)") from None
    except FileNotFoundError:
        raise error(dest, f"cannot write {what}: the folder {dest.parent} does not exist"
                    ) from None
    except IsADirectoryError:
        raise error(dest, f"cannot write {what}: the path is a folder") from None
    except OSError as exc:
        raise error(dest, f"cannot write {what} ({exc.strerror or exc})") from None


def _move_no_clobber(temp: Path, dest: Path) -> None:
    """Move ``temp`` to ``dest`` unless ``dest`` exists, atomically where hard links work."""
    try:
        os.link(temp, dest)
    except FileExistsError:
        raise OutputExists(dest) from None
    except (OSError, NotImplementedError) as exc:
        if isinstance(exc, OSError) and exc.errno not in _NO_LINK_ERRNOS:
            raise
        # No hard links here (FAT, some network shares): check, then replace.
        if dest.exists() or dest.is_symlink():
            raise OutputExists(dest) from None
        os.replace(temp, dest)
        return
    with contextlib.suppress(OSError):
        temp.unlink()  # dest now holds the data; a leftover link is only untidy


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = False,
                      encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding``.

    Newlines are written as given (no platform translation). Parameters, return value and
    errors are those of :func:`atomic_write_bytes`; an encoding failure happens before anything
    is written.
    """
    return atomic_write_bytes(path, text.encode(encoding), overwrite=overwrite)


def unique_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if it does not exist, else the first free ``"name (2).ext"``, ``"name (3).ext"`` …

    A name already numbered (``"loop (2).mid"``) continues from its number
    (``"loop (3).mid"``). The check is not atomic: pass the result to :func:`atomic_write_bytes`
    with ``overwrite=False`` to be safe against a concurrent writer.

    Raises
    ------
    OutputExists
        If no free name is found among the first 10 000 alternatives.
    """
    dest = Path(path)
    if not (dest.exists() or dest.is_symlink()):
        return dest
    suffix = dest.suffix
    stem = dest.name[: len(dest.name) - len(suffix)] if suffix else dest.name
    start = 2
    numbered = _NUMBERED_RE.match(stem)
    if numbered:
        stem, start = numbered["base"], int(numbered["n"]) + 1
    for n in range(start, start + _MAX_ALTERNATIVES):
        candidate = dest.with_name(f"{stem} ({n}){suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
    raise OutputExists(dest)


def stat_regular_file(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result]:
    """Check that ``path`` is an existing regular file and return it with its ``stat``.

    Raises
    ------
    FileMissing
        The path does not exist (or is a broken link).
    NotAFile
        The path is a folder or a special file (device, pipe, socket).
    AudioLoadError
        The file cannot be examined (``"permission denied"`` or another OS reason).
    """
    file = Path(path)
    try:
        info = file.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise FileMissing(file, "file not found") from None
    except PermissionError:
        raise AudioLoadError(file, "permission denied") from None
    except OSError as exc:
        raise AudioLoadError(file, f"cannot access the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise NotAFile(file, "is a folder, not an audio file")
    if not stat.S_ISREG(info.st_mode):
        raise NotAFile(file, "is not a regular file (a device, pipe or socket), not an audio file")
    return file, info
