"""Tests of core.fileutil: atomic writes, overwrite protection, alternative names."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from core import fileutil
from core.errors import CoreError, InvalidParameter, OutputExists
from core.fileutil import atomic_write_bytes, atomic_write_text, unique_path


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "loop.mid"
    assert atomic_write_bytes(target, b"MThd\x00") == target
    assert target.read_bytes() == b"MThd\x00"
    atomic_write_text(tmp_path / "notes.txt", "caf\u00e9\n")
    assert (tmp_path / "notes.txt").read_bytes() == "caf\u00e9\n".encode()
    assert _names(tmp_path) == ["loop.mid", "notes.txt"]


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(OutputExists) as info:
        atomic_write_text(target, "new")
    error = info.value
    assert isinstance(error, CoreError) and isinstance(error, FileExistsError)
    assert str(error) == f"{target}: already exists; pass --force / choose overwrite to replace it"
    assert error.path == str(target)
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["out.json"]


def test_overwrites_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    atomic_write_text(target, "new", overwrite=True)
    assert target.read_text() == "new"
    assert _names(tmp_path) == ["out.json"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_new_file_gets_normal_permissions_and_overwrite_keeps_them(tmp_path: Path) -> None:
    target = tmp_path / "stem.wav"
    atomic_write_bytes(target, b"x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)
    atomic_write_bytes(target, b"y", overwrite=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_encode_failure_leaves_original_untouched(tmp_path: Path) -> None:
    class Unencodable(str):
        def encode(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
            raise RuntimeError("boom")

    target = tmp_path / "keep.txt"
    target.write_text("original")
    with pytest.raises(RuntimeError, match="boom"):
        atomic_write_text(target, Unencodable("new"), overwrite=True)
    assert target.read_text() == "original"
    assert _names(tmp_path) == ["keep.txt"]
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "\u266b", overwrite=True, encoding="ascii")
    assert target.read_text() == "original"


def test_replace_failure_leaves_original_and_no_temp(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.bin"
    target.write_bytes(b"original")

    def failing_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileutil.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new content", overwrite=True)
    assert target.read_bytes() == b"original"
    assert _names(tmp_path) == ["keep.bin"]


def test_write_failure_midway_leaves_no_temp(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "keep.bin"
    target.write_bytes(b"original")

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fileutil.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output"):
        atomic_write_bytes(target, b"new", overwrite=True)
    assert target.read_bytes() == b"original"
    assert _names(tmp_path) == ["keep.bin"]


def test_missing_directory_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "nope" / "x.bin", b"x")


def test_rejects_non_bytes(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter):
        atomic_write_bytes(tmp_path / "x.bin", "text")  # type: ignore[arg-type]
    assert _names(tmp_path) == []


def test_no_clobber_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(fileutil.os, "link", no_link)
    target = tmp_path / "a.txt"
    atomic_write_text(target, "one")
    assert target.read_text() == "one"
    with pytest.raises(OutputExists):
        atomic_write_text(target, "two")
    assert target.read_text() == "one"
    assert _names(tmp_path) == ["a.txt"]


def test_unique_path(tmp_path: Path) -> None:
    target = tmp_path / "loop.mid"
    assert unique_path(target) == target
    target.write_bytes(b"")
    assert unique_path(target) == tmp_path / "loop (2).mid"
    (tmp_path / "loop (2).mid").write_bytes(b"")
    assert unique_path(target) == tmp_path / "loop (3).mid"
    assert unique_path(tmp_path / "loop (2).mid") == tmp_path / "loop (3).mid"
    (tmp_path / "README").write_bytes(b"")
    assert unique_path(tmp_path / "README") == tmp_path / "README (2)"
    (tmp_path / "stems").mkdir()
    assert unique_path(tmp_path / "stems") == tmp_path / "stems (2)"
