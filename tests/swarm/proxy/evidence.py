"""Evidence for proxy tests: approval requests around real or hand-built
check reports, and test runs written out the way the harness writes them."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from editor_harness.pipeline import CheckReport
from editor_harness.testrun import Outcome, TestResult, TestRun
from swarm.protocols import ApprovalRequest

APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"
FIX = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"
FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
BELOW = "tests/test_discounts.py::test_bulk_discount_not_below_threshold"
ISSUE = "BulkDiscount does not apply at exactly min_quantity items; it should."
ASSERT_MESSAGE = (
    "def test_bulk_discount_applies_at_threshold() -> None:\n"
    "        bulk = BulkDiscount(min_quantity=10, pct=5)\n"
    ">       assert bulk.applies_to(10)\n"
    "E       assert False\n"
    "E        +  where False = applies_to(10)\n"
)
DIFF = (
    "diff --git a/shop/discounts.py b/shop/discounts.py\n"
    "--- a/shop/discounts.py\n+++ b/shop/discounts.py\n"
    "@@ -36,2 +36,2 @@ class BulkDiscount:\n"
    "     def applies_to(self, quantity: int) -> bool:\n"
    "-        return quantity > self.min_quantity\n"
    "+        return quantity >= self.min_quantity\n"
)


def diff_of(report: CheckReport) -> str:
    """The unified diff of the report's edit ("" when nothing was applied)."""
    if report.edit is None:
        return ""
    lines = difflib.unified_diff(
        report.edit.before.splitlines(keepends=True),
        report.edit.after.splitlines(keepends=True),
        f"a/{report.path}",
        f"b/{report.path}",
    )
    return "".join(lines)


def request(report: CheckReport, **changes: Any) -> ApprovalRequest:
    base = ApprovalRequest(
        run_id="20261112-153012-a1b2c3",
        proposal_id="p1",
        issue=ISSUE,
        symbol_id=report.symbol_id,
        diff=diff_of(report) if report.edit is not None else DIFF,
        rationale="`>` must be `>=`: the discount applies at min_quantity.",
        report=report,
        new_source=FIX,
    )
    return replace(base, **changes)


def run(*results: tuple[str, Outcome] | tuple[str, Outcome, str], timed_out: bool = False, note: str = "") -> TestRun:
    """A test run as the pytest runner reports it."""
    made = tuple(TestResult(r[0], r[1], 0.01, r[2] if len(r) > 2 else "") for r in results)  # type: ignore[misc]
    failed = any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in made)
    return TestRun(
        selection=tuple(r.node_id for r in made),
        results=made,
        exit_code=None if timed_out else (1 if failed else 0),
        timed_out=timed_out,
        stdout_tail="",
        stderr_tail="",
        elapsed_s=8.0 if timed_out else 0.4,
        network_guard="socket-guard",
        runner="pytest",
        note=note,
    )


def report_json(
    *,
    syntax: tuple[str, str] = ("passed", "parses; rewrite of BulkDiscount.applies_to accepted"),
    diagnostics: tuple[str, str] = ("passed", "no new errors; 0 other new problem(s), 0 fixed (server)"),
    tests: tuple[str, str] = ("passed", "2 passed"),
    introduced: tuple[dict[str, Any], ...] = (),
    test_run: TestRun | None = None,
    regressions: tuple[str, ...] = (),
    fixes: tuple[str, ...] = (),
    known_codes: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A CheckReport in its JSON form, as the run log stores it, stage by stage."""
    stages = [
        {"name": "syntax", "status": syntax[0], "elapsed_s": 0.003, "summary": syntax[1]},
        {"name": "diagnostics", "status": diagnostics[0], "elapsed_s": 0.31, "summary": diagnostics[1]},
        {"name": "tests", "status": tests[0], "elapsed_s": 0.52, "summary": tests[1]},
    ]
    delta = None
    if diagnostics[0] in ("passed", "failed"):
        delta = {"introduced": list(introduced), "fixed": [], "source": "server", "elapsed_s": 0.31, "note": "",
                 "known_codes": known_codes or {}}
    return {
        "symbol_id": APPLIES_TO,
        "path": "shop/discounts.py",
        "base_version": 1,
        "new_version": 2,
        "applied": True,
        "stages": stages,
        "elapsed_s": 0.84,
        "edit": None,
        "diagnostics_delta": delta,
        "test_run": test_run.to_json() if test_run else None,
        "selected_tests": list(test_run.selection) if test_run else [],
        "regressions": list(regressions),
        "fixes": list(fixes),
    }


def diagnostic(
    severity: str, message: str, line: int = 36, code: str = "reportAttributeAccessIssue", source: str = "Pyright"
) -> dict[str, Any]:
    return {
        "path": "shop/discounts.py", "line": line, "column": 15, "end_line": line, "end_column": 40,
        "severity": severity, "message": message, "code": code, "source": source,
    }


def hand_built(**kwargs: Any) -> CheckReport:
    return CheckReport.from_json(report_json(**kwargs))


def passing_report() -> CheckReport:
    """The fix's report: both discount tests pass, the failing one is fixed."""
    return hand_built(test_run=run((FAILING, Outcome.PASSED), (BELOW, Outcome.PASSED)), fixes=(FAILING,))


def lines(*answers: str):  # noqa: ANN201 - a LineReader
    """What a person types at the prompt, one answer per read; then the terminal closes (EOFError)."""
    queue = list(answers)

    def read() -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read
