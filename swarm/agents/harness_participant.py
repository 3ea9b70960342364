"""The `harness` on the bus: every proposal goes through it, one at a time.

For each `edit_proposal` it records the proposal, applies it tentatively
through the check pipeline (syntax -> diagnostics -> tests: the tests that
exercise the symbol plus the reproduction), sends the check report to the
author, asks the proxy user with the proof, and then keeps the edit
(recording the apply in the run log) or undoes it. An approved rewrite that
changed its symbol's signature sends `follow_up`s to the owners of its
references. Proposals wait in a queue meanwhile; the agents keep thinking.

An edit the workspace refused (it does not parse, names another symbol, is
stale) is not sent to the proxy user: there is nothing to approve. The
harness rejects it itself (policy "harness") with the refusal as the reason.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import trio

from editor_harness.diagnostics_types import Diagnostic, DiagnosticsDelta
from editor_harness.errors import HarnessError
from editor_harness.pipeline import CheckReport, Stage, StageStatus
from editor_harness.testrun import Outcome, TestRun
from swarm.agents.tools import references_of
from swarm.bus import Bus
from swarm.messages import Message, MessageKind, Role
from swarm.records import Verdict as RecordedVerdict
from swarm.records import content_hash
from swarm.runner.pause import pause_point
from swarm.runner.state import Approved, RunState

NAVIGATION_TIMEOUT_S = 30.0
MAX_FOLLOW_UPS = 8
MAX_SELECTED_TESTS = 30


@dataclass(slots=True)
class _Wait:
    done: trio.Event = field(default_factory=trio.Event)
    reply: Message | None = None


def file_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff of one file (git-style a/ b/ names)."""
    old = before.decode("utf-8", "replace").splitlines(keepends=True)
    new = after.decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))


def only(run: TestRun | None, path: str) -> TestRun | None:
    """The part of a test run about one test file (the reproduction)."""
    if run is None:
        return None
    results = tuple(r for r in run.results if r.node_id.split("::", 1)[0] == path)
    if not results:
        return None
    failed = any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in results)
    # The exit code is the whole run's; this part's own is what its results say.
    return replace(run, selection=(path,), results=results, exit_code=(run.exit_code or 1) if failed else 0)


def _restore(file: Path, content: bytes | None) -> None:
    """Put back a file's bytes as they were before an undecided edit."""
    try:
        if content is None:
            file.unlink(missing_ok=True)
        elif _read(file) != content:
            file.write_bytes(content)
    except OSError:
        pass  # the run is ending; resume resets the checkout anyway


def runner_groups(selection: Sequence[str]) -> list[list[str]]:
    """Python and Rust tests run separately (one runner each)."""
    python = [s for s in selection if s.split("::", 1)[0].endswith(".py")]
    other = [s for s in selection if s not in python]
    return [group for group in (python, other) if group]


class HarnessParticipant:
    def __init__(self, state: RunState) -> None:
        self.state = state
        self._send, self._receive = trio.open_memory_channel[Message](math.inf)
        self._verdicts: dict[str, _Wait] = {}
        # Each agent's latest proposal: (approved, reason); the final request lists the rejected.
        self.latest: dict[str, tuple[bool, str]] = {}
        # Held while a proposal is applied and judged, and by the final checks:
        # the workspace holds one tentative edit at a time.
        self.lock = trio.Lock()

    @property
    def address(self) -> str:
        return Role.HARNESS.value

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind is MessageKind.EDIT_PROPOSAL:
            self._send.send_nowait(message)
        elif message.kind in (MessageKind.APPROVAL, MessageKind.REJECTION):
            wait = self._verdicts.pop(message.in_reply_to or "", None)
            if wait is not None:
                wait.reply = message
                wait.done.set()
        # done / give_up replies to follow-ups are in the log; nothing to do.

    async def work(self) -> None:
        """The worker: proposals in arrival order (run it in the run's nursery)."""
        async for message in self._receive:
            async with self.lock:
                await self._process(message)

    @property
    def _bus(self) -> Bus:
        assert self.state.bus is not None
        return self.state.bus

    # -- tests ---------------------------------------------------------------

    def selection_for(self, symbol_id: str) -> list[str]:
        """Tests that exercise the symbol, plus the reproduction."""
        state = self.state
        chosen: list[str] = []
        try:
            chosen = [t.node_id for t in state.workspace.select_tests(symbol_id, limit=MAX_SELECTED_TESTS)]
        except HarnessError:
            chosen = []
        if state.reproduction is not None:
            chosen.extend(t for t in state.reproduction.selection if t not in chosen)
        return chosen

    async def run(self, selection: Sequence[str]) -> list[TestRun]:
        state = self.state
        python = str(state.request.interpreter) if state.request.interpreter else None
        runs = []
        for group in runner_groups(selection):
            runs.append(await state.workspace.run_tests(group, timeout=state.limits.test_timeout_s, python=python))
        return runs

    async def baseline(self, selection: Sequence[str]) -> None:
        """Run tests never run before, so a later failure can be named a regression
        (and the pipeline learns which cannot be collected on the base: it leaves them out)."""
        state = self.state
        pipeline = state.session.pipeline
        unknown = [
            t for t in selection
            if state.accepted_run([t]) is None and t not in pipeline.uncollectable and not _is_file_selection(t, state)
        ]
        if not unknown:
            return
        for run in await self.run(unknown):
            for part in await pipeline.learn_base(run):
                state.remember_base(part)

    # -- one proposal --------------------------------------------------------

    async def _process(self, message: Message) -> None:
        state, body = self.state, message.body
        proposal_id, symbol_id = body["proposal_id"], body["symbol_id"]
        op = body.get("op") if body.get("op") in ("insert", "delete") else "rewrite"
        state.runlog.record_proposal_message(message)
        await pause_point("proposed")
        state.emit("proposal", f"{proposal_id}: {message.sender} proposes a {op} of {symbol_id}",
                   proposal_id=proposal_id, symbol_id=symbol_id, author=message.sender, op=op)
        if message.sender != symbol_id:
            await self._refuse(message, f"{message.sender} may only {op} its own symbol, not {symbol_id}")
            return
        workspace = state.workspace
        path = symbol_id.partition("::")[0]
        old_signature = ""
        try:
            old_signature = workspace.symbol(symbol_id).signature
        except HarnessError:
            pass
        tests = self.selection_for(symbol_id)
        await self.baseline(tests)
        tests_before = state.accepted_run(tests)
        before = _read(workspace.root / path)
        pipeline = state.session.pipeline
        try:
            # Only the owner rewrites a symbol, so a file version moved on by other
            # symbols' edits is no conflict: the base version is kept for the record.
            if op == "insert":
                report = await pipeline.insert_and_check(symbol_id, body["new_source"], after=body.get("after"),
                                                         tests=tests or None)
            elif op == "delete":
                report = await pipeline.delete_and_check(symbol_id, tests=tests or None)
            else:
                report = await pipeline.rewrite_and_check(symbol_id, body["new_source"], None, tests=tests or None)
            sent = await self._bus.reply(message, MessageKind.CHECK_REPORT,
                                         {"proposal_id": proposal_id, "report": report.to_json(), "passed": report.ok})
            state.runlog.record_check_report(state.run_id, proposal_id, report.to_json(), report.ok, message_id=sent.id)
            await pause_point("checked")
            state.emit("check", f"{proposal_id}: checks {'passed' if report.ok else 'failed'}: "
                       + "; ".join(f"{s.name} {s.status.value}" for s in report.stages),
                       proposal_id=proposal_id, ok=report.ok, stages={s.name: s.status.value for s in report.stages})
            if not report.applied or report.edit is None:
                await self._refuse(message, f"the harness refused the edit: {report.syntax.summary}")
                return
            after = _read(workspace.root / path)
            repro = state.reproduction
            verdict = await self._ask(message, {
                "proposal_id": proposal_id,
                "symbol_id": symbol_id,
                "diff": file_diff(path, before or b"", after or b""),
                "rationale": body["rationale"],
                "report": report.to_json(),
                "new_source": body["new_source"],
                "attempt": int(body.get("attempt", 1)),
                "final": False,
                "reproduction_before": repro.before.to_json() if repro else None,
                "reproduction_after": _json(only(report.test_run, repro.path)) if repro else None,
                "tests_before": _json(tests_before),
            })
        except trio.Cancelled:
            # The run ended (budget, Ctrl-C, a quit at the approval prompt) while
            # the edit was applied but undecided: take it back, so the run's patch
            # holds approved edits only.
            _restore(workspace.root / path, before)
            raise
        reason = verdict.body["reason"]
        self.latest[message.sender] = (verdict.kind is MessageKind.APPROVAL, reason)
        await pause_point("decided")
        if verdict.kind is MessageKind.APPROVAL:
            # The file already holds the edit (applied tentatively for the checks):
            # the intent records both hashes, so a resume can tell what happened.
            state.runlog.begin_apply(state.run_id, proposal_id, path, content_hash(before), content_hash(after))
            await pause_point("applying")
            state.runlog.finish_apply(state.run_id, proposal_id)
            await pause_point("applied")
            state.approved.append(Approved(proposal_id, symbol_id, message.sender, body["rationale"]))
            state.remember_accepted(report.test_run)
            state.runlog.set_patch(state.run_id, await state.checkout.diff(tuple(state.new_files)))
            await self._bus.reply(message, MessageKind.APPROVAL, {"proposal_id": proposal_id, "reason": reason})
            if op == "rewrite":
                await self._follow_ups(symbol_id, old_signature)
        else:
            await state.session.pipeline.undo(report.edit)
            await self._bus.reply(message, MessageKind.REJECTION, {"proposal_id": proposal_id, "reason": reason})

    async def _ask(self, message: Message, body: Mapping[str, Any]) -> Message:
        """Send the approval request to the proxy user and wait for its verdict."""
        wait = _Wait()
        request = await self._bus.send(MessageKind.APPROVAL_REQUEST, self.address, Role.PROXY_USER.value, body,
                                       in_reply_to=message.id)
        self._verdicts[request.id] = wait
        await wait.done.wait()
        assert wait.reply is not None
        return wait.reply

    async def _refuse(self, message: Message, reason: str) -> None:
        state, proposal_id = self.state, message.body["proposal_id"]
        self.latest[message.sender] = (False, reason)
        sent = await self._bus.reply(message, MessageKind.REJECTION, {"proposal_id": proposal_id, "reason": reason})
        state.runlog.record_verdict(state.run_id, proposal_id, RecordedVerdict.REJECTED, reason, "harness", message_id=sent.id)
        state.emit("verdict", f"{proposal_id}: rejected by the harness: {reason}",
                   proposal_id=proposal_id, approved=False, reason=reason, policy="harness")

    async def _follow_ups(self, symbol_id: str, old_signature: str) -> None:
        state = self.state
        try:
            new_signature = state.workspace.symbol(symbol_id).signature
        except HarnessError:
            return
        if not old_signature or new_signature == old_signature:
            return
        owners: list[str] = []
        with trio.move_on_after(NAVIGATION_TIMEOUT_S):
            try:
                found_all = await references_of(state, symbol_id)
            except HarnessError as exc:
                # Follow-ups are a courtesy: a navigation that cannot answer never ends the run.
                state.emit("note", f"follow-up: no references to {symbol_id} ({exc})", symbol_id=symbol_id)
                found_all = []
            for found in found_all:
                owner = found.symbol_id
                if owner and owner != symbol_id and owner not in owners and not owner.endswith("::<module>"):
                    owners.append(owner)
        for owner in owners[:MAX_FOLLOW_UPS]:
            state.emit("note", f"follow-up: {symbol_id} changed its signature; asking {owner} to adapt",
                       symbol_id=symbol_id, owner=owner)
            await self._bus.send(MessageKind.FOLLOW_UP, self.address, owner, {
                "reason": f"{symbol_id} changed its signature and your code uses it",
                "changed_symbol": symbol_id,
                "old_signature": old_signature,
                "new_signature": new_signature,
            })

    # -- the final acceptance's evidence ---------------------------------------

    async def final_report(self) -> tuple[CheckReport, TestRun | None, str]:
        """(checks of the whole patch, the reproduction's run on it, the patch)."""
        state = self.state
        started = trio.current_time()
        selection: list[str] = []
        for approved in state.approved:
            for test in self.selection_for(approved.symbol_id):
                if test not in selection:
                    selection.append(test)
        if state.reproduction is not None:
            selection.extend(t for t in state.reproduction.selection if t not in selection)
        pipeline = state.session.pipeline
        kept, notes = pipeline.collectable(selection)
        selection = list(kept)
        runs = await self.run(selection) if selection else []
        merged = _merge(runs)
        regressions = tuple(
            r.node_id for r in (merged.failures() if merged else ()) if state.base_outcomes.get(r.node_id) is Outcome.PASSED
        )
        if merged is not None:
            merged, regressions, flaky = await pipeline.confirmed(merged, regressions)
            notes.extend(flaky)
        fixes = tuple(
            r.node_id for r in (merged.results if merged else ())
            if r.outcome is Outcome.PASSED and state.base_outcomes.get(r.node_id) in (Outcome.FAILED, Outcome.ERROR)
        )
        delta = _approved_delta(state)
        introduced = len(delta.introduced_errors)
        patch = await state.checkout.diff(tuple(state.new_files))
        if merged is None:
            tests = Stage("tests", StageStatus.SKIPPED, 0.0, "no tests selected for the changed symbols")
        else:
            status = StageStatus.PASSED if merged.ok else StageStatus.FAILED
            tests = Stage("tests", status, merged.elapsed_s, merged.summary())
        diagnostics = Stage(
            "diagnostics",
            StageStatus.FAILED if introduced else StageStatus.PASSED,
            0.0,
            f"{introduced} new error(s) over the approved edits" if introduced else "no new errors over the approved edits",
        )
        report = CheckReport(
            symbol_id="",
            path="",
            base_version=None,
            new_version=None,
            applied=True,
            syntax=Stage("syntax", StageStatus.PASSED, 0.0, f"{len(state.approved)} approved edit(s), each parsed"),
            diagnostics=diagnostics,
            tests=tests,
            elapsed_s=trio.current_time() - started,
            test_run=merged,
            selected_tests=tuple(selection),
            regressions=regressions,
            fixes=fixes,
            notes=tuple(notes),
            # The approved edits' own deltas, so the final acceptance weighs
            # diagnostics by the rules each edit was approved under.
            delta=delta,
        )
        repro = only(merged, state.reproduction.path) if state.reproduction else None
        return report, repro, patch


def _is_file_selection(test: str, state: RunState) -> bool:
    # The reproduction's base run is recorded when it is written.
    return state.reproduction is not None and test in state.reproduction.selection


def _merge(runs: Sequence[TestRun]) -> TestRun | None:
    if not runs:
        return None
    first = runs[0]
    if len(runs) == 1:
        return first
    return TestRun(
        selection=tuple(s for r in runs for s in r.selection),
        results=tuple(x for r in runs for x in r.results),
        exit_code=max((r.exit_code for r in runs if r.exit_code is not None), default=None),
        timed_out=any(r.timed_out for r in runs),
        stdout_tail=runs[-1].stdout_tail,
        stderr_tail=runs[-1].stderr_tail,
        elapsed_s=sum(r.elapsed_s for r in runs),
        network_guard=first.network_guard,
        runner="+".join(r.runner for r in runs),
        note="; ".join(r.note for r in runs if r.note),
    )


def _approved_delta(state: RunState) -> DiagnosticsDelta:
    """What the approved edits introduced and fixed, as their check reports said."""
    introduced: list[Diagnostic] = []
    fixed: list[Diagnostic] = []
    known: dict[str, set[str]] = {}
    approved = {a.proposal_id for a in state.approved}
    for check in state.runlog.check_reports(state.run_id):
        if check.proposal_id not in approved or not check.report.get("diagnostics_delta"):
            continue
        delta = DiagnosticsDelta.from_json(dict(check.report["diagnostics_delta"]))
        introduced.extend(delta.introduced)
        fixed.extend(delta.fixed)
        for path, codes in delta.known_codes.items():
            known.setdefault(path, set()).update(codes)
    return DiagnosticsDelta(tuple(introduced), tuple(fixed), source="the approved edits' checks", elapsed_s=0.0,
                            known_codes={path: tuple(sorted(codes)) for path, codes in known.items()})


def _read(path: Any) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _json(run: TestRun | None) -> dict[str, Any] | None:
    return run.to_json() if run is not None else None

