"""The auto policy on real evidence (the real check pipeline: pyright, pytest,
git repos) and on hand-built reports for the edge cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from editor_harness.pipeline import CheckReport
from editor_harness.session import open_session
from editor_harness.testrun import Outcome
from swarm.protocols import ApprovalRequest, Outstanding
from swarm.proxy.auto import AutoProxy, assess, first_line
from swarm.proxy.settings import ProxySettings
from tests.swarm.proxy.evidence import (
    APPLIES_TO,
    ASSERT_MESSAGE,
    BELOW,
    FAILING,
    FIX,
    diagnostic,
    hand_built,
    passing_report,
    request,
    run,
)

pytestmark = pytest.mark.anyio

TYPO = FIX.replace("self.min_quantity", "self.min_quantityy")
ALWAYS = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= 0\n"
HANG = "def applies_to(self, quantity: int) -> bool:\n    while True:\n        pass\n"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example runs on this venv's interpreter; keep our own dev plugins out of its pytest.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


async def decide(req: ApprovalRequest, **settings: bool) -> tuple[bool, str]:
    verdict = await AutoProxy(ProxySettings(**settings)).decide(req)
    assert verdict.policy == "auto" and verdict.reason
    return verdict.approved, verdict.reason


# ----------------------------------------------------------- real evidence


async def test_real_pipeline_reports_new_error_regression_and_fix(python_repo: Path) -> None:
    async with open_session(python_repo, test_timeout=120) as session:
        pipeline, workspace = session.pipeline, session.workspace
        base = await pipeline.baseline([FAILING, BELOW])
        always = await pipeline.rewrite_and_check(APPLIES_TO, ALWAYS, 1, keep="passed")
        typo = await pipeline.rewrite_and_check(APPLIES_TO, TYPO, workspace.version("shop/discounts.py"), keep="passed")
        # After the typo's run both tests were last seen failing: the pipeline
        # no longer calls the same rewrite a regression.
        again = await pipeline.rewrite_and_check(APPLIES_TO, ALWAYS, workspace.version("shop/discounts.py"), keep="passed")
        fix = await pipeline.rewrite_and_check(APPLIES_TO, FIX, workspace.version("shop/discounts.py"))
        repro_after = await workspace.run_tests([FAILING], timeout=120)
    repro_before = run((FAILING, Outcome.FAILED, base.results[0].message))

    # The not-below test passed on the base and fails now: a regression, named with its gist.
    approved, reason = await decide(request(always))
    assert not approved, always.render()
    assert f"[tests] regression (passed before, fails now): {BELOW} FAILED (assert not True" in reason
    assert "[diagnostics]" not in reason.partition("Notes")[0]
    assert f"now passing: {FAILING}" in reason

    # A pyright error the rewrite introduced: rejected, quoting path:line and the message.
    approved, reason = await decide(request(typo, reproduction_before=repro_before))
    assert not approved, typo.render()
    assert reason.startswith("rejected: [diagnostics] 1 new error(s): shop/discounts.py:36 ")
    assert "min_quantityy" in reason

    # The same regression after a rejected attempt: caught by the accepted state's outcomes.
    assert again.regressions == ()
    approved, reason = await decide(request(again, tests_before=base))
    assert not approved and f"regression (passed before, fails now): {BELOW} FAILED" in reason

    # The fix: every rule passes, the reason says what was checked.
    approved, reason = await decide(
        request(fix, tests_before=base, reproduction_before=repro_before, reproduction_after=repro_after)
    )
    assert approved, fix.render()
    assert reason.startswith("approved: every rule passed. Notes: [tests] 2 passed")
    assert f"[reproduction] passes: {FAILING}" in reason
    # The same evidence as the final acceptance of the whole patch.
    final = request(fix, final=True, symbol_id="", new_source="", reproduction_after=repro_after)
    assert (await decide(final))[0]


async def test_syntax_broken_rewrite_is_refused_before_the_pipeline(python_repo: Path) -> None:
    async with open_session(python_repo, servers=False) as session:
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, "def applies_to(self, quantity:\n    return", 1)
    assert not report.applied
    approved, reason = await decide(request(report))
    assert not approved
    assert reason.startswith("rejected: [syntax] failed: SyntaxInvalid")
    assert "[diagnostics] not checked: skipped: the edit was refused" in reason


async def test_hung_test_rejects(python_repo: Path) -> None:
    async with open_session(python_repo, servers=False, test_timeout=8) as session:
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, HANG, 1, tests=[FAILING])
    assert report.test_run is not None and report.test_run.timed_out
    approved, reason = await decide(request(report))
    assert not approved
    assert "[tests] killed at the timeout after " in reason


async def test_rust_type_error_and_fix(rust_repo: Path) -> None:
    transfer = "src/ledger.rs::Ledger::transfer"
    repro = "tests/transfers.rs::transfer_can_empty_an_account"
    async with open_session(rust_repo, test_timeout=300) as session:
        before = await session.pipeline.baseline([repro])
        view = session.workspace.read_symbol(transfer)
        fixed = view.text.replace("balance <= amount", "balance < amount")
        broken = fixed.replace("let balance = self.balance(from)?;", "let balance: String = self.balance(from)?;")
        bad = await session.pipeline.rewrite_and_check(transfer, broken, view.version, keep="passed")
        good = await session.pipeline.rewrite_and_check(transfer, fixed, session.workspace.version("src/ledger.rs"))
        after = await session.workspace.run_tests([repro], timeout=300)
    approved, reason = await decide(request(bad, symbol_id=transfer))
    assert not approved and reason.startswith("rejected: [diagnostics] "), bad.render()
    assert "src/ledger.rs:" in reason
    approved, reason = await decide(request(good, symbol_id=transfer, reproduction_before=before,
                                            reproduction_after=after, final=True))
    assert approved, good.render()


# ------------------------------------------------------ hand-built reports


async def test_empty_diff_is_a_no_op_and_rejects() -> None:
    approved, reason = await decide(request(passing_report(), diff="  \n"))
    assert not approved and reason.startswith("rejected: [diff] empty diff: the rewrite changes nothing")
    approved, reason = await decide(request(passing_report(), diff="", final=True))
    assert "the patch changes nothing" in reason


async def test_skipped_stages_are_noted_not_blocking() -> None:
    report = hand_built(
        diagnostics=("skipped", "skipped: no diagnostics service"),
        tests=("skipped", "skipped: no tests reference shop/discounts.py::BulkDiscount.applies_to"),
    )
    approved, reason = await decide(request(report))
    assert approved
    assert "[diagnostics] not checked: skipped: no diagnostics service" in reason
    assert "[tests] none ran: skipped: no tests reference" in reason
    assert "[reproduction] no reproduction test ran" in reason


async def test_crashed_language_server_is_noted_unless_strict() -> None:
    report = hand_built(
        diagnostics=("error", "the diagnostics service failed: ServerCrashed: pyright-langserver exited with -9"),
        test_run=run((FAILING, Outcome.PASSED)),
    )
    approved, reason = await decide(request(report))
    assert approved and "[diagnostics] could not run: the diagnostics service failed: ServerCrashed" in reason
    approved, reason = await decide(request(report), strict_diagnostics=True)
    assert not approved
    assert reason.startswith("rejected: [diagnostics] could not run: ") and "(strict_diagnostics)" in reason


async def test_warnings_are_noted_or_reject_when_not_allowed() -> None:
    report = hand_built(
        introduced=(diagnostic("warning", 'Import "os" is not accessed', line=3), diagnostic("hint", "unused")),
        test_run=run((FAILING, Outcome.PASSED)),
    )
    approved, reason = await decide(request(report))
    assert approved and '[diagnostics] 1 new warning(s): shop/discounts.py:3 Import "os" is not accessed' in reason
    approved, reason = await decide(request(report), allow_warnings=False)
    assert not approved and "(allow_warnings = false)" in reason


async def test_many_new_errors_are_quoted_briefly() -> None:
    errors = tuple(diagnostic("error", f'"x{n}" is not defined', line=30 + n) for n in range(5))
    report = hand_built(diagnostics=("failed", "5 new error(s)"), introduced=errors)
    approved, reason = await decide(request(report))
    assert not approved
    assert 'shop/discounts.py:30 "x0" is not defined, shop/discounts.py:31' in reason
    assert "and 2 more" in reason and "x4" not in reason


async def test_tests_failing_before_and_after_are_noted() -> None:
    report = hand_built(
        tests=("failed", "1 passed, 1 failed"),
        test_run=run((FAILING, Outcome.FAILED, ASSERT_MESSAGE), (BELOW, Outcome.PASSED)),
    )
    approved, reason = await decide(request(report))
    assert approved
    assert f"[tests] still failing, not passing before either: {FAILING} FAILED (assert False)" in reason


async def test_a_test_stage_that_could_not_run_rejects() -> None:
    report = hand_built(tests=("error", "cannot run pytest: No module named pytest"))
    approved, reason = await decide(request(report))
    assert not approved
    assert reason.startswith("rejected: [tests] the test stage could not run: cannot run pytest")


async def test_reproduction_may_still_fail_per_symbol_but_must_not_regress() -> None:
    before = run((FAILING, Outcome.FAILED, ASSERT_MESSAGE))
    still = run((FAILING, Outcome.FAILED, ASSERT_MESSAGE))
    approved, reason = await decide(request(passing_report(), reproduction_before=before, reproduction_after=still))
    assert approved and "[reproduction] still failing, allowed before the final check: " in reason
    passed_before = run((FAILING, Outcome.PASSED))
    approved, reason = await decide(
        request(passing_report(), reproduction_before=passed_before, reproduction_after=still)
    )
    assert not approved
    assert f"[reproduction] regression (passed on the base): {FAILING} FAILED (assert False)" in reason


async def test_final_acceptance_needs_the_reproduction_to_pass() -> None:
    still = run((FAILING, Outcome.FAILED, ASSERT_MESSAGE))
    final = request(passing_report(), final=True, symbol_id="", reproduction_after=still)
    approved, reason = await decide(final)
    assert not approved
    assert reason.startswith(f"rejected: [reproduction] must pass for the final acceptance: {FAILING} FAILED")
    approved, reason = await decide(final, require_repro=False)
    assert approved and "not required (require_repro = false)" in reason
    hung = replace(final, reproduction_after=run((FAILING, Outcome.FAILED), timed_out=True))
    approved, reason = await decide(hung, require_repro=False)
    assert not approved and "[reproduction] killed at the timeout" in reason


async def test_a_reproduction_that_collected_nothing_fails_the_final_check() -> None:
    empty = run(note="no tests ran: ImportError while importing test module")
    approved, reason = await decide(request(passing_report(), final=True, reproduction_after=empty))
    assert not approved and "must pass for the final acceptance: no tests ran" in reason


def test_assessment_lists_failures_before_notes() -> None:
    report = hand_built(
        introduced=(diagnostic("error", '"boom" is not defined', code="reportUndefinedVariable"),),
        diagnostics=("failed", "1 new error(s)"), test_run=run((FAILING, Outcome.PASSED)), fixes=(FAILING,),
    )
    assessment = assess(request(report))
    assert [f.rule for f in assessment.failures] == ["diagnostics"]
    assert {f.rule for f in assessment.notes} == {"tests", "reproduction"}
    reason = assessment.reason()
    assert reason.index("[diagnostics]") < reason.index("Notes:") < reason.index("[tests]")


def test_first_line_prefers_the_assertion() -> None:
    assert first_line(ASSERT_MESSAGE) == "assert False"
    assert first_line("\n\nthread 'x' panicked at src/lib.rs:3:5\n") == "thread 'x' panicked at src/lib.rs:3:5"
    assert first_line("") == ""


def test_reports_from_the_run_log_json_decide_the_same() -> None:
    report = passing_report()
    again = CheckReport.from_json(report.to_json())
    assert assess(request(report)) == assess(request(again))


TYPE_ERROR = diagnostic("error", 'Operator "|" not supported for types "bytes" and "str"', code="reportOperatorIssue")


async def test_passing_tests_outweigh_a_new_type_error() -> None:
    # Real-world untyped code trips Pyright's inference (SWE-bench gold patches did): tests are the evidence.
    report = hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(TYPE_ERROR,),
                        test_run=run((FAILING, Outcome.PASSED), (BELOW, Outcome.PASSED)), fixes=(FAILING,))
    approved, reason = await decide(request(report))
    assert approved, reason
    assert "[diagnostics] 1 new type error(s) outweighed by 2 passing selected test(s) (tests_outweigh_types)" in reason
    assert 'Operator "|" not supported' in reason
    approved, reason = await decide(request(report), tests_outweigh_types=False)
    assert not approved and reason.startswith("rejected: [diagnostics] 1 new error(s)")


async def test_undefined_names_and_missing_imports_are_never_outweighed() -> None:
    for code in ("reportUndefinedVariable", "reportMissingImports", "reportPossiblyUnbound"):
        hard = diagnostic("error", "a fact at run time", code=code)
        report = hand_built(diagnostics=("failed", "2 new error(s)"), introduced=(hard, TYPE_ERROR),
                            test_run=run((FAILING, Outcome.PASSED)), fixes=(FAILING,))
        approved, reason = await decide(request(report))
        assert not approved
        assert reason.startswith("rejected: [diagnostics] 1 new error(s): shop/discounts.py:36 a fact at run time")
        assert "1 new type error(s) outweighed" in reason


async def test_type_errors_are_not_outweighed_without_passing_tests_or_with_a_regression() -> None:
    cases = {
        "no tests": hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(TYPE_ERROR,)),
        "all failing": hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(TYPE_ERROR,),
                                  tests=("failed", "1 failed"), test_run=run((FAILING, Outcome.FAILED))),
        "a regression": hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(TYPE_ERROR,),
                                   tests=("failed", "1 passed, 1 failed"), regressions=(BELOW,),
                                   test_run=run((FAILING, Outcome.PASSED), (BELOW, Outcome.FAILED))),
        "rustc": hand_built(diagnostics=("failed", "1 new error(s)"),
                            introduced=(diagnostic("error", "mismatched types", code="E0308", source="rustc"),),
                            test_run=run((FAILING, Outcome.PASSED))),
    }
    for name, report in cases.items():
        approved, reason = await decide(request(report))
        assert not approved, name
        assert "[diagnostics] 1 new error(s)" in reason and "outweighed" not in reason, name


async def test_a_type_error_of_a_kind_the_file_already_had_is_noted_even_without_tests() -> None:
    # astroid-1196's shape: no test reaches the symbol, Pyright flags an argument
    # type in a file that already holds errors of that very code.
    argument = diagnostic("error", 'Argument of type "Const | Slice" cannot be assigned to parameter "message"',
                          code="reportArgumentType")
    known = {"shop/discounts.py": ["reportArgumentType", "reportOptionalMemberAccess"]}
    report = hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(argument,), known_codes=known)
    approved, reason = await decide(request(report))
    assert approved, reason
    assert ("[diagnostics] 1 new type error(s) of kinds the file already had errors of before the change "
            "(it is not written for Pyright; known_kinds_are_notes)") in reason
    approved, reason = await decide(request(report), known_kinds_are_notes=False)
    assert not approved and reason.startswith("rejected: [diagnostics] 1 new error(s)")
    # A kind the file did not have, another file's kinds, or a hard kind: still rejected.
    for introduced, codes in (
        (TYPE_ERROR, known),
        (argument, {"shop/cart.py": ["reportArgumentType"]}),
        (diagnostic("error", '"rounded" is not defined', code="reportUndefinedVariable"),
         {"shop/discounts.py": ["reportUndefinedVariable"]}),
    ):
        report = hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(introduced,), known_codes=codes)
        approved, reason = await decide(request(report))
        assert not approved and "known_kinds_are_notes" not in reason, introduced


# ------------------------------------------- outstanding work, pipeline notes

HALF = Outstanding("src/app.py::Blueprint.add_url_rule", "rejected",
                   "rejected: [tests] regression (passed before, fails now): tests/test_bp.py::test_rule FAILED")
GAVE_UP = Outstanding("src/app.py::Blueprint.route", "gave_up", "nothing to change here")


async def test_final_acceptance_is_rejected_while_a_latest_proposal_stands_rejected() -> None:
    final = request(passing_report(), final=True, symbol_id="", outstanding=(HALF,))
    approved, reason = await decide(final)
    assert not approved
    assert reason.startswith("rejected: [outstanding] 1 symbol(s) whose latest proposal stands rejected: "
                             "src/app.py::Blueprint.add_url_rule (rejected: [tests] regression")


async def test_a_give_up_is_noted_and_per_symbol_requests_ignore_outstanding_work() -> None:
    approved, reason = await decide(request(passing_report(), final=True, symbol_id="", outstanding=(GAVE_UP,)))
    assert approved
    assert "[outstanding] task(s) that gave up: src/app.py::Blueprint.route (nothing to change here)" in reason
    approved, reason = await decide(request(passing_report(), outstanding=(HALF,)))
    assert approved and "outstanding" not in reason


async def test_the_pipeline_notes_are_said_and_do_not_block() -> None:
    flaky = f"flaky, not a regression: {BELOW} failed, then passed on a re-run"
    approved, reason = await decide(request(replace(passing_report(), notes=(flaky,))))
    assert approved
    assert f"[tests] {flaky}" in reason
