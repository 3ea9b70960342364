"""The coordinator: reads the issue, localizes, writes the reproduction,
assigns symbols to their agents, waits for their reports and asks the proxy
user to accept the whole patch.

    outcome = await coordinator.run_pass(lesson="")   # ("accepted" | "gave_up", text)

Like a symbol agent, its `handle` never waits: agents' `done`/`give_up`
reports and the final verdict are queued for the thinking pass, whose
`wait()` and `finish()` tools wait for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import trio

from swarm.agents.context import coordinator_task, is_large
from swarm.agents.harness_participant import HarnessParticipant
from swarm.agents.loop import RUN_ENDING, Conversation, run_turns
from swarm.agents.tools import STR, Tool, Toolbox, ToolResult, describe_run, reading_tools, resolve_symbol, shorten, spec
from swarm.bus import Bus
from swarm.messages import Message, MessageKind, Role
from swarm.models.errors import BudgetExceeded
from swarm.prompts import render
from swarm.protocols import ChatMessage, Outstanding
from swarm.runner.state import Reproduction, RunState
from symbols.locate import locate
from symbols.repomap import repo_map

WAIT_TIMEOUT_S = 1800.0
REPRO_RULE_ON = " No edit is accepted before it."
REPRO_RULE_OFF = " (Optional in this run.)"


@dataclass(slots=True)
class _Final:
    done: trio.Event = field(default_factory=trio.Event)
    reply: Message | None = None


class Coordinator:
    def __init__(self, state: RunState, harness: HarnessParticipant) -> None:
        self.state = state
        self.harness = harness
        self.model = state.models["coordinator"].for_agent(Role.COORDINATOR.value)
        self.assigned: dict[str, str] = {}      # symbol id -> id of its open task message
        self.reports: list[Message] = []        # agents' done / give_up not yet read
        self.gave_up: dict[str, str] = {}       # symbol id -> reason of its latest task's give_up
        self._report_arrived = trio.Event()
        self._finals: dict[str, _Final] = {}
        self._final_count = 0
        self._ending: tuple[str, str] | None = None
        self.toolbox = Toolbox([*reading_tools(state), *self._own_tools()])

    @property
    def address(self) -> str:
        return Role.COORDINATOR.value

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind in (MessageKind.DONE, MessageKind.GIVE_UP):
            if self.assigned.get(message.sender) == message.in_reply_to:
                del self.assigned[message.sender]
            if message.kind is MessageKind.GIVE_UP:
                self.gave_up[message.sender] = str(message.body.get("reason", ""))
            else:
                self.gave_up.pop(message.sender, None)
            self.reports.append(message)
            self._report_arrived.set()
        elif message.kind in (MessageKind.APPROVAL, MessageKind.REJECTION):
            final = self._finals.pop(message.in_reply_to or "", None)
            if final is not None:
                final.reply = message
                final.done.set()

    @property
    def _bus(self) -> Bus:
        assert self.state.bus is not None
        return self.state.bus

    # -- one pass ------------------------------------------------------------

    async def run_pass(self, lesson: str = "") -> tuple[str, str]:
        """One attempt at the issue: ("accepted", summary) or ("gave_up", reason).
        Raises BudgetExceeded when the budget runs out."""
        state = self.state
        rule = REPRO_RULE_ON if state.request.reproduce else REPRO_RULE_OFF
        task = coordinator_task(state, lesson)
        if state.request.focus:
            task += f"\nThe user asks for the fix in {state.request.focus}: assign it there."
        conversation = Conversation([ChatMessage("system", render("coordinator", repro_rule=rule)), ChatMessage("user", task)])
        self._ending = None
        state.set_agent(self.address, "working")
        end = await run_turns(
            self.model,
            conversation,
            self.toolbox,
            max_steps=state.limits.coordinator_steps,
            max_malformed=state.limits.malformed_in_a_row,
            on_completion=lambda _: state.spend_event(),
        )
        state.set_agent(self.address, "idle")
        if end.kind == "terminal" and self._ending is not None:
            return self._ending
        return "gave_up", f"the coordinator stopped: {end.text}"

    # -- tools -----------------------------------------------------------------

    def _own_tools(self) -> list[Tool]:
        return [
            Tool(spec("locate", "Rank the symbols most related to a text.", {"query": STR}, ["query"]), self._locate),
            Tool(spec("repo_map", "Map of the repository's main symbols toward a focus text.", {"focus": STR}), self._repo_map),
            Tool(
                spec(
                    "write_reproduction",
                    "Write a NEW test file that fails now for the issue's reason, and run it.",
                    {"path": {"type": "string", "description": "e.g. tests/test_swarm_repro.py or tests/swarm_repro.rs"}, "source": STR},
                    ["path", "source"],
                ),
                self._write_reproduction,
            ),
            Tool(
                spec("assign", "Give a symbol's agent a task.", {"symbol_id": STR, "instruction": STR}, ["symbol_id", "instruction"]),
                self._assign,
            ),
            Tool(spec("wait", "Wait for the assigned agents' reports."), self._wait),
            Tool(spec("finish", "Ask the proxy user to accept the whole patch.", {"summary": STR}, ["summary"]), self._finish),
            Tool(spec("give_up", "The issue cannot be fixed.", {"reason": STR}, ["reason"]), self._give_up, terminal=True),
        ]

    async def _locate(self, args: Mapping[str, Any]) -> str:
        index = self.state.workspace.index
        found = locate(index, str(args["query"]), 8)
        return "\n".join(f"{f.symbol_id} ({f.path}:{f.start_line})" for f in found) or "nothing related found"

    async def _repo_map(self, args: Mapping[str, Any]) -> str:
        return repo_map(self.state.workspace.index, focus=str(args.get("focus", "")), tokens=600) or "(empty)"

    async def _write_reproduction(self, args: Mapping[str, Any]) -> str:
        state = self.state
        path = PurePosixPath(str(args["path"]).strip().lstrip("./"))
        rel = path.as_posix()
        if path.is_absolute() or ".." in path.parts or not rel:
            return "error: give a path relative to the repository, inside it (e.g. tests/test_swarm_repro.py)"
        if path.suffix == ".py" and not (path.name.startswith("test_") or path.stem.endswith("_test")):
            return "error: name the file test_*.py so pytest collects it"
        if path.suffix == ".rs" and (not path.parts or path.parts[0] != "tests"):
            return "error: put a Rust reproduction under tests/ (e.g. tests/swarm_repro.rs) so cargo runs it"
        if path.suffix not in (".py", ".rs"):
            return "error: a reproduction is a .py (pytest) or .rs (cargo test) file"
        target = state.workspace.root / rel
        if target.exists() and rel not in state.new_files:
            return f"error: {rel} already exists; the reproduction must be a NEW file (pick another name)"
        if state.approved:
            return "error: edits were already approved; the reproduction must be written before the first edit"
        source = str(args["source"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source if source.endswith("\n") else source + "\n", encoding="utf-8")
        if rel not in state.new_files:
            state.new_files.append(rel)
        selection = reproduction_selection(state, rel)
        run = await state.workspace.run_tests(list(selection), timeout=state.limits.test_timeout_s,
                                              python=str(state.request.interpreter) if state.request.interpreter else None)
        outcome = describe_run(run)
        failed = [r for r in run.results if r.outcome.value == "failed"]
        if failed:
            state.reproduction = Reproduction(rel, selection, source, run)
            state.remember_base(run)
            state.runlog.record_event(state.run_id, "swarm.reproduction",
                                      {"path": rel, "selection": list(selection), "source": source, "run": run.to_json()})
            state.emit("note", f"reproduction {rel}: {run.summary()} on the base (as it must)", path=rel, summary=run.summary())
            return f"reproduction recorded: it fails on the current code.\n{outcome}\nIf this is not the issue's failure, write it again."
        target.unlink(missing_ok=True)
        state.new_files.remove(rel)
        if run.results and not run.failures():
            return f"not a reproduction: it passes on the current code.\n{outcome}\nWrite a test that fails the way the issue describes."
        return f"the test did not run (it must compile and fail, not error).\n{outcome}"

    async def _assign(self, args: Mapping[str, Any]) -> str:
        state = self.state
        if state.request.reproduce and state.reproduction is None:
            return "error: write a failing reproduction first (write_reproduction), then assign"
        symbol_id = resolve_symbol(state, str(args["symbol_id"]))
        symbol = state.workspace.symbol(symbol_id)
        if symbol.children and is_large(state, symbol_id):
            children = ", ".join(symbol.children[:12])
            return f"error: {symbol_id} is too large to rewrite whole; assign one of its members instead: {children}"
        if symbol_id in self.assigned:
            return f"{symbol_id} is already working on a task; call wait()"
        live = set(state.agent_status) - {Role.COORDINATOR.value, Role.PROXY_USER.value}
        if symbol_id not in live and len(live) >= state.limits.max_agents:
            return f"error: the run already has {len(live)} symbol agents (the limit); wait() for reports first"
        instruction = str(args["instruction"]).strip()
        if not instruction:
            return "error: the instruction is empty"
        task = await self._bus.send(MessageKind.TASK, self.address, symbol_id, {"instruction": instruction})
        self.assigned[symbol_id] = task.id
        state.emit("note", f"assigned {symbol_id}: {instruction[:120]}", symbol_id=symbol_id)
        return f"assigned {symbol_id}. Call wait() for its report."

    async def _wait(self, args: Mapping[str, Any]) -> str:
        if not self.reports and not self.assigned:
            return "nothing to wait for: no agent is working. assign a symbol, finish(summary) or give_up(reason)"
        self.state.set_agent(self.address, "waiting")
        with trio.move_on_after(WAIT_TIMEOUT_S):
            while not self.reports:
                self._report_arrived = trio.Event()
                await self._report_arrived.wait()
        self.state.set_agent(self.address, "working")
        reports, self.reports = self.reports, []
        lines = [f"- {m.sender} {m.kind.value}: {m.body['reason']}" for m in reports] or ["(no report yet)"]
        if self.state.approved:
            lines.append("Approved edits so far: " + ", ".join(f"{a.symbol_id} ({a.proposal_id})" for a in self.state.approved))
        if self.assigned:
            lines.append("Still working: " + ", ".join(self.assigned))
        return shorten("\n".join(lines))

    async def _finish(self, args: Mapping[str, Any]) -> str | ToolResult:
        state = self.state
        summary = str(args["summary"]).strip() or "fixed"
        if not state.approved:
            return "error: no edit has been approved yet, so there is nothing to accept. assign the fix, or give_up(reason)"
        if self.assigned:
            return "error: agents are still working (" + ", ".join(self.assigned) + "); call wait() first"
        state.set_agent(self.address, "final checks")
        async with self.harness.lock:
            report, repro_after, patch = await self.harness.final_report()
        self._final_count += 1
        final = _Final()
        request = await self._bus.send(MessageKind.APPROVAL_REQUEST, self.address, Role.PROXY_USER.value, {
            "proposal_id": f"final-{self._final_count}",
            "symbol_id": "",
            "diff": patch,
            "rationale": summary,
            "report": report.to_json(),
            "final": True,
            "reproduction_before": state.reproduction.before.to_json() if state.reproduction else None,
            "reproduction_after": repro_after.to_json() if repro_after else None,
            "outstanding": self._outstanding(),
        })
        self._finals[request.id] = final
        await final.done.wait()
        state.set_agent(self.address, "working")
        assert final.reply is not None
        reason = final.reply.body["reason"]
        if final.reply.kind is MessageKind.APPROVAL:
            self._ending = ("accepted", f"{summary} (accepted: {reason})")
            return ToolResult(f"accepted: {reason}", True)
        return f"the proxy user rejected the patch: {reason}\n{report.render()}\nFix it (assign) or give_up(reason)."

    def _outstanding(self) -> list[dict[str, str]]:
        """What the patch does not hold: symbols whose latest proposal stands
        rejected, tasks that ended in give_up. A symbol whose agent gave up
        after a rejection is listed as a give_up only: its agent said it is
        not part of the fix (the coordinator may have fixed the issue elsewhere)."""
        rejected = [Outstanding(s, "rejected", reason) for s, (ok, reason) in self.harness.latest.items()
                    if not ok and s not in self.gave_up]
        gave_up = [Outstanding(s, "gave_up", reason) for s, reason in self.gave_up.items()]
        return [o.to_json() for o in (*rejected, *gave_up)]

    async def _give_up(self, args: Mapping[str, Any]) -> str:
        self._ending = ("gave_up", str(args["reason"]).strip() or "gave up")
        return "giving up"


def reproduction_selection(state: RunState, rel: str) -> tuple[str, ...]:
    """What runs the reproduction: the file for pytest; for cargo, which filters by
    test name, the node ids of the file's tests."""
    if rel.endswith(".py"):
        return (rel,)
    from editor_harness.selection import node_ids_of_tests

    index = state.workspace.index
    index.update(rel)
    nodes = sorted(node for node in node_ids_of_tests(index).values() if node.split("::", 1)[0] == rel)
    return tuple(nodes) or (rel,)


async def run_coordinator(coordinator: Coordinator, resume_note: str = "") -> None:
    """Up to two passes; the second, only when the first brought no accepted
    patch, starts from what the first learned. Ends the run either way."""
    state = coordinator.state
    try:
        kind, text = await coordinator.run_pass(resume_note)
        if kind != "accepted" and not state.finished.is_set():
            lesson = (
                f"{resume_note}\nA first attempt ended without an accepted patch: {text}\n"
                "Use what it learned and try a different way."
            ).strip()
            state.emit("note", f"first pass ended without a patch ({text}); retrying once with that lesson")
            kind, text = await coordinator.run_pass(lesson)
    except BudgetExceeded as exc:
        state.end("budget", str(exc))
        return
    except RUN_ENDING as exc:
        state.end("error", str(exc))
        return
    state.end("accepted" if kind == "accepted" else "gave_up", text)
