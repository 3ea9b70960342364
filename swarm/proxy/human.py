"""The `human` policy: you decide at a terminal prompt.

    proxy = HumanProxy()                                   # the terminal
    proxy = HumanProxy(Console(file=buffer, record=True), input=lines)   # tests

Each proposal is drawn with rich: what it is and why, the diff
(syntax-highlighted), a table of the check stages with status and timing,
new diagnostics, failing tests, the reproduction test before and after, and
what the automatic rules say. Then `[a]pprove / [r]eject / [d]iff again /
[q]uit`; a rejection asks for the reason the agent will see; `q` raises
ProxyQuit, which the run driver turns into a cancelled run (state kept).
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Callable

import trio
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from editor_harness.pipeline import CheckReport, StageStatus
from editor_harness.testrun import Outcome, TestRun
from swarm.protocols import ApprovalRequest, Verdict
from swarm.proxy.auto import Assessment, assess, first_line, regressed_tests
from swarm.proxy.errors import ProxyError, ProxyQuit
from swarm.proxy.settings import ProxySettings

POLICY = "human"
PROMPT = "[a]pprove / [r]eject / [d]iff again / [q]uit: "
# The first view shows this much of a long diff; `d` shows all of it.
DIFF_PREVIEW_LINES = 80
ISSUE_PREVIEW_LINES = 12
FAILURES_SHOWN = 8

# Reads one line (without the prompt, which is drawn on the console);
# raises EOFError at the end of input. May be sync or async.
LineReader = Callable[[], "str | Awaitable[str]"]

_STATUS_STYLE = {
    StageStatus.PASSED: "bold green",
    StageStatus.FAILED: "bold red",
    StageStatus.ERROR: "bold magenta",
    StageStatus.SKIPPED: "dim",
}
_OUTCOME_STYLE = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.ERROR: "magenta", Outcome.SKIPPED: "dim"}


class HumanProxy:
    """A person at a terminal as the proxy user.

    `console` defaults to the terminal's stderr, so a patch printed on
    stdout can be piped while the prompt stays visible. `input` replaces
    the terminal read (tests, other front ends); without it stdin must be a
    terminal.
    """

    def __init__(
        self,
        console: Console | None = None,
        input: LineReader | None = None,  # noqa: A002 - the brief's name for it
        *,
        settings: ProxySettings | None = None,
    ) -> None:
        if input is None and not _stdin_is_terminal():
            raise ProxyError("the human proxy needs a terminal; use --proxy auto or llm")
        self.console = console or Console(stderr=True)
        self.read_line: LineReader = input or _read_terminal_line
        self.settings = settings or ProxySettings()

    @property
    def name(self) -> str:
        return POLICY

    async def decide(self, request: ApprovalRequest) -> Verdict:
        assessment = assess(request, self.settings)
        self.console.print(render_request(request, assessment))
        while True:
            answer = (await self._ask(PROMPT)).strip().lower()
            if answer in ("a", "approve"):
                return Verdict(True, "approved at the terminal", POLICY)
            if answer in ("r", "reject"):
                return Verdict(False, await self._reason(), POLICY)
            if answer in ("d", "diff"):
                self.console.print(render_diff(request.diff, max_lines=None))
            elif answer in ("q", "quit"):
                raise ProxyQuit(f"you quit at the approval of proposal {request.proposal_id}: the run is cancelled; "
                                f"resume it with `swarm run --resume {request.run_id}`")
            else:
                self.console.print(f"[yellow]Please answer a, r, d or q (you typed {escape(answer)!r}).[/]")

    async def _reason(self) -> str:
        while True:
            reason = (await self._ask("Why reject it? (the agent sees this): ")).strip()
            if reason:
                return reason
            self.console.print("[yellow]A rejection needs a reason, so that the agent knows what to change.[/]")

    async def _ask(self, prompt: str) -> str:
        self.console.print(prompt, end="", markup=False, highlight=False)
        try:
            line = self.read_line()
            if inspect.isawaitable(line):
                line = await line
        except EOFError:
            self.console.print()
            raise ProxyQuit("the terminal closed at the approval prompt: the run is cancelled and can be resumed") from None
        if self.read_line is not _read_terminal_line:
            self.console.print(line, markup=False, highlight=False)  # echo what was typed, as a terminal would
        return line


async def _read_terminal_line() -> str:
    # The one blocking read: the terminal's stdin has no async interface that
    # leaves the tty as the user's shell expects (trio's FdStream would make it
    # non-blocking), and this thread only waits for a keystroke, so the
    # agents, servers and test runs go on meanwhile. abandon_on_cancel lets a
    # cancelled run stop waiting without a key press.
    return await trio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True) or _eof()


def _eof() -> str:
    raise EOFError


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed stdin
        return False


# ---------------------------------------------------------------- rendering


def render_request(request: ApprovalRequest, assessment: Assessment) -> RenderableType:
    """Everything the person needs to decide, top to bottom."""
    if request.final:
        title = f"Final acceptance of run {request.run_id}: the whole patch"
    else:
        title = f"Proposal {request.proposal_id}: rewrite of {request.symbol_id}"
    if request.attempt > 1:
        title += f" (attempt {request.attempt})"
    parts: list[RenderableType] = [
        _section("Issue", _preview(request.issue, ISSUE_PREVIEW_LINES)),
        _section("Rationale", request.rationale.strip() or "(none given)"),
        render_diff(request.diff, max_lines=DIFF_PREVIEW_LINES),
        render_checks(request.report),
    ]
    failing = render_failures(request)
    if failing is not None:
        parts.append(failing)
    parts.append(render_reproduction(request.reproduction_before, request.reproduction_after))
    parts.append(render_rules(assessment))
    spaced: list[RenderableType] = []
    for part in parts:
        spaced += [part, Text("")]
    return Panel(Group(*spaced[:-1]), title=escape(title), title_align="left", border_style="cyan")


def render_diff(diff: str, *, max_lines: int | None) -> RenderableType:
    lines = diff.strip("\n").splitlines()
    if not lines:
        return Text("Diff: empty, the change does nothing", style="bold red")
    shown = lines if max_lines is None or len(lines) <= max_lines else lines[:max_lines]
    syntax = Syntax("\n".join(shown), "diff", theme="ansi_dark", word_wrap=True, background_color="default")
    if len(shown) < len(lines):
        more = Text(f"… {len(lines) - len(shown)} more diff lines: answer d to see them all", style="yellow")
        return Group(Text("Diff", style="bold"), syntax, more)
    return Group(Text("Diff", style="bold"), syntax)


def render_checks(report: CheckReport) -> Table:
    table = Table(title="Checks", title_justify="left", expand=False)
    table.add_column("stage")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("summary", overflow="fold")
    for stage in report.stages:
        table.add_row(stage.name, Text(stage.status.value, style=_STATUS_STYLE[stage.status]),
                      f"{stage.elapsed_s:.2f}s", stage.summary)
    if report.delta is not None:
        for diagnostic in report.delta.introduced[:FAILURES_SHOWN]:
            style = "red" if diagnostic.severity == "error" else "yellow"
            table.add_row("", Text(f"+ {diagnostic.severity}", style=style), "",
                          f"{diagnostic.path}:{diagnostic.line} {diagnostic.message}")
    return table


def render_failures(request: ApprovalRequest) -> Table | None:
    run = request.report.test_run
    if run is None or not run.failures():
        return None
    table = Table(title="Failing tests", title_justify="left")
    table.add_column("test", overflow="fold")
    table.add_column("outcome")
    table.add_column("before")
    table.add_column("message", overflow="fold")
    regressed = {r.node_id for r in regressed_tests(request, run)}
    for result in run.failures()[:FAILURES_SHOWN]:
        if result.node_id in regressed:
            before = Text("passed (regression)", style="bold red")
        else:
            before = _outcome(request.tests_before, result.node_id) if request.tests_before else Text("")
        table.add_row(result.node_id, Text(result.outcome.value, style=_OUTCOME_STYLE[result.outcome]),
                      before, first_line(result.message))
    hidden = len(run.failures()) - FAILURES_SHOWN
    if hidden > 0:
        table.caption = f"and {hidden} more"
    return table


def render_reproduction(before: TestRun | None, after: TestRun | None) -> RenderableType:
    if before is None and after is None:
        return Text("Reproduction: no reproduction test for this proposal", style="dim")
    table = Table(title="Reproduction", title_justify="left")
    table.add_column("test", overflow="fold")
    table.add_column("before")
    table.add_column("after")
    names = dict.fromkeys(r.node_id for run in (before, after) if run is not None for r in run.results)
    for node_id in names:
        table.add_row(node_id, _outcome(before, node_id), _outcome(after, node_id))
    if not names:
        table.add_row("(no results)", before.summary() if before else "not run", after.summary() if after else "not run")
    if after is not None and after.timed_out:
        table.caption = f"the run after was killed at its timeout ({after.elapsed_s:.1f}s)"
    return table


def render_rules(assessment: Assessment) -> RenderableType:
    verdict = "approve" if assessment.approved else "reject"
    lines = [Text(f"The automatic rules would {verdict}:", style="bold green" if assessment.approved else "bold red")]
    lines += [Text(f"  ✗ {finding.describe()}", style="red") for finding in assessment.failures]
    lines += [Text(f"  · {finding.describe()}", style="dim") for finding in assessment.notes]
    return Text("\n").join(lines)


def _outcome(run: TestRun | None, node_id: str) -> Text:
    if run is None:
        return Text("not run", style="dim")
    outcome = run.outcome_of(node_id)
    if outcome is None:
        return Text("timed out" if run.timed_out else "absent", style="magenta")
    return Text(outcome.value, style=_OUTCOME_STYLE[outcome])


def _section(title: str, body: str) -> RenderableType:
    return Group(Text(title, style="bold"), Text(body))


def _preview(text: str, max_lines: int) -> str:
    lines = text.strip().splitlines()
    if len(lines) <= max_lines:
        return "\n".join(lines)
    return "\n".join(lines[:max_lines]) + f"\n… ({len(lines) - max_lines} more lines)"
