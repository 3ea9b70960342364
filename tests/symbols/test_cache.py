"""The on-disk cache: exact round trips, atomic writes, damage means rebuild."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from symbols import cache
from symbols.scope import scope_source
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    "rel", ["python_shop/shop/discounts.py", "python_shop/shop/cart.py", "rust_ledger/src/ledger.rs"]
)
def test_pack_unpack_round_trip(rel: str):
    fs = scope_source(rel, (EXAMPLES / rel).read_bytes())
    assert cache.unpack(rel, cache.pack(fs)) == fs


def test_round_trip_keeps_syntax_error_marks():
    fs = scope_source("bad.py", b"def ok():\n    pass\ndef bad(:\n")
    back = cache.unpack("bad.py", cache.pack(fs))
    assert back.has_errors and back.error_lines == fs.error_lines


def test_unpack_rejects_damage_with_value_error():
    with pytest.raises(ValueError, match="damaged cache entry"):
        cache.unpack("a.py", b"\x00garbage")
    with pytest.raises(ValueError, match="damaged cache entry"):
        cache.unpack("a.py", marshal.dumps(("python", "h", False, (), ((1, 2),))))


def test_save_then_load(tmp_path: Path):
    entries: dict[str, cache.Entry] = {"a.py": (1, 2, 3, "hash", b"blob")}
    target = cache.save(tmp_path / "c", tmp_path, entries)
    assert target.is_file()
    assert cache.load(tmp_path / "c", tmp_path) == entries
    assert not [p for p in (tmp_path / "c").iterdir() if p.name.endswith(".tmp")]


def test_load_is_empty_for_missing_corrupt_or_foreign_cache(tmp_path: Path):
    assert cache.load(tmp_path / "nothing", tmp_path) == {}
    cache.save(tmp_path / "c", tmp_path / "one-root", {"a.py": (1, 2, 3, "h", b"")})
    assert cache.load(tmp_path / "c", tmp_path / "another-root") == {}
    (tmp_path / "c" / cache.CACHE_FILE).write_bytes(b"\x00not marshal at all")
    assert cache.load(tmp_path / "c", tmp_path / "one-root") == {}
    (tmp_path / "c" / cache.CACHE_FILE).write_bytes(marshal.dumps({"version": "old", "entries": {}}))
    assert cache.load(tmp_path / "c", tmp_path / "one-root") == {}
    truncated = marshal.dumps({"version": cache.cache_version(), "root": str(tmp_path), "entries": {}})
    (tmp_path / "c" / cache.CACHE_FILE).write_bytes(truncated[: len(truncated) // 2])
    assert cache.load(tmp_path / "c", tmp_path) == {}


def test_default_cache_dir_is_outside_the_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    directory = cache.default_cache_dir(tmp_path / "repo")
    assert directory.is_relative_to(tmp_path / "xdg" / "symbol-swarm" / "index")
    assert directory != cache.default_cache_dir(tmp_path / "other-repo")
    assert not directory.exists()  # computing the path creates nothing
