"""PythonTracer: run one pytest selection with the trace plugin injected and
turn its journal into symbol ids.

The plugin (`_pytest_plugin.py`) runs in the target's own interpreter, which
may be older or newer than ours: it is copied into a temp dir on PYTHONPATH
under a name no project uses, and talks to us only through a journal file.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import trio

from editor_harness.tracing.call_table import CallTable
from editor_harness.tracing.errors import TestNotFound, TraceSetupError
from editor_harness.tracing.journal import ExceptionRecord, Frame, Journal, journal_text, parse_journal
from editor_harness.tracing.model import (
    Outcome,
    PanicFrame,
    PanicInfo,
    TracedTest,
    TraceOptions,
    TraceResult,
    located,
)
from editor_harness.tracing.notes import caveats
from editor_harness.tracing.process import Finished, child_env, run_in_group
from editor_harness.tracing.symbol_map import SymbolMap
from symbols.index import RepoIndex

PLUGIN_SOURCE = Path(__file__).with_name("_pytest_plugin.py")
PLUGIN_MODULE = "swarm_trace_plugin"
_FAULT_FRAME = re.compile(r'^\s+File "(?P<path>.+)", line (?P<line>\d+) in (?P<name>.+)$')
_TAIL_CHARS = 1500


def resolve_python(root: Path, python: str | None) -> str:
    """The interpreter to run the target's tests with: the one asked for,
    else the repository's own venv (`.venv`, `venv`), else ours."""
    if python:
        found = shutil.which(python)
        if found is None:
            raise TraceSetupError(f"no Python interpreter at {python!r}: give the path of the target's python")
        # Absolute, but not resolved: a venv's python is a symlink that must stay one.
        return os.path.abspath(found)
    for venv in (".venv", "venv"):
        candidate = root / venv / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable


def pytest_args(selection: str, root: Path) -> list[str]:
    """A node id or path goes to pytest as is; anything else is a -k expression."""
    head = selection.split("::", 1)[0]
    if "::" in selection or head.endswith(".py") or (root / head).exists():
        return [selection]
    return ["-k", selection]


@dataclass(frozen=True, slots=True)
class PytestCommand:
    argv: list[str]
    env: dict[str, str]
    journal: Path


def pytest_command(workdir: Path, root: Path, python: str, selection: str, options: TraceOptions,
                   trace: bool = True) -> PytestCommand:
    """The pytest run for `selection`, with the plugin copied into `workdir`
    (a scratch directory) when `trace`; without it, the same run untraced."""
    plugin_dir = workdir / "plugin"
    journal = workdir / "journal.jsonl"
    argv = [python, "-m", "pytest", *pytest_args(selection, root), "-p", "no:cacheprovider", "-q", "--tb=short"]
    extra = {"PYTHONUNBUFFERED": "1"}
    if trace:
        plugin_dir.mkdir(exist_ok=True)
        shutil.copyfile(PLUGIN_SOURCE, plugin_dir / f"{PLUGIN_MODULE}.py")
        argv[3:3] = ["-p", PLUGIN_MODULE]
        extra.update({
            "PYTHONPATH": os.pathsep.join(p for p in (str(plugin_dir), os.environ.get("PYTHONPATH", "")) if p),
            "SWARM_TRACE_OUT": str(journal),
            "SWARM_TRACE_ROOT": str(root),
            "SWARM_TRACE_MAX_CALLS": str(options.max_calls_recorded),
            "SWARM_TRACE_REPR_LIMIT": str(options.repr_limit),
        })
    return PytestCommand(argv, child_env(extra), journal)


class PythonTracer:
    language = "python"

    async def trace(self, index: RepoIndex, selection: str, options: TraceOptions) -> TraceResult:
        root = index.root
        python = resolve_python(root, options.python)
        with tempfile.TemporaryDirectory(prefix="swarm-trace-") as tmp:
            command = pytest_command(Path(tmp), root, python, selection, options)

            async def where_is_it_stuck(pid: int) -> None:
                os.kill(pid, signal.SIGUSR1)
                while '"e":"hang"' not in journal_text(command.journal):
                    await trio.sleep(0.05)

            finished = await run_in_group(command.argv, cwd=root, env=command.env, timeout=options.timeout,
                                          on_timeout=where_is_it_stuck)
            journal = parse_journal(journal_text(command.journal))
        _refuse_unusable(journal, finished, selection, python)
        return _result(SymbolMap(index), selection, journal, finished, options)


def _tail(text: str, chars: int = _TAIL_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= chars else "..." + text[-chars:]


def _refuse_unusable(journal: Journal, finished: Finished, selection: str, python: str) -> None:
    """Raise for runs that traced nothing because of how they were asked for."""
    output = finished.output
    if not journal.started and not finished.timed_out:
        if "No module named pytest" in output:
            raise TraceSetupError(f"{python} has no pytest: install pytest there, or pass the target's interpreter")
        if "ERROR: not found:" in output or "ERROR: file or directory not found:" in output:
            raise TestNotFound(f"no test matches {selection!r}: {_tail(output, 300)}")
        if "ImportError while loading conftest" not in output:
            raise TraceSetupError(f"pytest did not start under {python} (exit {finished.returncode}): {_tail(output)}")
    collect_errors = [e for e in journal.exceptions if e.when == "collect"]
    if journal.collected == 0 and not collect_errors and not finished.timed_out:
        raise TestNotFound(
            f"no test matches {selection!r}: pytest collected nothing. "
            "Give a node id such as tests/test_x.py::test_name, a test file, or a -k expression."
        )


def _result(symbols: SymbolMap, selection: str, journal: Journal, finished: Finished,
            options: TraceOptions) -> TraceResult:
    table = CallTable(options.max_calls_recorded)
    table.add_journal(symbols, journal)
    outcome = _outcome(journal, finished, _tests(journal, None))
    tests = _tests(journal, outcome if outcome in ("timeout", "crashed") else None)
    return TraceResult(
        selection=selection,
        language="python",
        outcome=outcome,
        symbols=table.traced(options.max_symbols),
        panic=_panic(symbols, journal, finished, options, outcome),
        elapsed_s=round(finished.elapsed_s, 3),
        truncated=len(table) > options.max_symbols,
        note=_note(journal, finished, outcome, len(table), options),
        tests=tests,
        tracer=f"{journal.tracer} (Python {journal.python})" if journal.started else "",
    )


def _tests(journal: Journal, cut_short: Outcome | None) -> tuple[TracedTest, ...]:
    """Each test's outcome; `cut_short` is what became of a test that never
    reported its call phase (the run timed out or crashed during it)."""
    outcomes: dict[str, Outcome] = {}
    durations: dict[str, float] = {}
    called = {r.test_id for r in journal.reports if r.when == "call" or r.outcome != "passed"}
    for report in journal.reports:
        durations[report.test_id] = durations.get(report.test_id, 0.0) + report.duration_s
        current = outcomes.get(report.test_id, "passed")
        if report.outcome == "failed":
            outcomes[report.test_id] = "failed" if report.when == "call" else "error"
        elif report.outcome == "skipped" and current == "passed":
            outcomes[report.test_id] = "skipped"
        else:
            outcomes.setdefault(report.test_id, "passed")
    if cut_short is not None:
        for test in journal.tests:
            if test.test_id not in called:
                outcomes[test.test_id] = cut_short
                durations.setdefault(test.test_id, 0.0)
    return tuple(TracedTest(t, o, round(durations[t], 6)) for t, o in outcomes.items())


def _outcome(journal: Journal, finished: Finished, tests: Iterable[TracedTest]) -> Outcome:
    if finished.timed_out:
        return "timeout"
    if journal.exit_status is None:
        return "crashed" if journal.started else "error"
    found = {t.outcome for t in tests}
    if "failed" in found:
        return "failed"
    if "error" in found or any(e.when == "collect" for e in journal.exceptions):
        return "error"
    if found == {"skipped"}:
        return "skipped"
    return "passed"


def _frames(symbols: SymbolMap, frames: Iterable[Frame]) -> tuple[PanicFrame, ...]:
    """Innermost first: the innermost frame wherever it is, then the repository's."""
    mapped = []
    for index, frame in enumerate(frames):
        rel = symbols.relative(frame.path)
        if rel is None and index > 0:
            continue
        symbol = symbols.at(frame.path, frame.line) if rel is not None else None
        mapped.append(PanicFrame(frame.name, rel or frame.path, frame.line, None, symbol.id if symbol else None))
    return tuple(mapped)


def _panic(symbols: SymbolMap, journal: Journal, finished: Finished, options: TraceOptions,
           outcome: Outcome) -> PanicInfo | None:
    if outcome == "timeout":
        frames = _frames(symbols, journal.hang or ())
        where = f"; interrupted in {frames[0].function}" if frames else ""
        return located("timeout", f"timed out after {options.timeout:g} s{where}", frames, _running_test(journal))
    if outcome == "crashed":
        return located("crash", _crash_message(finished), _frames(symbols, _fault_frames(finished.output)),
                        _running_test(journal))
    failure = _first_failure(journal.exceptions)
    if failure is not None:
        return located("exception", f"{failure.type}: {failure.message}", _frames(symbols, failure.frames),
                        failure.test_id or None)
    if outcome == "error" and not journal.started:
        return PanicInfo(kind="exception", message=_tail(finished.output))
    return None


def _first_failure(exceptions: Iterable[ExceptionRecord]) -> ExceptionRecord | None:
    ranked = sorted(exceptions, key=lambda e: {"call": 0, "setup": 1, "collect": 2}.get(e.when, 3))
    return ranked[0] if ranked else None


def _running_test(journal: Journal) -> str | None:
    return journal.tests[-1].test_id if journal.tests else None


def _crash_message(finished: Finished) -> str:
    fatal = next((line for line in finished.output.splitlines() if line.startswith("Fatal Python error")), None)
    if fatal:
        return fatal
    code = finished.returncode
    if code is not None and code < 0:
        try:
            return f"the test process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the test process was killed by signal {-code}"
    return f"the test process exited with status {code} before pytest finished"


def _fault_frames(output: str) -> list[Frame]:
    """The first stack faulthandler printed (most recent call first)."""
    frames: list[Frame] = []
    for line in output.splitlines():
        match = _FAULT_FRAME.match(line)
        if match:
            frames.append(Frame(match["path"], int(match["line"]), match["name"].strip()))
        elif frames:
            break
    return frames


def _note(journal: Journal, finished: Finished, outcome: Outcome, found: int, options: TraceOptions) -> str:
    parts = []
    if journal.started:
        parts.append(f"every call of repository code was counted with {journal.tracer} on Python {journal.python}; "
                     f"arguments and results of the first {options.max_calls_recorded} calls of each")
    if journal.counts is None and journal.started:
        parts.append("call counts are lower bounds: the process ended before reporting them")
    parts.extend(journal.notes)
    if journal.malformed_lines:
        parts.append(f"{journal.malformed_lines} unreadable journal lines skipped")
    parts.extend(caveats(outcome, options, found, finished.output_truncated))
    return "; ".join(parts) + "." if parts else ""
