"""Running pytest on a selection and reading per-test outcomes from structured output.

Outcomes come from a small plugin (`_pytest_plugin/swarm_test_reporter.py`,
loaded with `-p`) that writes one flushed JSON line per test event, rather
than from a junit XML file that pytest writes only when the session ends:
a run killed at its timeout still reports which tests finished and names the
one that hung, and node ids come out exactly as pytest spells them.

Selection: items that look like paths or node ids (`tests/test_x.py`,
`tests/test_x.py::TestA::test_b[1]`) are passed as arguments; anything
else is a keyword expression, OR-ed into one `-k`. The two kinds cannot be
mixed in one run (pytest would intersect them). An empty selection runs
the whole suite.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from editor_harness.errors import TestRunError
from editor_harness.network_guard import GuardMode, network_guard
from editor_harness.paths import relative_path
from editor_harness.processes import ProcessResult, run_process, scrubbed_environment
from editor_harness.testrun import Outcome, TestResult, TestRun, check_timeout

PLUGIN_DIR = Path(__file__).resolve().parent / "_pytest_plugin"
_EXIT_NOTES = {
    2: "pytest was interrupted (often: errors while collecting tests)",
    3: "pytest hit an internal error",
    4: "pytest usage error: a path or node id in the selection does not exist, or a bad option",
    5: "no tests matched the selection",
}


def looks_like_node_id(item: str) -> bool:
    path = item.split("::", 1)[0]
    return "::" in item or path.endswith(".py") or "/" in path or os.sep in path


def default_python(root: Path) -> str:
    """The repository's own virtualenv interpreter if it has one, else the current one."""
    for candidate in (".venv/bin/python", "venv/bin/python", ".venv/Scripts/python.exe"):
        if (root / candidate).exists():
            return str(root / candidate)
    return sys.executable


def pytest_arguments(root: Path, selection: Sequence[str]) -> list[str]:
    node_ids: list[str] = []
    keywords: list[str] = []
    for item in selection:
        item = item.strip()
        if not item:
            continue
        if looks_like_node_id(item):
            path, sep, rest = item.partition("::")
            node_ids.append(relative_path(root, path) + sep + rest)
        else:
            keywords.append(item)
    if node_ids and keywords:
        # pytest would intersect them (-k filters the named tests too), never unite.
        raise TestRunError(
            f"the selection mixes node ids ({node_ids[0]}) and keywords ({keywords[0]}); "
            "pass node ids only, or keywords only"
        )
    if len(keywords) > 1:
        return [*node_ids, "-k", " or ".join(f"({k})" for k in keywords)]
    return [*node_ids, *(["-k", keywords[0]] if keywords else [])]


@dataclass
class _Test:
    phases: dict[str, dict[str, object]] = field(default_factory=dict)
    started: bool = False


def _outcome(test: _Test) -> tuple[Outcome, str]:
    setup, call, teardown = (test.phases.get(w) for w in ("setup", "call", "teardown"))
    if setup is not None and setup["outcome"] == "failed":
        return Outcome.ERROR, str(setup.get("message", ""))
    if setup is not None and setup["outcome"] == "skipped":
        return Outcome.SKIPPED, str(setup.get("message", ""))
    if call is None:
        return Outcome.ERROR, ""
    if call["outcome"] == "failed":
        return Outcome.FAILED, str(call.get("message", ""))
    if call["outcome"] == "skipped":
        return Outcome.SKIPPED, str(call.get("message", "")) or ("xfailed" if call.get("wasxfail") else "")
    if teardown is not None and teardown["outcome"] == "failed":
        return Outcome.ERROR, "teardown failed: " + str(teardown.get("message", ""))
    return Outcome.PASSED, ""


def parse_report(lines: Sequence[str], root: Path, *, timed_out: bool, timeout: float) -> tuple[list[TestResult], int | None]:
    """Per-test results from the plugin's JSON lines, node ids relative to `root`."""
    tests: dict[str, _Test] = {}
    collected: list[str] = []
    errors: list[TestResult] = []
    prefix = ""
    exit_status: int | None = None
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut short by the kill
        kind = event.get("event")
        if kind == "session" and event.get("rootdir"):
            rel = os.path.relpath(event["rootdir"], root)
            prefix = "" if rel == "." or rel.startswith("..") else rel.replace(os.sep, "/") + "/"
        elif kind == "collected":
            collected = list(event["nodeids"])
        elif kind == "collect_error":
            node = prefix + (event.get("nodeid") or "<collection>")
            errors.append(TestResult(node, Outcome.ERROR, 0.0, "collection failed: " + event.get("message", "")))
        elif kind == "start":
            tests.setdefault(event["nodeid"], _Test()).started = True
        elif kind == "report":
            tests.setdefault(event["nodeid"], _Test()).phases[event["when"]] = event
        elif kind == "finish":
            exit_status = int(event["exitstatus"])
    results = list(errors)
    for node in [*collected, *(n for n in tests if n not in collected)]:
        test = tests.get(node)
        if test is None or not test.phases:
            if timed_out:
                why = "hung: killed at the timeout" if test is not None else "not run: the timeout hit first"
                why = f"{why} ({timeout:g}s)"
            else:
                why = "did not finish: the test process died"
            results.append(TestResult(prefix + node, Outcome.ERROR, 0.0, why))
            continue
        outcome, message = _outcome(test)
        if outcome is Outcome.ERROR and not message and "call" not in test.phases:
            message = f"hung: killed at the timeout ({timeout:g}s)" if timed_out else "did not finish"
        duration = sum(float(p.get("duration", 0.0) or 0.0) for p in test.phases.values())  # type: ignore[arg-type]
        results.append(TestResult(prefix + node, outcome, round(duration, 6), message))
    return results, exit_status


class PytestRunner:
    """pytest with the repository's interpreter (its `.venv` if present, else ours)."""

    name = "pytest"

    def __init__(self, root: Path, python: str | None = None, extra_args: Sequence[str] = ()) -> None:
        self.root = Path(root).resolve()
        self.python = python or default_python(self.root)
        self.extra_args = tuple(extra_args)

    async def run(
        self, selection: Sequence[str], *, timeout: float, network: GuardMode | str = GuardMode.AUTO
    ) -> TestRun:
        check_timeout(timeout)
        args = pytest_arguments(self.root, selection)
        guard = await network_guard(network, python=True)
        with tempfile.TemporaryDirectory(prefix="swarm-pytest-") as tmp:
            report = Path(tmp) / "report.jsonl"
            env = scrubbed_environment(
                SWARM_TEST_REPORT=str(report),
                PYTHONPATH=os.pathsep.join(filter(None, [str(PLUGIN_DIR), os.environ.get("PYTHONPATH")])),
                PYTHONUNBUFFERED="1",
            )
            argv = [
                self.python, "-m", "pytest", "-p", "swarm_test_reporter", "-p", "no:cacheprovider",
                "--color=no", *self.extra_args, *args,
            ]  # fmt: skip
            process = await run_process(guard.wrap(argv), cwd=self.root, env=guard.environment(env), timeout=timeout)
            lines = report.read_text(encoding="utf-8", errors="replace").splitlines() if report.exists() else []
        results, _ = parse_report(lines, self.root, timed_out=process.timed_out, timeout=timeout)
        return TestRun(
            selection=tuple(selection),
            results=tuple(results),
            exit_code=process.exit_code,
            timed_out=process.timed_out,
            stdout_tail=process.stdout_tail,
            stderr_tail=process.stderr_tail,
            elapsed_s=round(process.elapsed_s, 3),
            network_guard=guard.mode.value,
            runner=self.name,
            note=_note(process, bool(lines), timeout, guard.note),
        )


def _note(process: ProcessResult, reported: bool, timeout: float, guard_note: str) -> str:
    notes: list[str] = []
    if process.timed_out:
        notes.append(f"killed at the {timeout:g}s timeout")
    elif process.exit_code in _EXIT_NOTES:
        notes.append(_EXIT_NOTES[process.exit_code])
    if not reported and not process.timed_out:
        last = (process.stderr_tail or process.stdout_tail).strip().splitlines()[-1:] or [""]
        notes.append(f"pytest did not start properly (is it installed for this interpreter?): {last[0][:300]}")
    if guard_note:
        notes.append(guard_note)
    return "; ".join(notes)
