"""DiagnosticsService end to end: real pyright, rust-analyzer, cargo, git repos."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import trio

from editor_harness.diagnostics import (
    DiagnosticsService,
    DiskOutOfSync,
    NoDiagnosticsFor,
)
from editor_harness.diagnostics_types import DiagnosticsDelta
from editor_harness.errors import HarnessError
from lsp.servers import PYRIGHT, RUST_ANALYZER, pyright_for
from tests.conftest import git
from tests.lsp.conftest import FAULT_SPEC

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CART = "shop/cart.py"
DISCOUNTS = "shop/discounts.py"
LEDGER = "src/ledger.rs"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def rewrite(repo: Path, rel: str, old: str, new: str) -> tuple[str, str]:
    before = (repo / rel).read_text()
    assert old in before, f"{old!r} not in {rel}"
    after = before.replace(old, new)
    (repo / rel).write_text(after)
    return before, after


async def change(service: DiagnosticsService, repo: Path, rel: str, old: str, new: str) -> DiagnosticsDelta:
    before, after = rewrite(repo, rel, old, new)
    return await service.apply_change(rel, after, old_text=before)


def kill_server(pid: int | None) -> None:
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)


# -- Python -------------------------------------------------------------------------


async def test_python_introduced_then_fixed(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        assert service.status() == {"python": "server"}
        broken = await change(service, python_repo, CART, "return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
        assert broken.source == "server" and not broken.clean
        (error,) = broken.introduced
        text = (python_repo / CART).read_text()
        assert (error.path, error.line, error.severity, error.code) == (CART, line_of(text, "self.discount() + 1"), "error", "reportOperatorIssue")
        assert broken.fixed == () and broken.known_codes == {}  # the file had no errors before
        repaired = await change(service, python_repo, CART, "self.discount() + 1", "self.discount()")
        assert repaired.introduced == () and [d.code for d in repaired.fixed] == ["reportOperatorIssue"]
        assert repaired.clean


async def test_python_pre_existing_errors_are_ignored(python_repo: Path) -> None:
    # Commit a repo that already has errors, then make a clean rewrite that
    # shifts them down: none of them is "introduced".
    rewrite(python_repo, DISCOUNTS, "from shop.money import ZERO, Money", "from shop.money import ZERO, Money\nfrom shop.nowhere import Missing\n\nLEGACY: int = 'not an int'")
    git(python_repo, "commit", "-qam", "old noise")
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        noise = await service.current(DISCOUNTS)
        assert {d.code for d in noise} >= {"reportMissingImports", "reportAssignmentType"}
        delta = await change(
            service,
            python_repo,
            DISCOUNTS,
            "    def applies_to(self, quantity: int) -> bool:\n        return quantity > self.min_quantity",
            "    def applies_to(self, quantity: int) -> bool:\n        # at the threshold counts\n        limit = self.min_quantity\n        return quantity >= limit",
        )
        assert delta.introduced == () and delta.fixed == ()
        # Without old_text the service still knows the text it saw last.
        text = (python_repo / DISCOUNTS).read_text()
        worse = text.replace("return quantity >= limit", "return quantity >= limit + 'x'")
        (python_repo / DISCOUNTS).write_text(worse)
        delta = await service.apply_change(DISCOUNTS, worse)
        assert [d.code for d in delta.introduced] == ["reportOperatorIssue"]
        # What the file already held: the kinds a new error may be one more of.
        assert set(delta.known_codes) == {DISCOUNTS}
        assert {"reportMissingImports", "reportAssignmentType"} <= set(delta.known_codes[DISCOUNTS])
        assert "reportOperatorIssue" not in delta.known_codes[DISCOUNTS]
        assert DiagnosticsDelta.from_json(delta.to_json()) == delta


async def test_python_signature_change_breaks_a_caller_in_another_file(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        delta = await change(
            service,
            python_repo,
            DISCOUNTS,
            "def parse_coupon(code: str) -> PercentOff:",
            "def parse_coupon(code: str, strict: bool) -> PercentOff:",
        )
        callers = [d for d in delta.introduced if d.path == CART]
        assert callers and all("strict" in d.message for d in callers)
        cart = (python_repo / CART).read_text()
        assert callers[0].line == line_of(cart, "parse_coupon(code)")
        undone = await change(service, python_repo, DISCOUNTS, ", strict: bool) -> PercentOff:", ") -> PercentOff:")
        assert {d.path for d in undone.fixed} >= {CART} and undone.introduced == ()


async def test_python_baseline_from_git_head(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        # Never opened, no old_text: the committed version is the "before".
        _, after = rewrite(python_repo, "shop/money.py", "return Money(self.cents * quantity)", "return Money(self.cents * quantity, 1)")
        delta = await service.apply_change("shop/money.py", after)
        assert [d.code for d in delta.introduced] == ["reportCallIssue"]
        assert "no earlier text" not in delta.note


async def test_python_new_untracked_file_without_baseline_reports_everything(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        fresh = python_repo / "shop" / "fresh.py"
        fresh.write_text("x: int = 'a'\n")
        delta = await service.apply_change("shop/fresh.py", fresh.read_text())
        assert [d.code for d in delta.introduced] == ["reportAssignmentType"]
        assert "no earlier text" in delta.note


async def test_bad_calls_are_refused_clearly(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        with pytest.raises(DiskOutOfSync, match="write the file first"):
            await service.apply_change(CART, "print('not on disk')\n")
        with pytest.raises(NoDiagnosticsFor, match="no diagnostics for this file type"):
            await service.apply_change("pyproject.toml", (python_repo / "pyproject.toml").read_text())
        with pytest.raises(NoDiagnosticsFor, match="outside the workspace"):
            await service.current("../elsewhere.py")
        with pytest.raises(NoDiagnosticsFor):
            await service.current("src/lib.rs")  # rust was not asked for
        with pytest.raises(HarnessError):  # errors from inside the block are not wrapped in groups
            await service.apply_change(CART, "")


async def test_min_severity_and_project_diagnostics(python_repo: Path) -> None:
    rewrite(python_repo, CART, '"""The shopping cart."""', '"""The shopping cart."""\nimport os  # unused')
    strict = {"python": PYRIGHT.with_settings({"python": {"analysis": {"diagnosticMode": "openFilesOnly", "typeCheckingMode": "strict"}}})}
    async with DiagnosticsService.open(python_repo, ["python"], specs=strict, min_severity="error") as service:
        found = await service.project_diagnostics([CART, "shop/money.py"])
        assert set(found) == {CART, "shop/money.py"}
        assert all(d.severity == "error" for items in found.values() for d in items)


async def test_python_server_crash_mid_session_is_survived(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        first = await change(service, python_repo, CART, "return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
        assert len(first.introduced) == 1
        client = await service.servers.client("python")
        kill_server(client.pid)
        # The crash is noticed, the server restarted, documents re-opened: the
        # next delta is still exactly right.
        second = await change(service, python_repo, "shop/money.py", "return Money(self.cents * quantity)", "return Money(self.cents * quantity, 1)")
        assert [d.code for d in second.introduced] == ["reportCallIssue"]
        assert second.source == "server"
        assert client.restarts == 1
        third = await change(service, python_repo, CART, "self.discount() + 1", "self.discount()")
        assert third.introduced == () and [d.code for d in third.fixed] == ["reportOperatorIssue"]


async def test_python_falls_back_to_the_cli_when_the_server_cannot_start(python_repo: Path) -> None:
    missing = {"python": replace(PYRIGHT, command=("no-such-pyright-langserver",), search_dirs=())}
    async with DiagnosticsService.open(python_repo, ["python"], specs=missing) as service:
        assert service.status()["python"].startswith("cli-fallback")
        delta = await change(service, python_repo, CART, "return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
        assert delta.source == "cli-fallback"
        assert "no-such-pyright-langserver" in delta.note
        assert [d.code for d in delta.introduced] == ["reportOperatorIssue"]


async def test_concurrent_changes_are_serialised(python_repo: Path) -> None:
    results: dict[str, DiagnosticsDelta] = {}
    async with DiagnosticsService.open(python_repo, ["python"]) as service:

        async def one(rel: str, old: str, new: str) -> None:
            results[rel] = await change(service, python_repo, rel, old, new)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(one, CART, "return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
            nursery.start_soon(one, "shop/money.py", "return Money(self.cents * quantity)", "return Money(self.cents * quantity, 1)")
    assert [d.path for d in results[CART].introduced] == [CART]
    assert [d.path for d in results["shop/money.py"].introduced] == ["shop/money.py"]


# -- Rust ---------------------------------------------------------------------------


async def test_rust_introduced_fixed_and_cross_file(rust_repo: Path) -> None:
    async with DiagnosticsService.open(rust_repo, ["rust"]) as service:
        assert service.status() == {"rust": "server"}
        broken = await change(service, rust_repo, LEDGER, "if balance <= amount {", 'if balance <= "x" {')
        text = (rust_repo / LEDGER).read_text()
        # Only rustc sees this one (rust-analyzer does not type-check comparisons).
        (error,) = broken.introduced_errors
        assert (error.path, error.line, error.code, error.source) == (LEDGER, line_of(text, 'balance <= "x"'), "E0308", "rustc")
        repaired = await change(service, rust_repo, LEDGER, 'if balance <= "x" {', "if balance < amount {")
        assert repaired.introduced == () and {d.code for d in repaired.fixed} == {"E0308"}
        # A signature change breaks the integration tests in another file.
        signature = await change(
            service,
            rust_repo,
            LEDGER,
            "pub fn transfer(&mut self, from: AccountId, to: AccountId, amount: i64)",
            "pub fn transfer(&mut self, from: AccountId, to: AccountId, amount: i64, memo: &str)",
        )
        assert any(d.path == "tests/transfers.rs" and d.severity == "error" for d in signature.introduced)
        assert all(d.path != LEDGER for d in signature.introduced_errors)


async def test_rust_pre_existing_warning_is_ignored_and_crash_survived(rust_repo: Path) -> None:
    rewrite(rust_repo, "src/report.rs", "use crate::ledger::Ledger;", "use crate::ledger::Ledger;\nuse std::collections::HashMap;")
    git(rust_repo, "commit", "-qam", "unused import")
    async with DiagnosticsService.open(rust_repo, ["rust"]) as service:
        noise = await service.current("src/report.rs")
        assert any(d.code == "unused_imports" for d in noise)
        clean = await change(service, rust_repo, "src/report.rs", "use std::collections::HashMap;", "use std::collections::HashMap;\n// moved down a line")
        assert clean.introduced == () and clean.fixed == ()
        client = await service.servers.client("rust")
        kill_server(client.pid)
        broken = await change(service, rust_repo, LEDGER, "let balance = self.balance(from)?;", 'let balance: i64 = "x";')
        # Both halves see this one: rust-analyzer natively, rustc through cargo check.
        assert {d.code for d in broken.introduced_errors} == {"E0308"}
        assert {d.source for d in broken.introduced_errors} == {"rustc", "rust-analyzer"}
        assert client.restarts == 1 and broken.source == "server"


async def test_rust_falls_back_to_cargo_check(rust_repo: Path) -> None:
    missing = {"rust": replace(RUST_ANALYZER, command=("no-such-rust-analyzer",), search_dirs=())}
    async with DiagnosticsService.open(rust_repo, ["rust"], specs=missing) as service:
        delta = await change(service, rust_repo, LEDGER, "if balance <= amount {", 'if balance <= "x" {')
        assert delta.source == "cli-fallback" and "no-such-rust-analyzer" in delta.note
        assert [d.code for d in delta.introduced_errors] == ["E0308"]


async def test_pyright_resolves_imports_with_the_interpreter_it_is_given(tmp_path: Path) -> None:
    # trio is installed in our venv, not in a bare interpreter's site-packages.
    bare = shutil.which("python3", path="/usr/bin:/bin")
    assert bare is not None
    module = tmp_path / "uses_trio.py"
    module.write_text("import trio\n\nprint(trio)\n")
    for python, expect_missing in ((sys.executable, False), (bare, True)):
        async with DiagnosticsService.open(tmp_path, ["python"], specs={"python": pyright_for(python)}) as service:
            codes = {d.code for d in await service.current("uses_trio.py")}
        assert ("reportMissingImports" in codes) is expect_missing, (python, codes)


async def test_python_server_crashing_for_good_hands_over_to_the_cli(python_repo: Path) -> None:
    async with DiagnosticsService.open(python_repo, ["python"]) as service:
        assert service.languages == ("python",)
        client = await service.servers.client("python")
        money = "shop/money.py"
        text = (python_repo / money).read_text()
        for attempt in range(client.max_restarts + 1):
            kill_server(client.pid)
            # Each change is written, reverted, and reported after a fresh crash.
            delta = await change(service, python_repo, money, "return Money(self.cents * quantity)", "return Money(self.cents * quantity, 1)")
            assert [d.code for d in delta.introduced] == ["reportCallIssue"], (attempt, delta)
            (python_repo / money).write_text(text)
            await service.apply_change(money, text, old_text=(python_repo / money).read_text())
            if delta.source == "cli-fallback":
                break
        assert delta.source == "cli-fallback" and "keeps crashing" in delta.note
        assert service.status()["python"].startswith("cli-fallback")


async def test_a_server_without_pull_diagnostics_means_the_cli(python_repo: Path) -> None:
    no_pull = replace(FAULT_SPEC, language_ids=("python",), file_extensions=(".py",), diagnostics="push")
    async with DiagnosticsService.open(python_repo, ["python"], specs={"python": no_pull}) as service:
        assert "pull diagnostics" in service.status()["python"]
        delta = await change(service, python_repo, CART, "return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
    assert delta.source == "cli-fallback" and [d.code for d in delta.introduced] == ["reportOperatorIssue"]
