"""The check pipeline run after every whole-symbol edit: syntax -> diagnostics -> tests.

    pipeline = CheckPipeline(workspace, diagnostics=service)
    report = await pipeline.rewrite_and_check(symbol_id, new_source, base_version)
    report.ok, report.render(), report.to_json()

- syntax: the workspace applies the edit, which validates it (parses, same
  symbol, fresh base version); a refusal ends the check, nothing applied;
- diagnostics: the diagnostics service learns the new text and answers with
  what the edit introduced (errors fail the stage; warnings are listed);
- tests: the selected tests (given, else `select_tests` for the symbol) run
  with a hard timeout, off the network; a test that passed at its previous
  run in this pipeline and fails now is a regression, once a re-run of the
  failing ones confirms it (a test that passes on the re-run is flaky: said
  in the report's `notes`, not a regression). Tests that `learn_base`
  found uncollectable on the base (a missing package, a broken conftest)
  are left out of every selection, with a note: their error is not the edit's.

Every stage's failure is reported in the CheckReport, never raised: a
crashed or hung language server, a runner that cannot start, a test run
killed at its timeout. `keep` decides whether the edit stays: "always", only
if the report is ok ("passed"), or "never" (a dry run).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal, Protocol

import trio

from editor_harness.diagnostics import DiagnosticsDelta
from editor_harness.edits import Edit
from editor_harness.errors import HarnessError, SymbolNotFound, TestRunError
from editor_harness.network_guard import GuardMode
from editor_harness.testrun import Outcome, TestResult, TestRun
from editor_harness.workspace import Workspace
from symbols.errors import SymbolsError

Keep = Literal["always", "passed", "never"]
DEFAULT_TEST_TIMEOUT_S = 300.0
DEFAULT_DIAGNOSTICS_TIMEOUT_S = 120.0
# How the pytest runner marks a result that is a collection error, not a test.
COLLECTION_FAILED = "collection failed: "


class DiagnosticsSource(Protocol):
    """What the pipeline needs of editor_harness.diagnostics.DiagnosticsService."""

    async def apply_change(self, path: str, new_text: str, *, old_text: str | None = None) -> DiagnosticsDelta: ...


class StageStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the stage itself could not run: a crashed server, a missing runner
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    status: StageStatus
    elapsed_s: float
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status.value, "elapsed_s": self.elapsed_s, "summary": self.summary}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stage:
        return cls(data["name"], StageStatus(data["status"]), float(data["elapsed_s"]), data["summary"])


def _skipped(name: str, why: str) -> Stage:
    return Stage(name, StageStatus.SKIPPED, 0.0, why)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The evidence about one edit: each stage's outcome and timing, and its details.

    `applied` says whether the edit is on disk now (False when refused, or
    undone under `keep`). `regressions` are tests that passed at their
    previous run in this pipeline and fail now; `fixes` the reverse.
    """

    symbol_id: str
    path: str
    base_version: int | None
    new_version: int | None
    applied: bool
    syntax: Stage
    diagnostics: Stage
    tests: Stage
    elapsed_s: float
    edit: Edit | None = None
    delta: DiagnosticsDelta | None = None
    test_run: TestRun | None = None
    selected_tests: tuple[str, ...] = ()
    regressions: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def stages(self) -> tuple[Stage, Stage, Stage]:
        return (self.syntax, self.diagnostics, self.tests)

    @property
    def ok(self) -> bool:
        """No stage failed or errored (skipped stages do not count against it)."""
        return all(s.status in (StageStatus.PASSED, StageStatus.SKIPPED) for s in self.stages)

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol_id": self.symbol_id,
            "path": self.path,
            "base_version": self.base_version,
            "new_version": self.new_version,
            "applied": self.applied,
            "ok": self.ok,
            "stages": [s.to_json() for s in self.stages],
            "elapsed_s": self.elapsed_s,
            "edit": self.edit.to_json() if self.edit else None,
            "diagnostics_delta": self.delta.to_json() if self.delta else None,
            "test_run": self.test_run.to_json() if self.test_run else None,
            "selected_tests": list(self.selected_tests),
            "regressions": list(self.regressions),
            "fixes": list(self.fixes),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckReport:
        stages = {s["name"]: Stage.from_json(s) for s in data["stages"]}
        return cls(
            symbol_id=data["symbol_id"],
            path=data["path"],
            base_version=data["base_version"],
            new_version=data["new_version"],
            applied=bool(data["applied"]),
            syntax=stages["syntax"],
            diagnostics=stages["diagnostics"],
            tests=stages["tests"],
            elapsed_s=float(data["elapsed_s"]),
            edit=Edit.from_json(data["edit"]) if data.get("edit") else None,
            delta=DiagnosticsDelta.from_json(data["diagnostics_delta"]) if data.get("diagnostics_delta") else None,
            test_run=TestRun.from_json(data["test_run"]) if data.get("test_run") else None,
            selected_tests=tuple(data.get("selected_tests", ())),
            regressions=tuple(data.get("regressions", ())),
            fixes=tuple(data.get("fixes", ())),
            notes=tuple(data.get("notes", ())),
        )

    def render(self, *, max_failures: int = 5) -> str:
        """A short plain-text account for a terminal or an agent's prompt."""
        versions = f"v{self.base_version} -> v{self.new_version}" if self.new_version else "not applied"
        verdict = "OK" if self.ok else "FAILED"
        lines = [f"check {self.symbol_id} ({versions}): {verdict} in {self.elapsed_s:.2f}s"]
        for stage in self.stages:
            lines.append(f"  {stage.name:<12} {stage.status.value:<8} {stage.elapsed_s:7.2f}s  {stage.summary}")
        if self.delta is not None:
            for diagnostic in self.delta.introduced[:max_failures]:
                lines.append(f"    + {diagnostic.describe().splitlines()[0]}")
        if self.test_run is not None:
            for result in self.test_run.failures()[:max_failures]:
                lines.append(f"    {result.outcome.value.upper()} {result.node_id}: {_gist(result.message)}"[:300])
        if self.regressions:
            lines.append(f"    regressions: {', '.join(self.regressions)}")
        if self.fixes:
            lines.append(f"    now passing: {', '.join(self.fixes)}")
        lines.extend(f"    note: {note}" for note in self.notes)
        if not self.applied and self.edit is not None:
            lines.append("    (the edit was undone)")
        return "\n".join(lines)


class CheckPipeline:
    """Applies edits through a Workspace and checks each one."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        diagnostics: DiagnosticsSource | None = None,
        test_timeout: float = DEFAULT_TEST_TIMEOUT_S,
        diagnostics_timeout: float = DEFAULT_DIAGNOSTICS_TIMEOUT_S,
        run_selected_tests: bool = True,
        max_tests: int = 50,
        python: str | None = None,
        network: GuardMode | str = GuardMode.AUTO,
    ) -> None:
        self.workspace = workspace
        self.diagnostics = diagnostics
        self.test_timeout = test_timeout
        self.diagnostics_timeout = diagnostics_timeout
        self.run_selected_tests = run_selected_tests
        self.max_tests = max_tests
        self.python = python
        self.network = network
        self.last_outcomes: dict[str, Outcome] = {}
        # Selected tests that cannot even be collected on the base, and why.
        self.uncollectable: dict[str, str] = {}

    # ------------------------------------------------------------ entry points

    async def rewrite_and_check(
        self,
        symbol_id: str,
        new_source: str,
        base_version: int | None,
        *,
        tests: Sequence[str] | None = None,
        keep: Keep = "always",
    ) -> CheckReport:
        return await self._apply_and_check(
            symbol_id, base_version, lambda: self.workspace.rewrite_symbol(symbol_id, new_source, base_version), tests, keep
        )

    async def insert_and_check(
        self,
        parent_id: str,
        source: str,
        *,
        after: str | None = None,
        base_version: int | None = None,
        tests: Sequence[str] | None = None,
        keep: Keep = "always",
    ) -> CheckReport:
        return await self._apply_and_check(
            parent_id,
            base_version,
            lambda: self.workspace.insert_symbol(parent_id, source, after, base_version=base_version),
            tests,
            keep,
        )

    async def delete_and_check(
        self,
        symbol_id: str,
        *,
        base_version: int | None = None,
        tests: Sequence[str] | None = None,
        keep: Keep = "always",
    ) -> CheckReport:
        """Remove a symbol and check what is left (pass `tests`: the symbol is gone,
        so nothing can be selected by it afterwards)."""
        return await self._apply_and_check(
            symbol_id,
            base_version,
            lambda: self.workspace.delete_symbol(symbol_id, base_version=base_version),
            tests,
            keep,
        )

    async def undo(self, edit: Edit) -> bool:
        """Take back an edit this pipeline kept (e.g. one the reviewer rejected) and
        resync diagnostics; False when the workspace refused the undo."""
        return await self._undo(edit)

    async def baseline(self, selection: Sequence[str]) -> TestRun:
        """Run tests before any edit so later reports can name regressions and fixes
        (and find the tests that cannot be collected on the base: `learn_base`)."""
        run = await self._run(selection)
        await self.learn_base(run)
        return run

    async def learn_base(self, run: TestRun) -> list[TestRun]:
        """Remember a run of tests on the base, and find which of its tests cannot
        be collected there (into `uncollectable`, left out of later selections).

        A broken conftest or a missing package stops pytest before any test runs,
        and one uncollectable file interrupts the whole session: then the files
        run once more, alone (or the collectable rest together), so each test
        gets its own base outcome. Returns the runs that stand for the base:
        `[run]`, or those re-runs."""
        self._remember(run)
        bad = _uncollected(run)
        files = _python_files(run.selection)
        runs: list[TestRun] = []
        if not run.results and bad and len(files) > 1:
            bad = {}
            for tests in files.values():
                runs.append(await self._run(tests))
                bad.update(_uncollected(runs[-1]))
        elif bad and (rest := [t for t in run.selection if t not in bad]):
            runs = [await self._run(rest), replace(run, results=tuple(r for r in run.results if _is_collection_error(r)))]
        for extra in runs:
            self._remember(extra)
        for test, why in bad.items():
            self.uncollectable.setdefault(test, why)
        return runs or [run]

    async def recheck(self, run: TestRun, suspects: Sequence[str]) -> tuple[TestRun, tuple[str, ...]]:
        """Run `suspects` (tests of `run` that passed before and fail now) once more:
        those that pass now are flaky, not regressions. Returns `run` with their
        passing results instead, and their node ids."""
        try:
            again = await self._run(suspects)
        except TestRunError:
            return run, ()
        passed = {r.node_id: r for r in again.results if r.outcome is Outcome.PASSED and r.node_id in suspects}
        if again.timed_out or not passed:
            return run, ()
        results = tuple(passed.get(r.node_id, r) for r in run.results)
        failing = any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in results)
        return replace(run, results=results, exit_code=run.exit_code if failing else 0), tuple(passed)

    def collectable(self, selection: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
        """`selection` without the tests `learn_base` found uncollectable on the
        base, and the note that says which were left out (none: no note)."""
        left_out = [t for t in selection if t in self.uncollectable]
        if not left_out:
            return tuple(selection), []
        note = (f"left out {len(left_out)} selected test(s) that cannot be collected on the base either: "
                f"{_few(left_out)} ({self.uncollectable[left_out[0]]})")
        return tuple(t for t in selection if t not in self.uncollectable), [note]

    async def confirmed(
        self, run: TestRun, regressions: Sequence[str]
    ) -> tuple[TestRun, tuple[str, ...], list[str]]:
        """`regressions` of `run` re-run once (`recheck`): the run with the flaky
        ones' passing results, the regressions that stand, a note per flaky test."""
        if not regressions or run.timed_out:
            return run, tuple(regressions), []
        run, flaky = await self.recheck(run, regressions)
        standing = tuple(r for r in regressions if r not in flaky)
        return run, standing, [f"flaky, not a regression: {node} failed, then passed on a re-run" for node in flaky]

    def regressions(self, run: TestRun) -> tuple[str, ...]:
        """Failing tests of `run` that passed at their previous run; a file that no
        longer collects counts when tests in it passed."""
        passed = {node for node, outcome in self.last_outcomes.items() if outcome is Outcome.PASSED}
        return tuple(
            r.node_id for r in run.failures()
            if r.node_id in passed or (_is_collection_error(r) and any(n.startswith(r.node_id + "::") for n in passed))
        )

    async def _run(self, selection: Sequence[str]) -> TestRun:
        return await self.workspace.run_tests(selection, timeout=self.test_timeout, python=self.python, network=self.network)

    # ----------------------------------------------------------------- stages

    async def _apply_and_check(
        self,
        symbol_id: str,
        base_version: int | None,
        apply: Callable[[], Edit],
        tests: Sequence[str] | None,
        keep: Keep,
    ) -> CheckReport:
        started = time.perf_counter()
        path = symbol_id.partition("::")[0]
        try:
            lock = self.workspace.lock(path)
        except HarnessError as exc:
            return self._refused(symbol_id, path, base_version, exc, started)
        async with lock:
            step = time.perf_counter()
            try:
                before_text = self.workspace.text(path)
                edit = apply()
            except HarnessError as exc:
                return self._refused(symbol_id, path, base_version, exc, started)
            except (SymbolsError, OSError) as exc:
                # Not a verdict on the text: the file could not be read, indexed or written.
                return self._refused(symbol_id, path, base_version, exc, started, StageStatus.ERROR)
            syntax = Stage("syntax", StageStatus.PASSED, time.perf_counter() - step, _syntax_summary(edit))
            diagnostics, delta = await self._diagnostics(edit, before_text)
        tests_stage, run, selected, regressions, fixes, notes = await self._tests(edit, tests)
        report = CheckReport(
            symbol_id=edit.symbol_id,
            path=edit.path,
            base_version=edit.base_version,
            new_version=edit.new_version,
            applied=True,
            syntax=syntax,
            diagnostics=diagnostics,
            tests=tests_stage,
            elapsed_s=0.0,
            edit=edit,
            delta=delta,
            test_run=run,
            selected_tests=selected,
            regressions=regressions,
            fixes=fixes,
            notes=notes,
        )
        applied = True
        if keep == "never" or (keep == "passed" and not report.ok):
            applied = not await self._undo(edit)
        return _finished(report, applied, started)

    def _refused(
        self,
        symbol_id: str,
        path: str,
        base_version: int | None,
        exc: Exception,
        started: float,
        status: StageStatus = StageStatus.FAILED,
    ) -> CheckReport:
        elapsed = time.perf_counter() - started
        return CheckReport(
            symbol_id=symbol_id,
            path=path,
            base_version=base_version,
            new_version=None,
            applied=False,
            syntax=Stage("syntax", status, elapsed, f"{type(exc).__name__}: {exc}"),
            diagnostics=_skipped("diagnostics", "skipped: the edit was refused"),
            tests=_skipped("tests", "skipped: the edit was refused"),
            elapsed_s=elapsed,
        )

    async def _diagnostics(self, edit: Edit, before_text: str) -> tuple[Stage, DiagnosticsDelta | None]:
        if self.diagnostics is None:
            return _skipped("diagnostics", "skipped: no diagnostics service"), None
        started = time.perf_counter()
        new_text = self.workspace.text(edit.path)
        delta: DiagnosticsDelta | None = None
        failure = ""
        with trio.move_on_after(self.diagnostics_timeout) as scope:
            try:
                delta = await self.diagnostics.apply_change(edit.path, new_text, old_text=before_text)
            except Exception as exc:  # noqa: BLE001 - any failure of the service is reported, never raised
                failure = f"the diagnostics service failed: {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        if scope.cancelled_caught:
            failure = f"the diagnostics service gave no answer within {self.diagnostics_timeout:g}s"
        if delta is None:
            return Stage("diagnostics", StageStatus.ERROR, elapsed, failure), None
        errors = [d for d in delta.introduced if d.severity == "error"]
        others = len(delta.introduced) - len(errors)
        source = f"({delta.source}{'; ' + delta.note if delta.note else ''})"
        if errors:
            summary = f"{len(errors)} new error(s), {others} other new problem(s), {len(delta.fixed)} fixed {source}"
            return Stage("diagnostics", StageStatus.FAILED, elapsed, summary), delta
        summary = f"no new errors; {others} other new problem(s), {len(delta.fixed)} fixed {source}"
        return Stage("diagnostics", StageStatus.PASSED, elapsed, summary), delta

    async def _tests(
        self, edit: Edit, tests: Sequence[str] | None
    ) -> tuple[Stage, TestRun | None, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        if tests is None and not self.run_selected_tests:
            return _skipped("tests", "skipped: tests are off"), None, (), (), (), ()
        started = time.perf_counter()
        try:
            if tests is None:
                selection = tuple(t.node_id for t in self.workspace.select_tests(edit.symbol_id, limit=self.max_tests))
            else:
                selection = tuple(tests)
        except SymbolNotFound:
            selection = ()  # the symbol is gone (an undo of an insert): nothing to select
        except HarnessError as exc:
            return Stage("tests", StageStatus.ERROR, time.perf_counter() - started, str(exc)), None, (), (), (), ()
        selection, notes = self.collectable(selection)
        if not selection:
            why = "every selected test cannot be collected on the base" if notes else (
                f"no tests reference {edit.symbol_id}; pass tests= to choose some")
            return _skipped("tests", f"skipped: {why}"), None, (), (), (), tuple(notes)
        try:
            run = await self._run(selection)
        except TestRunError as exc:
            stage = Stage("tests", StageStatus.ERROR, time.perf_counter() - started, str(exc))
            return stage, None, selection, (), (), tuple(notes)
        run, regressions, flaky = await self.confirmed(run, self.regressions(run))
        notes.extend(flaky)
        fixes = tuple(
            r.node_id
            for r in run.results
            if r.outcome is Outcome.PASSED and self.last_outcomes.get(r.node_id) in (Outcome.FAILED, Outcome.ERROR)
        )
        self._remember(run)
        elapsed = time.perf_counter() - started
        if run.timed_out:
            status = StageStatus.FAILED
        elif run.failures():
            status = StageStatus.FAILED
        elif not run.results:
            status = StageStatus.ERROR
        else:
            status = StageStatus.PASSED
        return Stage("tests", status, elapsed, run.summary()), run, selection, regressions, fixes, tuple(notes)

    def _remember(self, run: TestRun) -> None:
        for result in run.results:
            self.last_outcomes[result.node_id] = result.outcome

    async def _undo(self, edit: Edit) -> bool:
        """Take the edit back and tell the diagnostics service; True when undone."""
        async with self.workspace.lock(edit.path):
            try:
                before = self.workspace.text(edit.path)
                self.workspace.undo(edit.symbol_id)
            except HarnessError:
                return False
            if self.diagnostics is not None:
                with trio.move_on_after(self.diagnostics_timeout):
                    try:
                        await self.diagnostics.apply_change(edit.path, self.workspace.text(edit.path), old_text=before)
                    except Exception:  # noqa: BLE001 - resyncing is best effort; the next change resyncs again
                        pass
        return True


def _gist(message: str) -> str:
    """The line of a failure message that says what went wrong (pytest's `E ` lines, a panic)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors:
        return errors[0]
    panics = [line for line in lines if "panicked at" in line]
    if panics and lines.index(panics[0]) + 1 < len(lines):
        return lines[lines.index(panics[0]) + 1]
    return lines[-1] if lines else ""


def _is_collection_error(result: TestResult) -> bool:
    return result.outcome is Outcome.ERROR and result.message.startswith(COLLECTION_FAILED)


def _python_files(selection: Sequence[str]) -> dict[str, list[str]]:
    """The selection's pytest node ids by file (empty when any item is something else)."""
    files: dict[str, list[str]] = {}
    for test in selection:
        path = test.split("::", 1)[0]
        if not path.endswith(".py"):
            return {}
        files.setdefault(path, []).append(test)
    return files


def _uncollected(run: TestRun) -> dict[str, str]:
    """The tests of `run` that could not be collected, and the error that says why:
    all of them when pytest stopped before running any (exit 2 or 4, no results),
    else those under a collection error's node."""
    if run.timed_out:
        return {}
    if not run.results:
        if run.exit_code not in (2, 4) or not _python_files(run.selection):
            return {}
        return dict.fromkeys(run.selection, _gist(run.stderr_tail or run.stdout_tail) or run.note)
    found: dict[str, str] = {}
    for error in filter(_is_collection_error, run.results):
        node = error.node_id
        for test in run.selection:
            if test == node or test.startswith(node + "::") or test.split("::", 1)[0] == node:
                found.setdefault(test, _gist(error.message))
    return found


def _few(items: Sequence[str], shown: int = 3) -> str:
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _syntax_summary(edit: Edit) -> str:
    return f"parses; {edit.op.value} of {edit.symbol_id.partition('::')[2]} accepted"


def _finished(report: CheckReport, applied: bool, started: float) -> CheckReport:
    return replace(report, applied=applied, elapsed_s=time.perf_counter() - started)
