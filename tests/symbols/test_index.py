"""The repository index: public API, cache hits and invalidation, updates, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from symbols import cache
from symbols.errors import NotADirectory, OutsideRepository, SymbolsError, UnknownSymbol, UnsupportedLanguage
from symbols.index import RepoIndex
from symbols.model import SymbolKind
from symbols.scope import scope_source
from tests.conftest import git


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_build_indexes_every_source_file(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert "shop/discounts.py" in index.paths() and "tests/test_discounts.py" in index.paths()
    applies = index.symbol("shop/discounts.py::BulkDiscount.applies_to")
    assert applies.kind is SymbolKind.METHOD and applies.parent == "shop/discounts.py::BulkDiscount"
    assert index.file("shop/discounts.py").module.id == "shop/discounts.py::<module>"
    assert [s.id for s in index.definitions("applies_to")] == ["shop/discounts.py::BulkDiscount.applies_to"]
    assert sum(1 for _ in index.symbols()) == sum(len(index.file(p).symbols) for p in index.paths())


def test_rust_repo_ids(rust_repo: Path, cache_dir: Path):
    index = RepoIndex.build(rust_repo, cache_dir=cache_dir)
    transfer = index.symbol("src/ledger.rs::Ledger::transfer")
    assert transfer.parent == "src/ledger.rs::impl Ledger"
    assert index.symbol("src/report.rs::<Ledger as Render>::render").kind is SymbolKind.METHOD
    assert index.symbol_at("src/ledger.rs", transfer.start_line + 1).id == transfer.id


def test_symbol_at_picks_the_innermost(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    applies = index.symbol("shop/discounts.py::BulkDiscount.applies_to")
    assert index.symbol_at("shop/discounts.py", applies.end_line).id == applies.id
    assert index.symbol_at("shop/discounts.py", 1).id == "shop/discounts.py::<module>"


def test_warm_build_comes_from_cache_and_equals_cold(python_repo: Path, cache_dir: Path):
    cold = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert (cache_dir / cache.CACHE_FILE).is_file()
    stamp = (cache_dir / cache.CACHE_FILE).stat().st_mtime_ns
    warm = RepoIndex.build(python_repo, cache_dir=cache_dir)
    # Nothing changed: nothing rescoped, so the cache file was not rewritten.
    assert (cache_dir / cache.CACHE_FILE).stat().st_mtime_ns == stamp
    assert list(warm.symbols()) == list(cold.symbols())


def test_cache_invalidated_by_a_changed_file(python_repo: Path, cache_dir: Path):
    RepoIndex.build(python_repo, cache_dir=cache_dir)
    (python_repo / "shop/discounts.py").write_text("def renamed():\n    return 1\n")
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert [s.qualname for s in index.file("shop/discounts.py").symbols] == ["<module>", "renamed"]
    again = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert [s.qualname for s in again.file("shop/discounts.py").symbols] == ["<module>", "renamed"]


def test_corrupted_cache_means_rebuild(python_repo: Path, cache_dir: Path):
    RepoIndex.build(python_repo, cache_dir=cache_dir)
    (cache_dir / cache.CACHE_FILE).write_bytes(b"\x00" * 100)
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert "shop/cart.py::Cart" in {s.id for s in index.symbols()}


def test_damaged_entry_is_rescoped_on_access(python_repo: Path, cache_dir: Path):
    RepoIndex.build(python_repo, cache_dir=cache_dir)
    entries = cache.load(cache_dir, python_repo)
    entries["shop/cart.py"] = (*entries["shop/cart.py"][:4], b"\x00broken")
    cache.save(cache_dir, python_repo, entries)
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert index.file("shop/cart.py") == scope_source("shop/cart.py", (python_repo / "shop/cart.py").read_bytes())


def test_no_cache_writes_nothing(python_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    index = RepoIndex.build(python_repo, use_cache=False)
    assert index.paths() and not (tmp_path / "xdg").exists()
    assert index.save() is None


def test_default_cache_lives_outside_the_repo(python_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    RepoIndex.build(python_repo)
    assert (cache.default_cache_dir(python_repo) / cache.CACHE_FILE).is_file()
    assert git(python_repo, "status", "--porcelain") == ""


def test_update_from_disk_and_from_buffer(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    path = python_repo / "shop/discounts.py"
    path.write_text(path.read_text() + "\n\ndef added():\n    return 2\n")
    updated = index.update("shop/discounts.py")
    assert updated is not None and "shop/discounts.py::added" in updated.by_id()
    assert [s.id for s in index.definitions("added")] == ["shop/discounts.py::added"]
    buffer = path.read_bytes().replace(b"def added", b"def renamed")
    index.update(str(path), buffer)
    assert index.definitions("added") == [] and index.symbol("shop/discounts.py::renamed")
    assert index.file("shop/discounts.py") == scope_source("shop/discounts.py", buffer)


def test_update_of_a_new_file_and_of_a_deleted_file(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    (python_repo / "shop/extra.py").write_text("class Extra:\n    pass\n")
    index.update("shop/extra.py")
    assert "shop/extra.py" in index.paths()
    (python_repo / "shop/extra.py").unlink()
    assert index.update("shop/extra.py") is None
    assert "shop/extra.py" not in index.paths()
    with pytest.raises(UnknownSymbol):
        index.symbol("shop/extra.py::Extra")


def test_updates_survive_save_and_reload(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    (python_repo / "shop/cart.py").write_text("def only():\n    pass\n")
    index.update("shop/cart.py")
    assert index.save() is not None
    again = RepoIndex.build(python_repo, cache_dir=cache_dir)
    assert [s.qualname for s in again.file("shop/cart.py").symbols] == ["<module>", "only"]


def test_remove(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    index.definitions("Cart")
    index.remove("shop/cart.py")
    assert "shop/cart.py" not in index.paths() and index.definitions("Cart") == []


def test_paths_outside_the_repo_are_refused(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    with pytest.raises(OutsideRepository, match="outside the repository"):
        index.relative("../elsewhere.py")
    with pytest.raises(OutsideRepository):
        index.update("/etc/passwd")
    with pytest.raises(UnsupportedLanguage):
        index.update("README.md")


def test_unknown_symbols_and_files_say_what_is_missing(python_repo: Path, cache_dir: Path):
    index = RepoIndex.build(python_repo, cache_dir=cache_dir)
    with pytest.raises(UnknownSymbol, match="no symbol 'shop/cart.py::Nope' in shop/cart.py"):
        index.symbol("shop/cart.py::Nope")
    with pytest.raises(UnknownSymbol, match="not indexed"):
        index.symbol("nowhere.py::f")
    with pytest.raises(UnknownSymbol, match="not a symbol id"):
        index.symbol("no-separator")
    with pytest.raises(KeyError):  # UnknownSymbol is also a KeyError
        index.file("nowhere.py")


def test_bad_roots(tmp_path: Path):
    with pytest.raises(NotADirectory, match="not a directory"):
        RepoIndex.build(tmp_path / "missing")
    (tmp_path / "file.py").write_text("x = 1\n")
    with pytest.raises(SymbolsError):
        RepoIndex.build(tmp_path / "file.py")


def test_empty_git_repo_and_plain_directory(tmp_path: Path, cache_dir: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    assert RepoIndex.build(empty, cache_dir=cache_dir).paths() == []
    plain = tmp_path / "plain"
    (plain / "pkg").mkdir(parents=True)
    (plain / "pkg" / "m.py").write_text("def f():\n    pass\n")
    assert [s.id for s in RepoIndex.build(plain, use_cache=False).symbols()] == ["pkg/m.py::<module>", "pkg/m.py::f"]


def test_skipped_and_damaged_files_are_reported(tmp_path: Path):
    (tmp_path / "gen.py").write_text("# @generated\nX = 1\n")
    (tmp_path / "bad.py").write_text("def ok():\n    pass\ndef broken(:\n")
    index = RepoIndex.build(tmp_path, use_cache=False)
    assert index.skipped() == {"gen.py": "generated (its header says so)"}
    assert index.damaged() == ["bad.py"]
    assert index.symbol("bad.py::ok")
    with pytest.raises(UnknownSymbol, match="generated"):
        index.file("gen.py")


def test_constructor_from_file_symbols(tmp_path: Path):
    fs = scope_source("a.py", b"def f():\n    pass\n")
    index = RepoIndex(tmp_path, {"a.py": fs})
    assert index.paths() == ["a.py"] and index.symbol("a.py::f").name == "f"
