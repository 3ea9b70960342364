"""run_tests: picking the runner for a repository and a selection, then running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.cargo_runner import CargoRunner
from editor_harness.errors import TestRunError
from editor_harness.pytest_runner import PytestRunner
from editor_harness.run_tests import run_tests, runner_for, runner_name

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # See test_pytest_runner: keeps this venv's own pytest plugins out of the example's runs.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_runner_chosen_by_repository(python_repo: Path, rust_repo: Path) -> None:
    assert runner_name(python_repo) == "pytest"
    assert runner_name(rust_repo) == "cargo"
    assert isinstance(runner_for(rust_repo), CargoRunner)
    assert isinstance(runner_for(python_repo, python="/usr/bin/python3"), PytestRunner)


def test_runner_chosen_by_selection_in_mixed_repository(rust_repo: Path) -> None:
    (rust_repo / "pyproject.toml").write_text("[project]\nname='x'\n")
    assert runner_name(rust_repo) == "pytest"
    assert runner_name(rust_repo, ["tests/transfers.rs::transfer_moves_money"]) == "cargo"
    assert runner_name(rust_repo, ["doc::src/lib.rs - cents (line 12)"]) == "cargo"
    assert runner_name(rust_repo, ["py/test_x.py::test_a"]) == "pytest"
    with pytest.raises(TestRunError, match="mixes Python and Rust"):
        runner_name(rust_repo, ["tests/a.rs::x", "tests/test_a.py::y"])
    with pytest.raises(TestRunError, match="unknown test runner"):
        runner_for(rust_repo, runner="nose")


async def test_run_tests_on_both_examples(python_repo: Path, rust_repo: Path) -> None:
    py = await run_tests(python_repo, "tests/test_discounts.py::test_bulk_discount_applies_at_threshold", timeout=120)
    assert py.runner == "pytest" and py.counts["failed"] == 1 and len(py.results) == 1
    rs = await run_tests(rust_repo, ["tests/transfers.rs::transfer_can_empty_an_account"], timeout=300)
    assert rs.runner == "cargo" and rs.counts["failed"] == 1 and len(rs.results) == 1
    with pytest.raises(TestRunError, match="timeout must be a positive number"):
        await run_tests(python_repo, [], timeout=0)
