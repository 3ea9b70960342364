"""Gathering a run's evidence per symbol, strongest evidence first."""

from __future__ import annotations

from pathlib import Path

from editor_harness.tracing.call_table import CallTable
from editor_harness.tracing.journal import CodeRecord, Journal, Sample, TestRecord
from editor_harness.tracing.symbol_map import SymbolMap
from symbols.index import RepoIndex


def test_evidence_upgrades_and_counts_add_up(rust_repo: Path) -> None:
    index = RepoIndex.build(rust_repo)
    transfer = index.symbol("src/ledger.rs::Ledger::transfer")
    test = index.symbol("tests/transfers.rs::transfer_can_empty_an_account")
    table = CallTable(max_samples=2)

    table.add(test, "test", is_test=True)
    table.add(transfer, "panic-line", calls=0)
    table.add(test, "backtrace", calls=0)  # its closure frame
    table.add(test, "backtrace")
    table.add(transfer, "backtrace")
    table.add(transfer, "backtrace")
    table.add(transfer, "panic-line", calls=0)  # weaker: ignored

    traced = {s.symbol_id: s for s in table.traced(10)}
    assert (traced[test.id].evidence, traced[test.id].calls, traced[test.id].is_test) == ("backtrace", 1, True)
    assert (traced[transfer.id].evidence, traced[transfer.id].calls) == ("backtrace", 2)
    assert [s.symbol_id for s in table.traced(1)] == [test.id]


def test_a_journal_maps_codes_by_place_or_by_symbol_id(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)
    root = index.root
    journal = Journal(
        tracer="sys.settrace",
        codes=(
            CodeRecord(0, str(root / "tests/test_discounts.py"), 13, "test_x", None, False),
            CodeRecord(1, str(root / "shop/discounts.py"), 35, "applies_to", None, False),
            CodeRecord(2, str(root / "shop/money.py"), 1, "<module>", None, True),
            CodeRecord(3, "/usr/lib/python3/json/__init__.py", 1, "dumps", None, False),
            CodeRecord(4, "", 0, "f", None, False, symbol_id="shop/discounts.py::parse_coupon"),
        ),
        counts=None,
        samples=(Sample(1, "quantity=10", returned="False"), Sample(1, "quantity=9", returned="True"),
                 Sample(1, "quantity=8", returned="True"), Sample(4, "code='X'", raised="ValueError()")),
        tests=(TestRecord("tests/test_discounts.py::test_x", str(root / "tests/test_discounts.py"), 13, "test_x"),),
    )
    table = CallTable(max_samples=2)
    table.add_journal(SymbolMap(index), journal)

    traced = table.traced(10)
    assert [s.symbol_id for s in traced] == [
        "tests/test_discounts.py::test_bulk_discount_applies_at_threshold",
        "shop/discounts.py::BulkDiscount.applies_to",
        "shop/money.py::<module>",
        "shop/discounts.py::parse_coupon",
    ]
    assert traced[0].is_test and not traced[1].is_test
    # No counts were reported (a crash): the sampled calls are a lower bound.
    assert traced[1].calls == 3 and len(traced[1].first_calls) == 2 and table.lower_bounds
    assert traced[3].first_calls[0].raised_repr == "ValueError()"
