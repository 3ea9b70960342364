"""`swarm check/def/refs/impls/hover/test/select-tests`, run in-process on real repos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.cli.harness import CHECK_FAILED, parse_position
from swarm.cli.main import main
from tests.conftest import git

FIX = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example runs on this venv's interpreter; keep our own dev plugins out of its pytest.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_check_runs_in_a_scratch_copy_and_prints_the_report(python_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "fix.py"
    source.write_text(FIX)
    code = main(["check", "--repo", str(python_repo), "--symbol", "shop/discounts.py::BulkDiscount.applies_to", "--source", str(source)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "check shop/discounts.py::BulkDiscount.applies_to (v1 -> v2): OK" in out
    assert "diagnostics  passed" in out and "tests        passed" in out
    assert "+        return quantity >= self.min_quantity" in out
    # The user's tree is untouched.
    assert git(python_repo, "status", "--porcelain") == ""


def test_check_json_and_failure_exit_code(python_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(FIX.replace("self.min_quantity", "self.min_quantityy")))
    code = main([
        "check", "--repo", str(python_repo), "--symbol", "shop/discounts.py::BulkDiscount.applies_to",
        "--source", "-", "--json", "--tests", "tests/test_discounts.py::test_bulk_discount_not_below_threshold",
    ])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == CHECK_FAILED
    assert data["ok"] is False
    assert [s["status"] for s in data["stages"]] == ["passed", "failed", "failed"]
    assert data["selected_tests"] == ["tests/test_discounts.py::test_bulk_discount_not_below_threshold"]
    assert data["patch"].startswith("diff --git a/shop/discounts.py")
    assert git(python_repo, "status", "--porcelain") == ""


def test_check_refuses_bad_input_with_one_line(python_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "fix.py"
    source.write_text(FIX)
    code = main(["check", "--repo", str(python_repo), "--symbol", "shop/discounts.py::Nope", "--source", str(source)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("swarm: error: no symbol") and err.count("\n") == 1
    source.write_text("def applies_to(self:\n")
    code = main(["check", "--repo", str(python_repo), "--symbol", "shop/discounts.py::BulkDiscount.applies_to", "--source", str(source), "--no-servers"])
    out = capsys.readouterr().out
    assert code == CHECK_FAILED and "syntax       failed" in out and "SyntaxInvalid" in out


def test_navigation_commands(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["def", "--repo", str(python_repo), "shop/cart.py:44:24", "--no-servers"]) == 0
    assert capsys.readouterr().out.strip() == "shop/discounts.py:44:5  [shop/discounts.py::parse_coupon]  (jedi)"
    assert main(["refs", "--repo", str(python_repo), "shop/discounts.py::BulkDiscount.applies_to", "--json"]) == 0
    refs = json.loads(capsys.readouterr().out)
    assert [r["symbol_id"] for r in refs][-1] == "tests/test_discounts.py::test_bulk_discount_not_below_threshold"
    assert refs[0]["column"] == 8 and refs[0]["source"] == "jedi"
    assert main(["impls", "--repo", str(python_repo), "shop/discounts.py::Discount"]) == 0
    out = capsys.readouterr().out
    assert "[shop/discounts.py::PercentOff]" in out and "[shop/discounts.py::BulkDiscount]" in out
    assert main(["hover", "--repo", str(python_repo), "shop/discounts.py::parse_coupon"]) == 0
    assert "parse_coupon(code: str) -> PercentOff" in capsys.readouterr().out
    assert main(["def", "--repo", str(python_repo), "shop/cart.py:notaline"]) == 1
    assert "expected PATH:LINE:COL" in capsys.readouterr().err


def test_rust_navigation_starts_rust_analyzer_when_the_index_is_all_there_is(rust_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["impls", "--repo", str(rust_repo), "src/report.rs::Render"]) == 0
    out = capsys.readouterr().out
    assert "[src/report.rs::impl Render for Ledger]  (rust-analyzer)" in out


def test_test_command(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", "--repo", str(python_repo), "tests/test_discounts.py", "--timeout", "120"])
    out = capsys.readouterr().out
    assert code == CHECK_FAILED
    assert "FAILED   tests/test_discounts.py::test_bulk_discount_applies_at_threshold" in out
    assert "pytest: 2 passed, 1 failed" in out and "assert False" in out
    assert main(["test", "--repo", str(python_repo), "tests/test_money.py", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["passed"] == 2


def test_select_tests_command(rust_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select-tests", "--repo", str(rust_repo), "src/ledger.rs::Ledger::transfer"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "tests/transfers.rs::transfer_moves_money  (direct)"
    assert main(["select-tests", "--repo", str(rust_repo), "src/ledger.rs::Ledger::transfer", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["reason"] == "direct"


def test_parse_position() -> None:
    assert parse_position("a/b.py:3:7") == ("a/b.py", 3, 6)
    assert parse_position("a/b.py::A.f") is None
    assert parse_position("C:/x.py:1:1") == ("C:/x.py", 1, 0)
