"""select_tests: tests found through the index for a symbol, on both examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.selection import (
    _rust_module_path,
    is_python_test_file,
    node_ids_of_tests,
    select_tests,
)
from symbols.index import RepoIndex


def _chosen(index: RepoIndex, symbol_id: str) -> list[tuple[str, str]]:
    return [(t.node_id, t.reason) for t in select_tests(index, symbol_id)]


def test_python_direct_references_come_first(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)
    assert _chosen(index, "shop/discounts.py::BulkDiscount.applies_to") == [
        ("tests/test_discounts.py::test_bulk_discount_applies_at_threshold", "direct"),
        ("tests/test_discounts.py::test_bulk_discount_not_below_threshold", "direct"),
    ]


def test_python_one_hop_through_a_caller(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)
    # Cart.discount is only reached through Cart.total, which the cart tests call.
    assert _chosen(index, "shop/cart.py::Cart.discount") == [
        ("tests/test_cart.py::test_coupon_discount", "one-hop"),
        ("tests/test_cart.py::test_bulk_break_above_threshold", "one-hop"),
    ]


def test_constructors_are_found_through_the_class_name(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)
    chosen = _chosen(index, "shop/discounts.py::PercentOff.__init__")
    assert ("tests/test_discounts.py::test_coupon_parsing", "one-hop") in chosen


def test_naming_convention_fallback(python_repo: Path) -> None:
    (python_repo / "shop" / "tax.py").write_text("def rate() -> int:\n    return 20\n")
    (python_repo / "tests" / "test_tax.py").write_text("def test_nothing_named():\n    assert 20 == 20\n")
    index = RepoIndex.build(python_repo)
    assert _chosen(index, "shop/tax.py::rate") == [("tests/test_tax.py::test_nothing_named", "naming")]


def test_class_based_python_tests_get_pytest_node_ids(python_repo: Path) -> None:
    (python_repo / "tests" / "test_grouped.py").write_text(
        "from shop.money import Money\n\nclass TestMoney:\n    def test_times(self):\n        assert Money(2).times(3) == Money(6)\n\n"
        "    def helper(self):\n        return Money(1).times(1)\n\nclass Helper:\n    def test_not_collected(self):\n        Money(1).times(2)\n"
    )
    index = RepoIndex.build(python_repo)
    assert _chosen(index, "shop/money.py::Money.times") == [
        ("tests/test_grouped.py::TestMoney::test_times", "direct"),
    ] + [c for c in _chosen(index, "shop/money.py::Money.times") if c[1] == "one-hop"]
    ids = node_ids_of_tests(index)
    assert "tests/test_grouped.py::Helper.test_not_collected" not in ids
    assert "tests/test_grouped.py::TestMoney.helper" not in ids


def test_rust_tests_get_cargo_node_ids(rust_repo: Path) -> None:
    index = RepoIndex.build(rust_repo)
    assert node_ids_of_tests(index) == {
        "src/account.rs::tests::balance_sums_signed_entries": "src/lib.rs::account::tests::balance_sums_signed_entries",
        "tests/transfers.rs::transfer_moves_money": "tests/transfers.rs::transfer_moves_money",
        "tests/transfers.rs::transfer_rejects_overdraft": "tests/transfers.rs::transfer_rejects_overdraft",
        "tests/transfers.rs::transfer_can_empty_an_account": "tests/transfers.rs::transfer_can_empty_an_account",
        "tests/transfers.rs::summary_and_render": "tests/transfers.rs::summary_and_render",
    }
    assert _chosen(index, "src/ledger.rs::Ledger::transfer") == [
        ("tests/transfers.rs::transfer_moves_money", "direct"),
        ("tests/transfers.rs::transfer_rejects_overdraft", "direct"),
        ("tests/transfers.rs::transfer_can_empty_an_account", "direct"),
    ]


def test_rust_unit_tests_inside_the_module_and_attribute_forms(rust_repo: Path) -> None:
    account = rust_repo / "src" / "account.rs"
    account.write_text(
        account.read_text().rstrip()[:-1]
        + "\n    #[test]\n    #[should_panic]\n    fn posting_zero() {\n        Account::new(AccountId(2), \"x\").post(EntryKind::Debit, 0, \"m\");\n        panic!();\n    }\n"
        + "\n    fn not_a_test() {\n        Account::new(AccountId(3), \"y\").post(EntryKind::Credit, 1, \"n\");\n    }\n}\n"
    )
    index = RepoIndex.build(rust_repo)
    chosen = [node for node, _ in _chosen(index, "src/account.rs::Account::post")]
    assert "src/lib.rs::account::tests::posting_zero" in chosen
    assert "src/lib.rs::account::tests::balance_sums_signed_entries" in chosen
    assert not any(node.endswith("not_a_test") for node in chosen)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/it.rs", ("tests/it.rs", "")),
        ("tests/it/main.rs", ("tests/it.rs", "")),
        ("src/lib.rs", ("src/lib.rs", "")),
        ("src/main.rs", ("src/main.rs", "")),
        ("src/bin/tool.rs", ("src/bin/tool.rs", "")),
        ("src/a.rs", ("", "a")),
        ("src/a/mod.rs", ("", "a")),
        ("src/a/b.rs", ("", "a::b")),
        ("examples/x.rs", None),
    ],
)
def test_rust_module_paths(path: str, expected: tuple[str, str] | None) -> None:
    assert _rust_module_path(path) == expected


def test_python_test_file_names() -> None:
    assert is_python_test_file("tests/test_a.py")
    assert is_python_test_file("pkg/a_test.py")
    assert is_python_test_file("tests/helpers.py")
    assert not is_python_test_file("tests/conftest.py")
    assert not is_python_test_file("shop/cart.py")
    assert not is_python_test_file("tests/data.rs")
