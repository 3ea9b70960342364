"""`swarm trace` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_harness.tracing.model import CallSample, PanicInfo, TracedSymbol, TraceResult
from swarm.cli.main import main
from swarm.cli.trace import render

FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"


def test_text_output_lists_symbols_and_the_failure(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--repo", str(python_repo), FAILING]) == 0
    out = capsys.readouterr().out

    assert out.startswith(f"{FAILING}: failed in ")
    assert "exception at tests/test_discounts.py:15" in out
    assert "shop/discounts.py::BulkDiscount.applies_to  x1" in out
    assert "(self=BulkDiscount(min_quantity=10, pct=5), quantity=10) -> False" in out
    assert f"{FAILING}  x1  [test]" in out


def test_json_output_is_a_trace_result(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--repo", str(python_repo), FAILING, "--json", "--calls", "1"]) == 0
    result = TraceResult.from_json(json.loads(capsys.readouterr().out))

    assert result.outcome == "failed"
    assert result.symbol("shop/discounts.py::BulkDiscount.applies_to") is not None


def test_unknown_tests_are_one_line_errors(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--repo", str(python_repo), "tests/test_cart.py::nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("swarm: error: no test matches") and err.count("\n") == 1


def test_render_marks_evidence_and_endings() -> None:
    result = TraceResult(
        selection="t",
        language="rust",
        outcome="failed",
        symbols=(
            TracedSymbol("tests/t.rs::t", 1, (), is_test=True, evidence="backtrace"),
            TracedSymbol("src/a.rs::f", 0, (), evidence="panic-line"),
            TracedSymbol("src/a.rs::g", 2, (CallSample("x=1", raised_repr="<unwound>"), CallSample("x=2"),
                                            CallSample("x=3", yielded_repr="7"))),
        ),
        panic=PanicInfo("panic", "boom\nsecond line", "tests/t.rs", 3, 1, "tests/t.rs::t"),
        elapsed_s=0.5,
        truncated=True,
        note="a note",
        tracer="backtrace",
    )
    text = render(result)

    assert "t: failed in 0.50 s (backtrace)" in text
    assert "panic at tests/t.rs:3 in tests/t.rs::t: boom\n    second line" in text
    assert "tests/t.rs::t  x1  [test, backtrace]" in text
    assert "src/a.rs::f  calls not counted  [panic-line]" in text
    assert "(x=1) raised <unwound>" in text and "(x=2) (did not return)" in text
    assert "(x=3) yielded 7 (did not finish)" in text
    assert "raise --max-symbols" in text and text.endswith("note: a note")


def test_rust_without_debugger_from_the_command_line(rust_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "--repo", str(rust_repo), "tests/transfers.rs::transfer_can_empty_an_account",
                 "--no-debugger", "--language", "rust"]) == 0
    out = capsys.readouterr().out

    assert "(backtrace)" in out.splitlines()[0]
    assert "panic at tests/transfers.rs:27" in out
    assert "src/ledger.rs::Ledger::transfer  calls not counted  [panic-line]" in out
