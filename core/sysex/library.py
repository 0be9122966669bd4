"""The preset library: an SQLite file of imported presets, deduplicated by sound.

A preset is stored once per fingerprint (:func:`core.sysex.model.fingerprint`: the sound data
without name, slot and categories); every file it was seen in is kept as an occurrence.
Favourites and tags are per preset; the Virus' two categories become tags on import.

The database lives in ``platformdirs.user_data_dir("breakroom")/sysex-library.sqlite3`` unless
a path is given. Each thread gets its own connection, so an import may run in a worker while
the window reads.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from core.errors import SysExError
from core.jobs import CancelToken, ProgressCallback, check_cancel, report
from core.sysex.decode import SUFFIXES, decode_file
from core.sysex.definitions import Definition
from core.sysex.model import DumpResult, Preset
from core.sysex.search import parse_query
from core.sysex.spec import SynthTable
from core.sysex.tables import shipped_tables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS presets (
    id INTEGER PRIMARY KEY, fingerprint TEXT UNIQUE NOT NULL, table_id TEXT NOT NULL,
    synth TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
    favourite INTEGER NOT NULL DEFAULT 0, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS occurrences (
    preset_id INTEGER NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    path TEXT NOT NULL, slot TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (preset_id, path, slot));
CREATE TABLE IF NOT EXISTS tags (
    preset_id INTEGER NOT NULL REFERENCES presets(id) ON DELETE CASCADE,
    tag TEXT NOT NULL, PRIMARY KEY (preset_id, tag));
CREATE INDEX IF NOT EXISTS tags_by_tag ON tags(tag);
"""


def default_library_path() -> Path:
    """``<user data dir>/breakroom/sysex-library.sqlite3``."""
    return Path(platformdirs.user_data_dir("breakroom")) / "sysex-library.sqlite3"


@dataclass(frozen=True)
class LibraryPreset:
    """One stored preset with its favourite flag, tags and where it was seen first."""

    id: int
    fingerprint: str
    table: SynthTable
    synth: str
    name: str
    data: bytes
    favourite: bool
    tags: tuple[str, ...]
    source: str
    slot: str

    def to_preset(self) -> Preset:
        """The stored sound as a :class:`Preset` (for the parameter view, export, send)."""
        return Preset(table=self.table, data=self.data, slot=self.slot, source=self.source)


@dataclass(frozen=True)
class RemovedPreset:
    """A preset taken out of the library, with everything needed to put it back."""

    id: int
    fingerprint: str
    table_id: str
    synth: str
    name: str
    data: bytes
    favourite: bool
    added: float
    tags: tuple[str, ...]
    occurrences: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class ImportReport:
    """What an import did: files read, presets added, duplicates, failures with reasons."""

    files: int
    added: int
    duplicates: int
    failed: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One line for people."""
        text = (f"{self.files} files: {self.added} presets added, {self.duplicates} already in "
                "the library")
        return text + (f", {len(self.failed)} files failed" if self.failed else "")


class Library:
    """The SQLite preset library at ``path`` (created on first use)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_library_path()
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10)
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL: safe, one fsync per checkpoint
                conn.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                raise SysExError(f"{self.path}: cannot open the preset library ({exc})") from None
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------------------------

    def add_presets(self, presets: Iterable[Preset], *, source: str = "") -> tuple[int, int]:
        """Store presets (one transaction); returns ``(added, duplicates)``."""
        db = self._db()
        added = duplicates = 0
        now = time.time()
        try:
            with db:
                for preset in presets:
                    fp = preset.fingerprint
                    cur = db.execute(
                        "INSERT OR IGNORE INTO presets (fingerprint, table_id, synth, name, data,"
                        " added) VALUES (?, ?, ?, ?, ?, ?)",
                        (fp, preset.table.id, preset.synth, preset.display_name,
                         bytes(preset.data), now))
                    if cur.rowcount:
                        added += 1
                        preset_id = cur.lastrowid
                        db.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)",
                                       [(preset_id, c.lower()) for c in preset.categories])
                    else:
                        duplicates += 1
                        preset_id = db.execute("SELECT id FROM presets WHERE fingerprint = ?",
                                               (fp,)).fetchone()[0]
                    db.execute("INSERT OR IGNORE INTO occurrences VALUES (?, ?, ?, ?)",
                               (preset_id, source or preset.source, preset.slot,
                                preset.display_name))
        except sqlite3.Error as exc:
            raise SysExError(f"{self.path}: cannot store presets ({exc})") from None
        return added, duplicates

    def import_result(self, result: DumpResult) -> tuple[int, int]:
        """Store every preset of a decoded dump; returns ``(added, duplicates)``."""
        return self.add_presets(result.presets, source=result.source)

    def import_paths(self, paths: Sequence[str | Path], *,
                     definitions: Sequence[Definition] = (),
                     progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None) -> ImportReport:
        """Decode and store files and folders (searched recursively for SysEx suffixes).

        A file that cannot be read is reported in ``failed`` and the import goes on.
        Raises :class:`core.errors.Cancelled` when cancelled (what was stored stays).
        """
        report(progress, 0.0, "scan")
        files = collect_files(paths)
        added = duplicates = 0
        failed: list[tuple[str, str]] = []
        try:
            for i, path in enumerate(files):
                check_cancel(cancel)
                report(progress, i / max(1, len(files)), f"import {path.name}")
                try:
                    result = decode_file(path, definitions=definitions)
                    a, d = self.import_result(result)
                except SysExError as exc:
                    failed.append((str(path), str(exc)))
                    continue
                added += a
                duplicates += d
        finally:
            self.close()  # a worker thread's connection must not outlive the import
        report(progress, 1.0, "import")
        return ImportReport(len(files), added, duplicates, tuple(failed))

    def store(self, preset: Preset, *, source: str = "") -> int:
        """The id of ``preset``'s sound in the library, storing it first when it is new."""
        self.add_presets([preset], source=source)
        found = self.find([preset.fingerprint])
        if not found:
            raise SysExError(f"{self.path}: the preset was not stored")
        return found[preset.fingerprint].id

    def remove(self, preset_ids: Iterable[int]) -> tuple[RemovedPreset, ...]:
        """Delete presets (with their tags and occurrences); returns what :meth:`restore`
        needs to put them back."""
        ids = list(dict.fromkeys(preset_ids))
        if not ids:
            return ()
        db = self._db()
        marks = ",".join("?" * len(ids))
        removed: list[RemovedPreset] = []
        try:
            with db:
                rows = db.execute(
                    "SELECT id, fingerprint, table_id, synth, name, data, favourite, added FROM"
                    f" presets WHERE id IN ({marks})", ids).fetchall()
                for pid, fp, table_id, synth, name, data, fav, added in rows:
                    tags = tuple(t for (t,) in db.execute(
                        "SELECT tag FROM tags WHERE preset_id = ? ORDER BY tag", (pid,)))
                    seen = tuple(tuple(r) for r in db.execute(
                        "SELECT path, slot, name FROM occurrences WHERE preset_id = ?", (pid,)))
                    removed.append(RemovedPreset(pid, fp, table_id, synth, name, bytes(data),
                                                 bool(fav), float(added), tags, seen))
                db.execute(f"DELETE FROM presets WHERE id IN ({marks})", ids)
        except sqlite3.Error as exc:
            raise SysExError(f"{self.path}: cannot remove presets ({exc})") from None
        return tuple(removed)

    def restore(self, removed: Iterable[RemovedPreset]) -> None:
        """Put removed presets back (under their old id when it is still free); a preset whose
        sound was stored again meanwhile gets the removed tags and occurrences added."""
        db = self._db()
        try:
            with db:
                for item in removed:
                    values = (item.fingerprint, item.table_id, item.synth, item.name,
                              item.data, int(item.favourite), item.added)
                    taken = db.execute("SELECT 1 FROM presets WHERE id = ?",
                                       (item.id,)).fetchone()
                    db.execute(
                        "INSERT OR IGNORE INTO presets (id, fingerprint, table_id, synth, name,"
                        " data, favourite, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (None if taken else item.id, *values))
                    pid = db.execute("SELECT id FROM presets WHERE fingerprint = ?",
                                     (item.fingerprint,)).fetchone()[0]
                    db.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)",
                                   [(pid, t) for t in item.tags])
                    db.executemany("INSERT OR IGNORE INTO occurrences VALUES (?, ?, ?, ?)",
                                   [(pid, *o) for o in item.occurrences])
        except sqlite3.Error as exc:
            raise SysExError(f"{self.path}: cannot restore presets ({exc})") from None

    def set_favourite(self, preset_id: int, favourite: bool = True) -> None:
        """Mark or unmark a favourite."""
        with self._db() as db:
            db.execute("UPDATE presets SET favourite = ? WHERE id = ?",
                       (int(favourite), preset_id))

    def add_tag(self, preset_id: int, tag: str) -> None:
        """Add a tag (lower-cased, trimmed; empty tags are refused with ``SysExError``)."""
        tag = tag.strip().lower()
        if not tag:
            raise SysExError("a tag cannot be empty")
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO tags VALUES (?, ?)", (preset_id, tag))

    def remove_tag(self, preset_id: int, tag: str) -> None:
        """Remove a tag (no error when absent)."""
        with self._db() as db:
            db.execute("DELETE FROM tags WHERE preset_id = ? AND tag = ?",
                       (preset_id, tag.strip().lower()))

    # -- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """Number of distinct presets."""
        return int(self._db().execute("SELECT COUNT(*) FROM presets").fetchone()[0])

    def get(self, preset_id: int) -> LibraryPreset:
        """One preset; ``SysExError`` when there is no such id."""
        found = self._rows("WHERE p.id = ?", (preset_id,))
        if not found:
            raise SysExError(f"no preset {preset_id} in the library")
        return found[0]

    def find(self, fingerprints: Iterable[str]) -> dict[str, LibraryPreset]:
        """The stored presets among ``fingerprints``, by fingerprint (absent ones left out)."""
        wanted = list(dict.fromkeys(fingerprints))
        found: dict[str, LibraryPreset] = {}
        for start in range(0, len(wanted), 500):  # SQLite's limit on parameters
            chunk = wanted[start:start + 500]
            where = f"WHERE p.fingerprint IN ({','.join('?' * len(chunk))})"
            found.update((item.fingerprint, item) for item in self._rows(where, tuple(chunk)))
        return found

    def all_tags(self) -> list[str]:
        """Every tag in use, sorted."""
        return [t for (t,) in self._db().execute("SELECT DISTINCT tag FROM tags ORDER BY tag")]

    def search(self, text: str = "", *, limit: int | None = None) -> list[LibraryPreset]:
        """Presets matching a search (see :mod:`core.sysex.search`), newest first."""
        query = parse_query(text)
        out: list[LibraryPreset] = []
        for item in self._rows("", ()):
            if query.matches(item, item.tags, item.favourite):
                out.append(item)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def _rows(self, where: str, args: tuple) -> list[LibraryPreset]:
        db = self._db()
        tags: dict[int, list[str]] = {}
        for preset_id, tag in db.execute("SELECT preset_id, tag FROM tags ORDER BY tag"):
            tags.setdefault(preset_id, []).append(tag)
        tables = shipped_tables()
        rows = db.execute(
            "SELECT p.id, p.fingerprint, p.table_id, p.synth, p.name, p.data, p.favourite,"
            " (SELECT path FROM occurrences o WHERE o.preset_id = p.id LIMIT 1),"
            " (SELECT slot FROM occurrences o WHERE o.preset_id = p.id LIMIT 1)"
            f" FROM presets p {where} ORDER BY p.id DESC", args)
        out = []
        for pid, fp, table_id, synth, name, data, fav, path, slot in rows:
            table = tables.get(table_id) or _raw_table(table_id, synth, len(data))
            out.append(LibraryPreset(pid, fp, table, synth, name, bytes(data), bool(fav),
                                     tuple(tags.get(pid, ())), path or "", slot or ""))
        return out


def _raw_table(table_id: str, synth: str, length: int) -> SynthTable:
    """A parameter-less table for presets of custom definitions not loaded now."""
    return SynthTable(id=table_id, synth=synth, manufacturer="", kind="custom",
                      length=length, parameters=(), whole_message=table_id.startswith("custom:"))


def collect_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files given plus files under folders with a SysEx/MIDI suffix, sorted, no repeats."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*")
                              if f.is_file() and f.suffix.lower() in SUFFIXES))
        else:
            out.append(p)
    return list(dict.fromkeys(out))
