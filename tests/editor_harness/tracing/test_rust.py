"""RustTracer against real cargo builds and real gdb: panics deep in the
crate, unit tests by symbol id, hangs, crashes, build failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.trace import trace_test
from editor_harness.tracing.rust import breakpoint_sites
from symbols.index import RepoIndex
from tests.editor_harness.tracing.conftest import require_gdb

pytestmark = pytest.mark.anyio

TESTS = "tests/transfers.rs"


async def test_a_deep_panic_counts_every_recursive_call(rust_faults_repo: Path) -> None:
    require_gdb()
    result = await trace_test(rust_faults_repo, "panics_deep", timeout=180)

    assert result.outcome == "failed"
    depth = result.symbol(f"{TESTS}::depth")
    assert depth is not None and depth.evidence == "call" and depth.calls == 4
    assert [c.args_repr for c in depth.first_calls] == ["n=3", "n=2", "n=1"]
    assert all(c.return_repr is None for c in depth.first_calls)  # unwound by the panic
    assert result.panic is not None and result.panic.message == "bottom reached"
    assert result.panic.symbol_id == f"{TESTS}::depth"
    assert [f.symbol_id for f in result.panic.frames if f.symbol_id][:4] == [f"{TESTS}::depth"] * 4


async def test_backtrace_alone_counts_frames_on_the_stack(rust_faults_repo: Path) -> None:
    result = await trace_test(rust_faults_repo, "panics_deep", timeout=180, rust_debugger=False)

    depth = result.symbol(f"{TESTS}::depth")
    assert depth is not None and depth.evidence == "backtrace" and depth.calls == 4
    test = result.symbol(f"{TESTS}::panics_deep")
    assert test is not None and test.is_test and test.calls == 1  # its closure frame is not a call
    assert [s.symbol_id for s in result.symbols] == [f"{TESTS}::panics_deep", f"{TESTS}::depth"]


async def test_a_unit_test_selected_by_its_symbol_id(rust_repo: Path) -> None:
    require_gdb()
    result = await trace_test(rust_repo, "src/account.rs::tests::balance_sums_signed_entries", timeout=180)

    assert result.outcome == "passed" and result.panic is None
    assert [t.test_id for t in result.tests] == ["account::tests::balance_sums_signed_entries"]
    test = result.symbol("src/account.rs::tests::balance_sums_signed_entries")
    assert test is not None and test.is_test
    balance = result.symbol("src/account.rs::Account::balance")
    assert balance is not None and balance.calls >= 1
    assert balance.first_calls and balance.first_calls[0].return_repr is not None


async def test_a_passing_test_without_debugger_says_what_it_cannot_know(rust_repo: Path) -> None:
    result = await trace_test(rust_repo, f"{TESTS}::transfer_moves_money", timeout=180, rust_debugger=False)

    assert result.outcome == "passed"
    assert [s.symbol_id for s in result.symbols] == [f"{TESTS}::transfer_moves_money"]
    assert result.symbols[0].evidence == "test"
    assert "no backtrace" in result.note


async def test_a_hanging_rust_test_is_interrupted_where_it_spins(rust_faults_repo: Path) -> None:
    require_gdb()
    # Generous: gdb must load the binary and reach the loop before the timeout.
    result = await trace_test(rust_faults_repo, "hangs", timeout=20)

    assert result.outcome == "timeout"
    assert result.panic is not None and result.panic.kind == "timeout"
    assert result.panic.symbol_id == f"{TESTS}::spin"
    spin = result.symbol(f"{TESTS}::spin")
    assert spin is not None and spin.calls == 1  # one call, however long its loop
    assert [t.outcome for t in result.tests] == ["timeout"]


async def test_a_crashing_rust_test_shows_its_stack(rust_faults_repo: Path) -> None:
    require_gdb()
    result = await trace_test(rust_faults_repo, "segfaults", timeout=120)

    assert result.outcome == "crashed"
    assert result.panic is not None and result.panic.kind == "crash"
    assert "SIGSEGV" in result.panic.message
    assert result.panic.symbol_id == f"{TESTS}::segfaults"
    assert result.symbol("src/ledger.rs::Ledger::accounts") is not None


async def test_a_crash_without_debugger_is_still_reported(rust_faults_repo: Path) -> None:
    result = await trace_test(rust_faults_repo, "segfaults", timeout=120, rust_debugger=False)

    assert result.outcome == "crashed"
    assert result.panic is not None and result.panic.kind == "crash"
    assert [(t.test_id, t.outcome) for t in result.tests] == [("segfaults", "crashed")]


async def test_a_crate_that_does_not_build_reports_the_first_error(rust_repo: Path) -> None:
    source = rust_repo / "src" / "report.rs"
    source.write_text(source.read_text().replace("pub fn format_cents(", "pub fn format_cents(oops: Nope, ", 1))
    result = await trace_test(rust_repo, "transfer_moves_money", timeout=60)

    assert result.outcome == "error" and result.symbols == ()
    assert result.panic is not None and result.panic.kind == "build"
    assert result.panic.path == "src/report.rs"
    assert "could not be built" in result.note


def test_breakpoints_go_on_the_fn_line_of_every_function_with_a_body(rust_repo: Path) -> None:
    index = RepoIndex.build(rust_repo)
    sites = {symbol_id: (name, line, last) for symbol_id, name, _, line, last in breakpoint_sites(index, index.root)}

    # Doc comments above `transfer` are part of its span; the breakpoint is on `fn`.
    assert sites["src/ledger.rs::Ledger::transfer"] == ("transfer", 61, 74)
    assert "src/report.rs::Render::render" not in sites  # a declaration: no body
    assert "src/report.rs::Render::title" in sites  # a default method: a body
    assert all(path_line > 0 for _, path_line, _ in sites.values())
