"""Tests of core.cache: content hashes, parameter keys, the on-disk result cache."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.cache import CacheKey, ResultCache, content_hash, params_key
from core.config import default_config
from core.errors import Cancelled, FileMissing, InvalidParameter, NotAFile
from core.jobs import CancelToken

NS = "analysis-v1"


def _file(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def _key(n: int, namespace: str = NS) -> CacheKey:
    return CacheKey(hashlib.blake2b(str(n).encode(), digest_size=20).hexdigest(),
                    params_key({"n": n}), namespace)


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.json"))


# -- hashing -----------------------------------------------------------------------------------


def test_same_content_same_hash(tmp_path: Path) -> None:
    data = os.urandom(300_000)
    a = _file(tmp_path, "a.wav", data)
    (tmp_path / "sub").mkdir()
    b = _file(tmp_path / "sub", "renamed.flac", data)
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) == hashlib.blake2b(data, digest_size=20).hexdigest()
    assert len(content_hash(a)) == 40


def test_one_byte_changed_changes_hash(tmp_path: Path) -> None:
    data = bytearray(os.urandom(100_000))
    a = _file(tmp_path, "a.wav", bytes(data))
    data[54_321] ^= 0x01
    b = _file(tmp_path, "b.wav", bytes(data))
    assert content_hash(a) != content_hash(b)


def test_hash_independent_of_chunk_size(tmp_path: Path) -> None:
    path = _file(tmp_path, "a.wav", os.urandom(10_001))
    expected = content_hash(path)
    for chunk in (1, 7, 4096, 10_001, 1 << 20):
        assert content_hash(path, chunk_bytes=chunk) == expected
    assert content_hash(_file(tmp_path, "empty.wav", b"")) == hashlib.blake2b(
        b"", digest_size=20).hexdigest()


def test_hash_errors(tmp_path: Path) -> None:
    with pytest.raises(FileMissing) as missing:
        content_hash(tmp_path / "missing.wav")
    assert "missing.wav" in str(missing.value)
    with pytest.raises(NotAFile):
        content_hash(tmp_path)
    with pytest.raises(InvalidParameter):
        content_hash(_file(tmp_path, "a.wav", b"x"), chunk_bytes=0)


def test_hash_cancel(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        content_hash(_file(tmp_path, "a.wav", b"x" * 100), chunk_bytes=10, cancel=token)


def test_params_key_order_insensitive() -> None:
    a = params_key({"tempo_min_bpm": 60.0, "tempo_max_bpm": 200.0,
                    "nested": {"x": [1, 2.5], "y": None, "z": True}})
    b = params_key({"nested": {"z": True, "y": None, "x": [1, 2.5]},
                    "tempo_max_bpm": 200.0, "tempo_min_bpm": 60.0})
    assert a == b
    assert params_key({"tempo": 120}) == params_key({"tempo": 120.0})
    assert params_key({"tempo": 120.5}) != params_key({"tempo": 120.25})
    assert params_key({"flag": True}) != params_key({"flag": 1})
    assert params_key({"hop": 0.1}) == params_key({"hop": 0.1})
    assert params_key({"a": [1, 2]}) != params_key({"a": [2, 1]})
    assert len(a) == 32


def test_params_key_rejects_non_json() -> None:
    with pytest.raises(InvalidParameter, match=r"nested\.path"):
        params_key({"nested": {"path": Path("x")}})
    with pytest.raises(InvalidParameter):
        params_key({1: "x"})  # type: ignore[dict-item]


# -- the cache ---------------------------------------------------------------------------------


def test_put_get_round_trip(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    audio = _file(tmp_path, "break.wav", b"RIFF....WAVE")
    key = cache.key(audio, {"tempo_min_bpm": 60.0}, NS)
    assert cache.get(key) is None
    data = {"tempo_bpm": 174.0, "beats": [0.0, 0.345], "name": "amen \u266b", "none": None}
    cache.put(key, data)
    assert cache.get(key) == data
    copy = _file(tmp_path, "copy.wav", b"RIFF....WAVE")
    assert cache.get(cache.key(copy, {"tempo_min_bpm": 60}, NS)) == data
    assert cache.get(cache.key(audio, {"tempo_min_bpm": 70.0}, NS)) is None
    assert cache.get(cache.key(audio, {"tempo_min_bpm": 60.0}, "analysis-v2")) is None
    assert cache.size_bytes() > 0
    assert [p.name for p in (tmp_path / "cache" / NS).iterdir()] == [key.filename]


def test_disabled_cache_returns_none(tmp_path: Path) -> None:
    for cache in (ResultCache(tmp_path / "c", enabled=False), ResultCache(None)):
        assert not cache.enabled
        key = _key(1)
        cache.put(key, {"x": 1})
        assert cache.get(key) is None
        assert cache.size_bytes() == 0
        cache.clear()
    assert not (tmp_path / "c").exists()


def test_corrupt_entry_is_a_miss_and_removed(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = _key(1)
    cache.put(key, {"x": 1})
    entry = tmp_path / NS / key.filename
    for garbage in (b"\x00\xff garbage {", b'{"format": 1, "data": [1]}', b"[1, 2]",
                    json.dumps({"format": 1, "namespace": NS, "content": "0" * 40,
                                "params": key.params, "data": {}}).encode()):
        entry.write_bytes(garbage)
        assert cache.get(key) is None
        assert not entry.exists()
    entry.mkdir()  # even a directory where the entry should be
    assert cache.get(key) is None


def test_damaged_cache_directory_never_raises(tmp_path: Path) -> None:
    blocker = _file(tmp_path, "not-a-dir", b"x")
    cache = ResultCache(blocker)
    key = _key(1)
    assert cache.get(key) is None
    cache.put(key, {"x": 1})  # cannot write; logged, not raised
    assert cache.get(key) is None
    assert cache.size_bytes() == 0


def test_put_rejects_unserialisable_data(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    with pytest.raises(InvalidParameter):
        cache.put(_key(1), {"path": Path("x")})
    with pytest.raises(InvalidParameter):
        ResultCache(None).put(_key(1), [1, 2])  # type: ignore[arg-type]
    assert _entries(tmp_path) == []


def test_eviction_keeps_size_under_limit_and_evicts_lru(tmp_path: Path) -> None:
    payload = {"blob": "x" * 900}
    probe = ResultCache(tmp_path / "probe")
    probe.put(_key(0), payload)
    entry_size = probe.size_bytes()

    cache = ResultCache(tmp_path / "c", max_bytes=3 * entry_size + entry_size // 2)
    keys = [_key(i) for i in range(1, 6)]
    for i, key in enumerate(keys[:3]):
        cache.put(key, payload)
        stamp = 1_000_000_000 + i * 10  # distinct, old modification times: 0 oldest
        os.utime(tmp_path / "c" / NS / key.filename, (stamp, stamp))
    assert cache.get(keys[0]) is not None  # touch: keys[0] is now the most recent
    cache.put(keys[3], payload)  # over the limit: keys[1] (least recently used) goes
    assert cache.size_bytes() <= cache.max_bytes
    assert cache.get(keys[1]) is None
    assert all(cache.get(k) is not None for k in (keys[0], keys[2], keys[3]))
    for i in range(10, 30):
        cache.put(_key(i), payload)
        assert cache.size_bytes() <= cache.max_bytes
    assert len(_entries(tmp_path / "c")) == 3


def test_entry_larger_than_limit_is_not_stored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, max_bytes=100)
    cache.put(_key(1), {"blob": "x" * 1000})
    assert cache.get(_key(1)) is None
    assert cache.size_bytes() == 0


def test_clear_removes_only_cache_files(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put(_key(1), {"x": 1})
    cache.put(_key(2, "separation-v1"), {"x": 2})
    keep = _file(tmp_path, "notes.txt", b"mine")
    cache.clear()
    assert cache.size_bytes() == 0
    assert cache.get(_key(1)) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert keep.read_bytes() == b"mine"


def test_concurrent_puts_do_not_corrupt_entries(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    shared = _key(0)

    def work(i: int) -> None:
        for j in range(20):
            cache.put(shared, {"writer": i, "j": j, "blob": [i] * 500})
            cache.put(_key(1000 * (i + 1) + j), {"writer": i, "j": j})
            got = cache.get(shared)
            assert got is not None and got["blob"] == [got["writer"]] * 500

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    final = cache.get(shared)
    assert final is not None and final["blob"] == [final["writer"]] * 500
    for i in range(8):
        for j in range(20):
            assert cache.get(_key(1000 * (i + 1) + j)) == {"writer": i, "j": j}
    assert not [p for p in (tmp_path / NS).iterdir() if p.name.endswith(".tmp")]


def test_cache_key_validation() -> None:
    with pytest.raises(InvalidParameter):
        CacheKey("xyz", "0" * 32, NS)
    with pytest.raises(InvalidParameter):
        CacheKey("0" * 40, "0" * 32, "../escape")
    with pytest.raises(InvalidParameter):
        ResultCache(None, max_bytes=0)


def test_from_config_and_default_directory(tmp_path: Path) -> None:
    assert ResultCache.default_directory().name == "results"
    assert "breakroom" in str(ResultCache.default_directory())
    config = default_config().with_overrides(
        {"cache.dir": str(tmp_path), "cache.max_mb": 2, "cache.enabled": False})
    cache = ResultCache.from_config(config)
    assert cache.directory == tmp_path / "results"
    assert cache.max_bytes == 2 << 20
    assert not cache.enabled
    assert ResultCache.from_config(default_config()).directory == ResultCache.default_directory()


def test_analysis_key_holds_the_drum_views_but_not_the_device() -> None:
    from core.analysis.pipeline import AnalysisOptions

    def key(**kwargs: object) -> str:
        return params_key(AnalysisOptions(**kwargs).cache_params())  # type: ignore[arg-type]

    assert key(device="cpu") == key(device="cuda") == key(device="auto")
    assert key(drum_views="auto") == key(drum_views="1") != key(drum_views="3")
    assert key(drums="classic") != key(drums="model")
    assert key(block_seconds=5.0) == key(block_seconds=20.0)
