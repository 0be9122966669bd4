"""Content-addressed cache of analysis results on disk.

A result is stored under a :class:`CacheKey` made of the audio file's *content* hash (so a moved
or renamed file still hits and an edited one misses), a hash of the analysis parameters, and a
namespace naming the producer and its result version (``"analysis-v1"``; bump the version when
the result format or algorithm changes). Entries are small JSON files written atomically; the
least recently used are deleted when the cache grows past its size limit.

The cache is an optimisation only: :meth:`ResultCache.get` never raises because of a damaged
cache (a corrupt entry is a miss and is removed), and :meth:`ResultCache.put` gives up quietly
(logging a warning) when the disk refuses the write. A cache built with ``enabled=False`` or
``directory=None`` stores nothing — that is what tests and ``--no-cache`` use.

Layout: ``<directory>/<namespace>/<content hash>-<params key>.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import numbers
import os
import re
import stat
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from core.errors import AudioLoadError, FileMissing, InvalidParameter
from core.fileutil import atomic_write_bytes, stat_regular_file
from core.jobs import CancelToken, check_cancel

if TYPE_CHECKING:
    from core.config import Config

__all__ = ["CacheKey", "ResultCache", "content_hash", "params_key"]

_log = logging.getLogger(__name__)

MIB = 1 << 20
"""Bytes in a mebibyte."""

ENTRY_FORMAT = 1
"""Version of the JSON envelope around cached data; entries of another version are misses."""

_HEX_RE = re.compile(r"^[0-9a-f]{8,128}$")
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ENTRY_RE = re.compile(r"^[0-9a-f]{8,128}-[0-9a-f]{8,128}\.json$")
_TEMP_RE = re.compile(r"^\..+\.tmp$")
_STALE_TEMP_SECONDS = 3600.0


# --------------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------------


def content_hash(path: str | os.PathLike[str], *, chunk_bytes: int = 1 << 20,
                 cancel: CancelToken | None = None) -> str:
    """BLAKE2b-160 of a file's bytes, read in chunks (memory use is one chunk).

    Parameters
    ----------
    path : path-like
        The file.
    chunk_bytes : int
        Read size, in bytes (≥ 1; default 1 MiB).
    cancel : CancelToken or None
        Checked between chunks.

    Returns
    -------
    str
        40 lowercase hex digits.

    Raises
    ------
    FileMissing
        ``path`` does not exist.
    NotAFile
        ``path`` is a directory or a special file.
    AudioLoadError
        The file cannot be read (permissions, I/O error).
    Cancelled
        Through ``cancel``.
    InvalidParameter
        ``chunk_bytes`` < 1.
    """
    if isinstance(chunk_bytes, bool) or not isinstance(chunk_bytes, int) or chunk_bytes < 1:
        raise InvalidParameter(f"chunk_bytes must be a positive integer, got {chunk_bytes!r}")
    file, info = stat_regular_file(path)
    digest = hashlib.blake2b(digest_size=20)
    buffer = bytearray(max(1, min(chunk_bytes, info.st_size)))  # small files: small buffer
    view = memoryview(buffer)
    try:
        with open(file, "rb", buffering=0) as handle:
            while True:
                check_cancel(cancel)
                count = handle.readinto(buffer)
                if not count:
                    break
                digest.update(view[:count])
    except FileNotFoundError:
        raise FileMissing(file, "no such file (removed while reading)") from None
    except OSError as exc:
        raise AudioLoadError(file, f"cannot read: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _canonical(value: object, where: str) -> object:
    """Normalise a JSON-like value so equal parameters serialise identically."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return int(number)  # 120.0 and 120 are the same parameter; -0.0 is 0
        return number
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidParameter(
                    f"params keys must be strings; {where or 'params'} has key {key!r}")
            out[key] = _canonical(item, f"{where}.{key}" if where else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_canonical(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise InvalidParameter(
        f"params must be JSON-like (null, bool, number, string, list, mapping); "
        f"{where or 'params'} is a {type(value).__name__}")


def params_key(params: Mapping[str, Any]) -> str:
    """Stable hash of analysis parameters, independent of key order.

    Numbers equal in value hash equally (``120`` and ``120.0``); other floats use Python's
    shortest round-trip ``repr``, identical on every platform.

    Parameters
    ----------
    params : Mapping[str, Any]
        JSON-like: ``None``, ``bool``, numbers, ``str``, lists/tuples, mappings with ``str`` keys.

    Returns
    -------
    str
        32 lowercase hex digits (BLAKE2b-128 of the canonical JSON).

    Raises
    ------
    InvalidParameter
        For a value that is not JSON-like (a ``Path``, a set, an array …) or a non-``str`` key.
    """
    if not isinstance(params, Mapping):
        raise InvalidParameter(f"params must be a mapping, got {type(params).__name__}")
    canonical = json.dumps(_canonical(params, ""), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=True, allow_nan=True)
    return hashlib.blake2b(canonical.encode("ascii"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """Identity of one cached result.

    Attributes
    ----------
    content : str
        :func:`content_hash` of the input file.
    params : str
        :func:`params_key` of the parameters.
    namespace : str
        Producer and result version, e.g. ``"analysis-v1"`` (letters, digits, ``._-``).
    """

    content: str
    params: str
    namespace: str

    def __post_init__(self) -> None:
        if not _HEX_RE.match(self.content):
            raise InvalidParameter(f"cache key content must be a hex digest, got {self.content!r}")
        if not _HEX_RE.match(self.params):
            raise InvalidParameter(f"cache key params must be a hex digest, got {self.params!r}")
        if not _NAMESPACE_RE.match(self.namespace):
            raise InvalidParameter(
                f"cache namespace must be letters, digits, '.', '_' or '-' (e.g. 'analysis-v1'),"
                f" got {self.namespace!r}")

    @property
    def filename(self) -> str:
        """Entry file name, ``"<content>-<params>.json"``."""
        return f"{self.content}-{self.params}.json"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.filename}"


# --------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    mtime_ns: int


class ResultCache:
    """JSON results on disk, keyed by file content + parameters + namespace, LRU-bounded.

    Parameters
    ----------
    directory : Path or None
        Where entries live (created on first write). ``None`` disables the cache.
    enabled : bool
        ``False`` makes :meth:`get` always miss and :meth:`put` do nothing.
    max_bytes : int
        Size limit, in bytes (default 512 MiB); after each :meth:`put` the least recently used
        entries (oldest modification time; :meth:`get` refreshes it) are deleted until the
        cache is at most this big.

    Notes
    -----
    Safe to share between threads and processes: entries are replaced atomically, so readers
    see a whole entry or none; concurrent writers of one key leave one of their entries.
    """

    DEFAULT_MAX_BYTES = 512 * MIB

    def __init__(self, directory: str | os.PathLike[str] | None, *, enabled: bool = True,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise InvalidParameter(f"max_bytes must be a positive integer, got {max_bytes!r}")
        self._directory = None if directory is None else Path(directory).expanduser()
        self._enabled = bool(enabled) and self._directory is not None
        self._max_bytes = max_bytes

    @staticmethod
    def default_directory() -> Path:
        """``platformdirs.user_cache_dir("breakroom") / "results"`` (``~/.cache/breakroom/results``
        on Linux)."""
        return Path(platformdirs.user_cache_dir("breakroom")) / "results"

    @classmethod
    def from_config(cls, config: Config) -> ResultCache:
        """The cache the ``cache`` section describes.

        ``cache.dir`` (or, when null, the platform cache directory) + ``"results"``,
        ``cache.enabled``, ``cache.max_mb`` MiB.
        """
        base = config.path("cache.dir")
        directory = cls.default_directory() if base is None else base / "results"
        max_mb = config.get("cache.max_mb")
        if not isinstance(max_mb, int):
            raise InvalidParameter(f"cache.max_mb must be an integer, got {max_mb!r}")
        return cls(directory, enabled=bool(config.get("cache.enabled")), max_bytes=max_mb * MIB)

    @property
    def enabled(self) -> bool:
        """Whether the cache stores and returns anything."""
        return self._enabled

    @property
    def directory(self) -> Path | None:
        """The cache directory, or ``None``."""
        return self._directory

    @property
    def max_bytes(self) -> int:
        """Size limit, in bytes."""
        return self._max_bytes

    def __repr__(self) -> str:
        state = "enabled" if self._enabled else "disabled"
        return f"ResultCache({str(self._directory)!r}, {state}, max_bytes={self._max_bytes})"

    # -- keys ----------------------------------------------------------------------------------

    def key(self, path: str | os.PathLike[str], params: Mapping[str, Any], namespace: str, *,
            cancel: CancelToken | None = None) -> CacheKey:
        """Key for the result of analysing ``path`` with ``params``.

        Hashes the whole file (about 1 GB/s), even when the cache is disabled; callers that
        want to skip that can test :attr:`enabled` first.

        Raises
        ------
        FileMissing, NotAFile, AudioLoadError
            From :func:`content_hash`.
        InvalidParameter
            Bad ``params`` or ``namespace``.
        Cancelled
            Through ``cancel``.
        """
        return CacheKey(content_hash(path, cancel=cancel), params_key(params), namespace)

    def _entry_path(self, key: CacheKey) -> Path:
        assert self._directory is not None
        return self._directory / key.namespace / key.filename

    # -- reading -------------------------------------------------------------------------------

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        """The cached result for ``key``, or ``None`` on a miss.

        A hit refreshes the entry's modification time (its LRU age). An unreadable, corrupt or
        mismatched entry counts as a miss and is deleted. Never raises because of the cache's
        state.
        """
        if not self._enabled:
            return None
        path = self._entry_path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _log.warning("cache entry %s unreadable (%s); ignoring it", path, exc)
            self._discard(path)
            return None
        try:
            envelope = json.loads(blob.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            _log.warning("cache entry %s is corrupt; removing it", path)
            self._discard(path)
            return None
        if not (isinstance(envelope, dict)
                and envelope.get("format") == ENTRY_FORMAT
                and envelope.get("namespace") == key.namespace
                and envelope.get("content") == key.content
                and envelope.get("params") == key.params
                and isinstance(envelope.get("data"), dict)):
            _log.warning("cache entry %s does not match its key; removing it", path)
            self._discard(path)
            return None
        now = time.time_ns()
        with contextlib.suppress(OSError):
            os.utime(path, ns=(now, now))
        data: dict[str, Any] = envelope["data"]
        return data

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    # -- writing -------------------------------------------------------------------------------

    def put(self, key: CacheKey, data: Mapping[str, Any]) -> None:
        """Store ``data`` (JSON-serialisable) under ``key``, replacing any previous entry.

        Written atomically (temporary file, fsync, ``os.replace``), then old entries are
        evicted as needed. Does nothing when disabled, or when the entry alone is larger than
        :attr:`max_bytes`. A write the disk refuses is logged and otherwise ignored.

        Raises
        ------
        InvalidParameter
            ``data`` is not a mapping or not JSON-serialisable (a programming error, raised even
            when the cache is disabled).
        """
        if not isinstance(data, Mapping):
            raise InvalidParameter(f"cached data must be a mapping, got {type(data).__name__}")
        envelope = {"format": ENTRY_FORMAT, "namespace": key.namespace, "content": key.content,
                    "params": key.params, "data": dict(data)}
        try:
            blob = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=True).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as exc:
            raise InvalidParameter(f"cached data is not JSON-serialisable: {exc}") from exc
        if not self._enabled:
            return
        if len(blob) > self._max_bytes:
            _log.info("result for %s (%d bytes) exceeds the cache limit; not cached",
                      key, len(blob))
            return
        path = self._entry_path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, blob, overwrite=True)
        except OSError as exc:
            _log.warning("could not write cache entry %s: %s", path, exc)
            return
        self._evict()

    # -- housekeeping --------------------------------------------------------------------------

    def _scan(self) -> Iterator[tuple[_Entry, bool]]:
        """Yield ``(entry, is_temp)`` for every file the cache owns; tolerant of races."""
        if self._directory is None:
            return
        try:
            namespaces = [d for d in self._directory.iterdir() if d.is_dir()]
        except OSError:
            return
        for namespace in namespaces:
            if not _NAMESPACE_RE.match(namespace.name):
                continue
            try:
                children = list(os.scandir(namespace))
            except OSError:
                continue
            for child in children:
                is_entry = _ENTRY_RE.match(child.name) is not None
                is_temp = not is_entry and _TEMP_RE.match(child.name) is not None
                if not (is_entry or is_temp):
                    continue
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    yield _Entry(Path(child.path), info.st_size, info.st_mtime_ns), is_temp

    def size_bytes(self) -> int:
        """Bytes used by entries (and in-flight temporary files), 0 when there are none."""
        return sum(entry.size for entry, _ in self._scan())

    def _evict(self) -> None:
        """Delete least recently used entries until the cache fits :attr:`max_bytes`;
        delete temporary files left behind by crashed writers (older than an hour)."""
        entries: list[_Entry] = []
        total = 0
        stale_before = time.time_ns() - int(_STALE_TEMP_SECONDS * 1e9)
        for entry, is_temp in self._scan():
            if is_temp:
                if entry.mtime_ns < stale_before:
                    self._discard(entry.path)
                continue
            entries.append(entry)
            total += entry.size
        if total <= self._max_bytes:
            return
        entries.sort(key=lambda e: (e.mtime_ns, e.path.name))
        for entry in entries:
            if total <= self._max_bytes:
                break
            self._discard(entry.path)
            total -= entry.size

    def clear(self) -> None:
        """Delete every entry (and temporary file) and the emptied namespace folders.

        Only files named like cache entries are touched, so pointing the cache at a shared
        directory by mistake deletes nothing else. Does nothing without a directory; works
        even when the cache is disabled.
        """
        for entry, _ in list(self._scan()):
            self._discard(entry.path)
        if self._directory is None:
            return
        with contextlib.suppress(OSError):
            for namespace in self._directory.iterdir():
                if namespace.is_dir() and _NAMESPACE_RE.match(namespace.name):
                    with contextlib.suppress(OSError):
                        namespace.rmdir()  # only if empty
