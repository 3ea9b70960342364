"""From a selection to the cargo test binary that holds it (real cargo)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from editor_harness.tracing.cargo_targets import (
    _test_binary,
    build_tests,
    cargo_selection,
    list_tests,
    module_path,
    not_found,
)
from editor_harness.tracing.errors import TestNotFound, TraceSetupError
from editor_harness.tracing.process import child_env
from editor_harness.tracing.symbol_map import SymbolMap
from symbols.index import RepoIndex

pytestmark = pytest.mark.anyio


def test_selections_by_name_or_by_symbol_id(rust_repo: Path) -> None:
    symbols = SymbolMap(RepoIndex.build(rust_repo))
    root = symbols.index.root

    plain = cargo_selection(root, "transfer_moves_money", symbols)
    assert (plain.crate_dir, plain.target_args, plain.name) == (root, (), "transfer_moves_money")
    integration = cargo_selection(root, "tests/transfers.rs::transfer_moves_money", symbols)
    assert (integration.target_args, integration.name) == (("--test", "transfers"), "transfer_moves_money")
    unit = cargo_selection(root, "src/account.rs::tests::balance_sums_signed_entries", symbols)
    assert (unit.target_args, unit.name) == (("--lib",), "account::tests::balance_sums_signed_entries")
    with pytest.raises(TestNotFound, match="not a Rust source file"):
        cargo_selection(root, "src/nowhere.rs::tests::f", symbols)


def test_a_nested_crate_runs_in_its_own_directory(tmp_path: Path, rust_repo: Path) -> None:
    symbols = SymbolMap(RepoIndex.build(rust_repo))
    selection = cargo_selection(symbols.index.root, "tests/transfers.rs::t", symbols)
    assert selection.crate_dir == symbols.index.root
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("pub fn f() {}\n")
    bare = SymbolMap(RepoIndex.build(tmp_path))
    with pytest.raises(TraceSetupError, match="no Cargo.toml"):
        cargo_selection(bare.index.root, "some_test", bare)
    with pytest.raises(TraceSetupError, match="no Cargo.toml above"):
        cargo_selection(bare.index.root, "src/lib.rs::f", bare)


def test_module_paths_of_crate_files() -> None:
    assert module_path(PurePosixPath("src/lib.rs")) == []
    assert module_path(PurePosixPath("src/a.rs")) == ["a"]
    assert module_path(PurePosixPath("src/a/mod.rs")) == ["a"]
    assert module_path(PurePosixPath("src/a/b.rs")) == ["a", "b"]
    assert module_path(PurePosixPath("src/bin/tool.rs")) is None
    assert module_path(PurePosixPath("src/bin/tool/helpers.rs")) == ["helpers"]


async def test_build_and_list_the_test_binaries(rust_repo: Path) -> None:
    symbols = SymbolMap(RepoIndex.build(rust_repo))
    selection = cargo_selection(symbols.index.root, "transfer_moves_money", symbols)
    env = child_env({"CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"})
    build, binaries = await build_tests("cargo", selection, env, timeout=600)

    assert build.returncode == 0
    by_source = {b.source.relative_to(symbols.index.root).as_posix(): b for b in binaries}
    assert set(by_source) == {"src/lib.rs", "tests/transfers.rs"}
    transfers = by_source["tests/transfers.rs"]
    assert transfers.package == "ledger" and transfers.version == "0.1.0" and transfers.crate == "transfers"
    assert transfers.env()["CARGO_MANIFEST_DIR"] == str(symbols.index.root)
    listed = {b: await list_tests(b, env, timeout=60) for b in binaries}
    assert "transfer_can_empty_an_account" in listed[transfers]
    assert listed[by_source["src/lib.rs"]] == ["account::tests::balance_sums_signed_entries"]
    error = not_found("balance", "balance", listed)
    assert "account::tests::balance_sums_signed_entries" in str(error)


def test_artifact_messages_old_and_new() -> None:
    new = {"reason": "compiler-artifact", "package_id": "path+file:///r#my-crate@1.2.3",
           "manifest_path": "/r/Cargo.toml", "target": {"name": "my-crate", "src_path": "/r/src/lib.rs"},
           "profile": {"test": True}, "executable": "/r/target/debug/deps/my_crate-1"}
    binary = _test_binary(new)
    assert binary is not None and (binary.package, binary.version) == ("my-crate", "1.2.3")
    assert binary.env()["CARGO_CRATE_NAME"] == "my_crate"
    old = {**new, "package_id": "my-crate 1.2.3 (path+file:///r)"}
    old_binary = _test_binary(old)
    assert old_binary is not None and (old_binary.package, old_binary.version) == ("my-crate", "1.2.3")
    assert _test_binary({**new, "profile": {"test": False}}) is None  # the library itself, not its tests
    assert _test_binary({**new, "executable": None}) is None
    assert _test_binary({"reason": "build-finished", "success": True}) is None
