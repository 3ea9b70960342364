"""The trace tool end to end on the bundled examples: real pytest, real cargo,
real gdb, the real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_harness.trace import index_of, language_of, trace_test, tracer_for
from editor_harness.tracing.errors import BadTraceOptions, TestNotFound, TraceSetupError
from editor_harness.tracing.model import TraceResult
from symbols.index import RepoIndex
from tests.editor_harness.tracing.conftest import require_gdb

pytestmark = pytest.mark.anyio

FAILING_PY = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"
TRANSFER = "src/ledger.rs::Ledger::transfer"


async def test_python_failing_test_shows_the_buggy_method_with_its_arguments(python_repo: Path) -> None:
    result = await trace_test(python_repo, FAILING_PY, timeout=120)

    assert result.language == "python"
    assert result.outcome == "failed"
    applies_to = result.symbol(APPLIES_TO)
    assert applies_to is not None and applies_to.evidence == "call"
    assert applies_to.calls == 1
    (call,) = applies_to.first_calls
    assert call.args_repr == "self=BulkDiscount(min_quantity=10, pct=5), quantity=10"
    assert call.return_repr == "False"
    test = result.symbol(FAILING_PY)
    assert test is not None and test.is_test
    assert test.first_calls[0].raised_repr is not None and "AssertionError" in test.first_calls[0].raised_repr
    ids = [s.symbol_id for s in result.symbols]
    # First-call order: the test, then what it called, in that order.
    assert ids == [FAILING_PY, "shop/discounts.py::BulkDiscount.__init__", APPLIES_TO]
    assert not any(s.is_test for s in result.symbols[1:])
    assert result.panic is not None and result.panic.kind == "exception"
    assert (result.panic.path, result.panic.line, result.panic.symbol_id) == ("tests/test_discounts.py", 15, FAILING_PY)
    assert result.panic.message.startswith("AssertionError")
    assert [(t.test_id, t.outcome) for t in result.tests] == [(FAILING_PY, "failed")]


async def test_python_symbols_are_only_the_repositorys(python_repo: Path) -> None:
    result = await trace_test(python_repo, "tests/test_cart.py", timeout=120)

    index = RepoIndex.build(python_repo)
    assert result.symbols
    for symbol in result.symbols:
        index.symbol(symbol.symbol_id)  # every id is a real symbol of this repository
        assert not symbol.symbol_id.startswith(("/", ".."))
    assert {t.outcome for t in result.tests} == {"passed"}
    assert result.outcome == "passed"


async def test_rust_failing_test_shows_the_panic_and_transfer(rust_repo: Path) -> None:
    require_gdb()
    result = await trace_test(rust_repo, "transfer_can_empty_an_account", timeout=180)

    assert result.language == "rust" and result.outcome == "failed"
    panic = result.panic
    assert panic is not None and panic.kind == "panic"
    assert (panic.path, panic.line) == ("tests/transfers.rs", 27)
    assert panic.symbol_id == "tests/transfers.rs::transfer_can_empty_an_account"
    assert "InsufficientFunds" in panic.message
    assert any(f.function.endswith("transfer_can_empty_an_account") for f in panic.frames)
    transfer = result.symbol(TRANSFER)
    assert transfer is not None and transfer.evidence == "call" and transfer.calls == 1
    (call,) = transfer.first_calls
    assert "amount=2550" in call.args_repr
    assert call.return_repr is not None and "InsufficientFunds" in call.return_repr and "2550" in call.return_repr
    test = result.symbol("tests/transfers.rs::transfer_can_empty_an_account")
    assert test is not None and test.is_test
    assert result.tracer == "gdb breakpoints"


async def test_rust_without_debugger_uses_the_backtrace_and_the_panicking_line(rust_repo: Path) -> None:
    result = await trace_test(rust_repo, "transfer_can_empty_an_account", timeout=180, rust_debugger=False)

    assert result.outcome == "failed" and result.tracer == "backtrace"
    test = result.symbol("tests/transfers.rs::transfer_can_empty_an_account")
    assert test is not None and test.is_test and test.evidence == "backtrace" and test.calls == 1
    transfer = result.symbol(TRANSFER)
    # transfer returned an Err before the unwrap panicked: it is not on the
    # stack, but it is called on the panicking line.
    assert transfer is not None and transfer.evidence == "panic-line" and transfer.calls == 0
    assert "instrument" not in result.note and "gdb" in result.note


async def test_result_round_trips_through_json(python_repo: Path) -> None:
    result = await trace_test(python_repo, FAILING_PY, timeout=120)
    again = TraceResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result


async def test_a_selection_that_matches_nothing_is_a_clear_error(python_repo: Path, rust_repo: Path) -> None:
    with pytest.raises(TestNotFound, match="no test matches"):
        await trace_test(python_repo, "tests/test_discounts.py::test_that_does_not_exist", timeout=60)
    with pytest.raises(TestNotFound, match="no test matches"):
        await trace_test(python_repo, "no_such_keyword_anywhere", timeout=60)
    with pytest.raises(TestNotFound, match="transfer_can_empty_an_account"):
        await trace_test(rust_repo, "transfer_can", timeout=120)


async def test_bad_options_are_refused(python_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(BadTraceOptions, match="empty test selection"):
        await trace_test(python_repo, "  ", timeout=10)
    with pytest.raises(BadTraceOptions, match="timeouts must be positive"):
        await trace_test(python_repo, FAILING_PY, timeout=0)
    with pytest.raises(BadTraceOptions, match="repr_limit"):
        await trace_test(python_repo, FAILING_PY, timeout=10, repr_limit=3)
    with pytest.raises(TraceSetupError, match="not a directory"):
        await trace_test(tmp_path / "missing", FAILING_PY, timeout=10)


def test_language_follows_the_selection_then_the_project(python_repo: Path, rust_repo: Path, tmp_path: Path) -> None:
    assert language_of(python_repo, FAILING_PY) == "python"
    assert language_of(python_repo, "bulk") == "python"
    assert language_of(rust_repo, "transfer_moves_money") == "rust"
    assert language_of(rust_repo, "tests/transfers.rs::transfer_moves_money") == "rust"
    (tmp_path / "Cargo.toml").write_text("[package]\n")
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    with pytest.raises(TraceSetupError, match="both Cargo.toml and Python"):
        language_of(tmp_path, "some_test")
    assert language_of(tmp_path, "tests/x.rs::t") == "rust"
    with pytest.raises(TraceSetupError, match="no Cargo.toml and no Python"):
        language_of(_empty(tmp_path), "x")
    with pytest.raises(BadTraceOptions, match="no tracer"):
        tracer_for("go")  # type: ignore[arg-type]


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty


def test_index_of_accepts_an_index_a_workspace_or_a_path(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)

    class Workspace:
        def __init__(self, index: RepoIndex) -> None:
            self.index = index

    assert index_of(index) is index
    assert index_of(Workspace(index)) is index
    assert index_of(python_repo).root == index.root
