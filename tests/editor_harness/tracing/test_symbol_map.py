"""Mapping runtime locations and rustc names to symbol ids."""

from __future__ import annotations

from pathlib import Path

from editor_harness.tracing.symbol_map import SymbolMap, rust_name_tokens
from symbols.index import RepoIndex


def test_locations_inside_the_repository_only(rust_repo: Path) -> None:
    symbols = SymbolMap(RepoIndex.build(rust_repo))

    assert symbols.relative("./src/ledger.rs") == "src/ledger.rs"
    assert symbols.relative(str(rust_repo / "src" / "ledger.rs")) == "src/ledger.rs"
    assert symbols.relative("/rustc/abc/library/core/src/result.rs") is None
    assert symbols.relative("../outside.rs") is None
    assert symbols.relative("<string>") is None
    assert symbols.relative("Cargo.toml") is None  # not an indexed source file
    transfer = symbols.at("./src/ledger.rs", 66)
    assert transfer is not None and transfer.id == "src/ledger.rs::Ledger::transfer"
    assert symbols.at("/usr/lib/x.rs", 3) is None
    module = symbols.module("src/lib.rs")
    assert module is not None and module.id == "src/lib.rs::<module>"


def test_rustc_names_find_their_functions(rust_repo: Path) -> None:
    symbols = SymbolMap(RepoIndex.build(rust_repo))

    def found(name: str) -> str | None:
        symbol = symbols.rust_function(name)
        return symbol.id if symbol else None

    assert found("ledger::ledger::Ledger::transfer") == "src/ledger.rs::Ledger::transfer"
    assert found("ledger::ledger::Ledger::transfer::h0123456789abcdef") == "src/ledger.rs::Ledger::transfer"
    assert found("<ledger::ledger::LedgerError as core::fmt::Display>::fmt") == \
        "src/ledger.rs::<LedgerError as fmt::Display>::fmt"
    assert found("<ledger::ledger::Ledger as ledger::report::Render>::render") == \
        "src/report.rs::<Ledger as Render>::render"
    assert found("ledger::account::Account::balance::{{closure}}") == "src/account.rs::Account::balance"
    assert found("core::result::Result<T,E>::unwrap") is None
    assert [s.id for s in symbols.functions_named("balance", "Account", language="rust")] == \
        ["src/account.rs::Account::balance"]


def test_name_tokens_drop_noise() -> None:
    assert rust_name_tokens("a::W<Vec<u8>>::get::{{closure}}") == ["a", "W", "get"]
    assert rust_name_tokens("t::f::{closure#0}") == ["t", "f"]
    assert rust_name_tokens("<impl Trait for dyn X>::go") == ["Trait", "X", "go"]
