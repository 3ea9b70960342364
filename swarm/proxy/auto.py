"""The `auto` policy: pure rules on a proposal's evidence.

    verdict = await AutoProxy(settings).decide(request)
    assessment = assess(request, settings)      # the same rules, for other policies

Each rule is a small function of (request, settings) that returns what it
found: a failure (the proposal is rejected, and the reason names the rule
and quotes the evidence) or a note (said in the reason, not blocking).
A proposal is approved iff no rule fails:

- diff: the rewrite changes something (an empty diff is a no-op);
- syntax: the syntax stage passed (the workspace accepted the edit);
- diagnostics: no error-severity diagnostic was introduced; warnings are
  noted (or fail without `allow_warnings`); a stage that could not run is
  noted (or fails with `strict_diagnostics`); a Pyright type error is only
  noted when passing selected tests vouch for the change
  (`tests_outweigh_types`) or when the file already had errors of that
  code before the change (`known_kinds_are_notes`), while undefined names
  and missing imports always fail;
- tests: no selected test that passed before fails now (the pipeline's
  `regressions`); tests that failed before and still fail are noted; a run
  killed at its timeout, or a stage that could not run, fails;
- reproduction: for one symbol's proposal the repro test must not regress
  (it may still fail: a multi-symbol fix passes only at the end); for the
  final acceptance it must pass (`require_repro`);
- outstanding: the final acceptance fails while a symbol's latest proposal
  stands rejected (the patch would hold half a fix); give_ups are noted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from editor_harness.diagnostics_types import Diagnostic
from editor_harness.pipeline import StageStatus
from editor_harness.testrun import Outcome, TestResult, TestRun
from swarm.protocols import ApprovalRequest, Outstanding, Verdict
from swarm.proxy.settings import ProxySettings

POLICY = "auto"
# How many tests / diagnostics a reason quotes before saying "and N more".
QUOTED = 3
# Pyright rules whose errors are facts at run time, not inference: never
# outweighed by tests (the tests may just not reach the line).
HARD_PYRIGHT_CODES = frozenset({"reportUndefinedVariable", "reportPossiblyUnbound", "reportMissingImports"})
_QUOTE_CHARS = 160
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Finding:
    """What one rule found: `failed` findings reject; the others are notes."""

    rule: str
    text: str
    failed: bool = False

    def describe(self) -> str:
        return f"[{self.rule}] {self.text}"


@dataclass(frozen=True, slots=True)
class Assessment:
    """Every rule's findings on one request, in rule order."""

    findings: tuple[Finding, ...]

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.failed)

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.failed)

    @property
    def approved(self) -> bool:
        return not self.failures

    def reason(self) -> str:
        """One paragraph: the failures first (each naming its rule), then the notes."""
        if self.failures:
            head = "rejected: " + "; ".join(f.describe() for f in self.failures)
        else:
            head = "approved: every rule passed"
        notes = "; ".join(f.describe() for f in self.notes)
        return head + (f". Notes: {notes}" if notes else "")


Rule = Callable[[ApprovalRequest, ProxySettings], list[Finding]]


def diff_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    if not request.diff.strip():
        what = "the patch" if request.final else "the rewrite"
        return [Finding("diff", f"empty diff: {what} changes nothing (a no-op)", failed=True)]
    return []


def syntax_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    stage = request.report.syntax
    if stage.status in (StageStatus.FAILED, StageStatus.ERROR):
        return [Finding("syntax", f"{stage.status.value}: {_quote(stage.summary)}", failed=True)]
    if stage.status is StageStatus.SKIPPED:
        return [Finding("syntax", _quote(stage.summary))]
    return []


def diagnostics_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    stage, delta = request.report.diagnostics, request.report.delta
    if stage.status is StageStatus.ERROR:
        text = f"could not run: {_quote(stage.summary)}"
        return [Finding("diagnostics", text + (" (strict_diagnostics)" if settings.strict_diagnostics else ""),
                        failed=settings.strict_diagnostics)]
    if stage.status is StageStatus.SKIPPED:
        return [Finding("diagnostics", f"not checked: {_quote(stage.summary)}")]
    if delta is None:
        if stage.status is StageStatus.FAILED:
            return [Finding("diagnostics", f"failed: {_quote(stage.summary)}", failed=True)]
        return []
    findings: list[Finding] = []
    errors = delta.introduced_errors
    others = tuple(d for d in delta.introduced if d.severity != "error")
    waived: tuple[Diagnostic, ...] = ()
    if errors and settings.tests_outweigh_types and tests_vouch(request):
        waived = tuple(d for d in errors if is_type_error(d))
        errors = tuple(d for d in errors if not is_type_error(d))
    if waived:
        passed = sum(r.outcome is Outcome.PASSED for r in request.report.test_run.results)  # type: ignore[union-attr]
        text = (f"{len(waived)} new type error(s) outweighed by {passed} passing selected test(s) "
                f"(tests_outweigh_types): {_listed(waived, _diagnostic)}")
        findings.append(Finding("diagnostics", text))
    known: tuple[Diagnostic, ...] = ()
    if errors and settings.known_kinds_are_notes:
        known = tuple(d for d in errors if is_type_error(d) and delta.already_known(d))
        errors = tuple(d for d in errors if d not in known)
    if known:
        text = (f"{len(known)} new type error(s) of kinds the file already had errors of before the change "
                f"(it is not written for Pyright; known_kinds_are_notes): {_listed(known, _diagnostic)}")
        findings.append(Finding("diagnostics", text))
        waived = (*waived, *known)
    if errors:
        findings.append(Finding("diagnostics", f"{len(errors)} new error(s): {_listed(errors, _diagnostic)}", failed=True))
    elif stage.status is StageStatus.FAILED and not waived:
        findings.append(Finding("diagnostics", f"failed: {_quote(stage.summary)}", failed=True))
    warnings = tuple(d for d in others if d.severity == "warning")
    if warnings:
        text = f"{len(warnings)} new warning(s): {_listed(warnings, _diagnostic)}"
        if not settings.allow_warnings:
            text += " (allow_warnings = false)"
        findings.append(Finding("diagnostics", text, failed=not settings.allow_warnings))
    if delta.fixed:
        findings.append(Finding("diagnostics", f"{len(delta.fixed)} diagnostic(s) fixed"))
    return findings


def is_type_error(diagnostic: Diagnostic) -> bool:
    """A Pyright inference error (the kind legacy, untyped code is full of)."""
    code = diagnostic.code
    return diagnostic.source.lower() == "pyright" and code is not None and code not in HARD_PYRIGHT_CODES


def tests_vouch(request: ApprovalRequest) -> bool:
    """The selected tests ran to the end, none regressed and at least one passed."""
    report = request.report
    run = report.test_run
    if run is None or run.timed_out or report.tests.status is StageStatus.ERROR:
        return False
    if regressed_tests(request, run):
        return False
    return any(r.outcome is Outcome.PASSED for r in run.results)


def tests_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    # The pipeline's notes: tests left out as uncollectable on the base, flaky ones.
    return _tests_findings(request) + [Finding("tests", note) for note in request.report.notes]


def _tests_findings(request: ApprovalRequest) -> list[Finding]:
    report = request.report
    stage, run = report.tests, report.test_run
    if stage.status is StageStatus.SKIPPED:
        return [Finding("tests", f"none ran: {_quote(stage.summary)}")]
    if stage.status is StageStatus.ERROR:
        return [Finding("tests", f"the test stage could not run: {_quote(stage.summary)}", failed=True)]
    if run is None:
        if stage.status is StageStatus.FAILED:
            return [Finding("tests", f"failed: {_quote(stage.summary)}", failed=True)]
        return []
    findings = [Finding("tests", run.summary())]
    if run.timed_out:
        findings.append(Finding("tests", f"killed at the timeout after {run.elapsed_s:.1f}s ({_quote(run.summary())})",
                                failed=True))
    regressed = regressed_tests(request, run)
    if regressed:
        findings.append(Finding("tests", f"regression (passed before, fails now): {_listed(regressed, _test)}",
                                failed=True))
    still = [r for r in run.failures() if r not in regressed]
    if still:
        findings.append(Finding("tests", f"still failing, not passing before either: {_listed(still, _test)}"))
    if report.fixes:
        findings.append(Finding("tests", f"now passing: {_listed(report.fixes, str)}"))
    if not run.results and not run.timed_out:
        findings.append(Finding("tests", f"no test results: {_quote(run.summary())}", failed=True))
    return findings


def reproduction_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    before, after = request.reproduction_before, request.reproduction_after
    if after is None:
        return [Finding("reproduction", "no reproduction test ran for this proposal")]
    if after.timed_out:
        return [Finding("reproduction", f"killed at the timeout after {after.elapsed_s:.1f}s", failed=True)]
    findings: list[Finding] = []
    regressed = [
        r for r in after.failures() if before is not None and before.outcome_of(r.node_id) is Outcome.PASSED
    ]
    if regressed:
        findings.append(Finding("reproduction", f"regression (passed on the base): {_listed(regressed, _test)}",
                                failed=True))
    if request.final and settings.require_repro and not after.ok:
        failing = [r for r in after.failures() if r not in regressed]
        evidence = _listed(failing, _test) if failing else _quote(after.summary())
        findings.append(Finding("reproduction", f"must pass for the final acceptance: {evidence}", failed=True))
    elif after.ok:
        findings.append(Finding("reproduction", f"passes: {_listed(after.results, lambda r: r.node_id)}"))
    elif not regressed:
        failing = after.failures()
        evidence = _listed(failing, _test) if failing else _quote(after.summary())
        allowed = "not required (require_repro = false)" if request.final else "allowed before the final check"
        findings.append(Finding("reproduction", f"still failing, {allowed}: {evidence}"))
    return findings


def outstanding_rule(request: ApprovalRequest, settings: ProxySettings) -> list[Finding]:
    """A final acceptance while an assigned symbol's latest proposal stands
    rejected would accept half a fix; give_ups are said."""
    if not request.final:
        return []
    rejected = [o for o in request.outstanding if o.kind == "rejected"]
    others = [o for o in request.outstanding if o.kind != "rejected"]
    findings: list[Finding] = []
    if rejected:
        text = f"{len(rejected)} symbol(s) whose latest proposal stands rejected: {_listed(rejected, _outstanding)}"
        findings.append(Finding("outstanding", text, failed=True))
    if others:
        findings.append(Finding("outstanding", f"task(s) that gave up: {_listed(others, _outstanding)}"))
    return findings


RULES: tuple[Rule, ...] = (diff_rule, syntax_rule, diagnostics_rule, tests_rule, reproduction_rule, outstanding_rule)


def assess(request: ApprovalRequest, settings: ProxySettings | None = None) -> Assessment:
    """Every rule's findings on `request`. Pure."""
    settings = settings or ProxySettings()
    return Assessment(tuple(finding for rule in RULES for finding in rule(request, settings)))


class AutoProxy:
    """Approves exactly the proposals every rule passes; see the module doc."""

    def __init__(self, settings: ProxySettings | None = None) -> None:
        self.settings = settings or ProxySettings()

    @property
    def name(self) -> str:
        return POLICY

    async def decide(self, request: ApprovalRequest) -> Verdict:
        assessment = assess(request, self.settings)
        return Verdict(assessment.approved, assessment.reason(), POLICY)


# ------------------------------------------------------------------ quoting


def first_line(message: str) -> str:
    """The line of a failure message that says what went wrong: pytest's
    first `E ` line when there is one, else the first non-blank line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[2:].strip()
    return lines[0] if lines else ""


def _quote(text: str) -> str:
    line = first_line(text) if "\n" in text else text.strip()
    return line if len(line) <= _QUOTE_CHARS else line[: _QUOTE_CHARS - 1] + "…"


def _listed(items: Sequence[T], show: Callable[[T], str]) -> str:
    shown = ", ".join(show(item) for item in items[:QUOTED])
    return shown + (f" and {len(items) - QUOTED} more" if len(items) > QUOTED else "")


def _test(result: TestResult) -> str:
    gist = _quote(first_line(result.message)) if result.message else ""
    return f"{result.node_id} {result.outcome.value.upper()}" + (f" ({gist})" if gist else "")


def _outstanding(item: Outstanding) -> str:
    return f"{item.symbol_id} ({_quote(item.reason)})"


def _diagnostic(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.path}:{diagnostic.line} {_quote(diagnostic.message)}"


def regressed_tests(request: ApprovalRequest, run: TestRun) -> list[TestResult]:
    """Failing tests that passed before: by the request's `tests_before` when
    given (the accepted state), and by the pipeline's own account."""
    before = request.tests_before
    named = set(request.report.regressions)
    return [
        r for r in run.failures()
        if r.node_id in named or (before is not None and before.outcome_of(r.node_id) is Outcome.PASSED)
    ]

