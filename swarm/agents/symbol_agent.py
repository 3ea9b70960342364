"""A symbol agent: the owner of one code symbol, created when first addressed.

    handle(message)  -> returns at once: queues tasks and follow-ups for the
                        thinking task, answers probes in their own short task,
                        and completes the waits of its own probes and proposals
    _think()         -> the turn loop (swarm.agents.loop) over its queue

Because `handle` never waits, an agent that is waiting for an answer to its
own probe still answers the probes sent to it: two agents probing each
other cannot deadlock. A proposal names only this agent's symbol (a rewrite, its deletion, or a
new child inserted into it, optionally after a named member); anything else
is refused before it reaches the bus.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import trio

from swarm.agents.context import is_large, probe_answer_prompt, symbol_task
from swarm.agents.loop import RUN_ENDING, Conversation, LoopEnd, run_turns
from swarm.agents.tools import STR, Tool, Toolbox, ToolResult, reading_tools, resolve_symbol, spec
from swarm.bus import Bus
from swarm.messages import Message, MessageKind, Role
from swarm.models.errors import BudgetExceeded, ModelError
from swarm.prompts import render
from swarm.protocols import ChatMessage
from swarm.runner.state import RunState

PROBE_TIMEOUT_S = 600.0
ANSWER_MAX_TOKENS = 300


@dataclass(slots=True)
class _Wait:
    """A reply this agent waits for (a probe's answer, a proposal's verdict)."""

    done: trio.Event = field(default_factory=trio.Event)
    reply: Message | None = None
    report: Mapping[str, Any] | None = None

    def settle(self, message: Message) -> None:
        self.reply = message
        self.done.set()


class SymbolAgent:
    def __init__(self, state: RunState, address: str) -> None:
        self.state = state
        self._address = address
        self.model = state.models["symbol_agent"].for_agent(address)
        self.conversation = Conversation([ChatMessage("system", render("symbol_agent", symbol_id=address))])
        self._send, self._receive = trio.open_memory_channel[Message](math.inf)
        self._thinking = False
        self._probes: dict[str, _Wait] = {}
        self._proposals: dict[str, _Wait] = {}
        self._rejections = 0
        self._ending: tuple[str, str] | None = None  # (kind, text) set by done/give_up
        self.toolbox = Toolbox([*reading_tools(state), *self._own_tools()])
        # A guided agent (swarm.agents.guided_agent) narrows these for a small model.
        self.max_steps = state.limits.agent_steps
        self.tool_choice = "auto"

    @property
    def address(self) -> str:
        return self._address

    # -- the bus side: never waits -----------------------------------------

    async def handle(self, message: Message, bus: Bus) -> None:
        kind = message.kind
        if kind in (MessageKind.TASK, MessageKind.FOLLOW_UP):
            self._send.send_nowait(message)
            if not self._thinking:
                self._thinking = True
                self._nursery.start_soon(self._think, name=f"think {self.address}")
        elif kind is MessageKind.PROBE:
            self._nursery.start_soon(self._answer, message, name=f"answer {self.address}")
        elif kind is MessageKind.ANSWER and message.in_reply_to in self._probes:
            self._probes.pop(message.in_reply_to).settle(message)
        elif kind is MessageKind.CHECK_REPORT:
            wait = self._proposals.get(message.body["proposal_id"])
            if wait is not None:
                wait.report = message.body["report"]
        elif kind in (MessageKind.APPROVAL, MessageKind.REJECTION):
            wait = self._proposals.pop(message.body["proposal_id"], None)
            if wait is not None:
                wait.settle(message)

    @property
    def _nursery(self) -> trio.Nursery:
        assert self.state.nursery is not None, "agents run inside a run's nursery"
        return self.state.nursery

    @property
    def _bus(self) -> Bus:
        assert self.state.bus is not None, "agents run on a bus"
        return self.state.bus

    # -- answering probes: one short call on its own current code -------------

    async def _answer(self, probe: Message) -> None:
        if not self._thinking:
            self.state.set_agent(self.address, f"answering {probe.sender}")
        try:
            prompt = probe_answer_prompt(self.state, self.address, probe.sender, probe.body["question"])
            completion = await self.model.complete([ChatMessage("user", prompt)], max_tokens=ANSWER_MAX_TOKENS)
            text = completion.message.content.strip() or "(no answer)"
        except BudgetExceeded as exc:
            self.state.end("budget", str(exc))
            text = f"(no answer: {exc})"
        except ModelError as exc:
            text = f"(could not answer: {exc})"
        except Exception as exc:  # noqa: BLE001 - the asker must get a reply whatever went wrong
            text = f"(could not answer: {type(exc).__name__}: {exc})"
        await self._bus.reply(probe, MessageKind.ANSWER, {"text": text})
        if not self._thinking:
            self.state.set_agent(self.address, "idle")

    # -- thinking ----------------------------------------------------------

    async def _think(self) -> None:
        try:
            while True:
                try:
                    message = self._receive.receive_nowait()
                except trio.WouldBlock:
                    return
                await self._work_on(message)
        finally:
            self._thinking = False

    def _opening(self, message: Message) -> str:
        if message.kind is MessageKind.FOLLOW_UP:
            body = message.body
            follow = render(
                "follow_up",
                changed_symbol=body["changed_symbol"],
                old_signature=body["old_signature"],
                new_signature=body["new_signature"],
            )
            return symbol_task(self.state, self.address, message.sender, follow)
        return symbol_task(self.state, self.address, message.sender, message.body["instruction"])

    async def _work_on(self, message: Message) -> None:
        state = self.state
        state.set_agent(self.address, "working")
        self._ending = None
        self._rejections = 0
        self.conversation.add(ChatMessage("user", self._opening(message)))
        try:
            end = await run_turns(
                self.model,
                self.conversation,
                self.toolbox,
                max_steps=self.max_steps,
                max_malformed=state.limits.malformed_in_a_row,
                on_completion=lambda _: state.spend_event(),
                tool_choice=self.tool_choice,
            )
        except BudgetExceeded as exc:
            state.set_agent(self.address, "stopped: budget")
            state.end("budget", str(exc))
            return
        except RUN_ENDING as exc:
            state.set_agent(self.address, "stopped: model failed")
            state.end("error", str(exc))
            return
        kind, text = self._report(end)
        state.set_agent(self.address, kind)
        await self._bus.send(kind, self.address, message.sender, {"reason": text}, in_reply_to=message.id)

    def _report(self, end: LoopEnd) -> tuple[str, str]:
        if end.kind == "terminal" and self._ending is not None:
            return self._ending
        return "give_up", f"{self.address} stopped: {end.text}"

    # -- its own tools -------------------------------------------------------

    def _own_tools(self) -> list[Tool]:
        return [
            Tool(
                spec(
                    "probe",
                    "Ask another symbol's agent a question; returns its answer.",
                    {"symbol_id": STR, "question": STR},
                    ["symbol_id", "question"],
                ),
                self._probe,
            ),
            Tool(
                spec(
                    "propose_rewrite",
                    "Propose the complete new source of your symbol.",
                    {
                        "new_source": STR,
                        "rationale": STR,
                        "symbol_id": {"type": "string", "description": "your own symbol id (default)"},
                        "insert_child": {"type": "boolean", "description": "new_source is a new member added to your symbol"},
                        "after": {"type": "string", "description": "insert_child: the member it follows (default: last)"},
                    },
                    ["new_source", "rationale"],
                ),
                self._propose,
            ),
            Tool(spec("propose_delete", "Propose removing your symbol entirely.", {"rationale": STR}, ["rationale"]),
                 self._propose_delete),
            Tool(spec("done", "Your task is complete.", {"summary": STR}, ["summary"]), self._done, terminal=True),
            Tool(spec("give_up", "The task cannot be done.", {"reason": STR}, ["reason"]), self._give_up, terminal=True),
        ]

    async def _probe(self, args: Mapping[str, Any]) -> str:
        target = resolve_symbol(self.state, str(args["symbol_id"]))
        if target == self.address:
            return "error: that is your own symbol; read your code above instead"
        question = str(args["question"]).strip()
        if not question:
            return "error: the question is empty"
        self.state.set_agent(self.address, f"probing {target}")
        wait = _Wait()
        probe = await self._bus.send(MessageKind.PROBE, self.address, target, {"question": question})
        self._probes[probe.id] = wait
        with trio.move_on_after(PROBE_TIMEOUT_S):
            await wait.done.wait()
        self.state.set_agent(self.address, "working")
        if wait.reply is None:
            self._probes.pop(probe.id, None)
            return f"error: {target} did not answer within {PROBE_TIMEOUT_S:g}s"
        return f"{target} answers: {wait.reply.body['text']}"

    async def _propose(self, args: Mapping[str, Any]) -> str | ToolResult:
        named = str(args.get("symbol_id") or self.address).strip()
        if named != self.address:
            return (
                f"refused: you own {self.address} and may rewrite only it (or insert a child into it). "
                f"{named} belongs to its own agent: ask it with probe, or say in done() that it must change."
            )
        insert = bool(args.get("insert_child", False))
        if not insert and is_large(self.state, self.address):
            return (
                "refused: your symbol is too large to rewrite whole; insert a new member with insert_child=true, "
                "or report in done() which of its children must change"
            )
        extra: dict[str, Any] = {}
        if insert and str(args.get("after") or "").strip():
            after = self._member(str(args["after"]))
            if after.startswith("error:"):
                return after
            extra["after"] = after
        return await self._submit("insert" if insert else "rewrite", str(args["new_source"]), args, extra)

    async def _propose_delete(self, args: Mapping[str, Any]) -> str | ToolResult:
        return await self._submit("delete", "", args, {})

    def _member(self, ref: str) -> str:
        """The id of one of this symbol's children, from its id or its name."""
        ref = ref.strip()
        children = self.state.workspace.symbol(self.address).children
        if ref in children:
            return ref
        name = ref.rpartition("::")[2].rpartition(".")[2]
        found = [c for c in children if c.rpartition("::")[2].rpartition(".")[2] == name]
        if len(found) == 1:
            return found[0]
        names = ", ".join(c.rpartition("::")[2].rpartition(".")[2] for c in children) or "(none)"
        return f"error: after={ref!r} names no member of {self.address}; its members: {names}"

    async def _submit(self, op: str, source: str, args: Mapping[str, Any], extra: Mapping[str, Any]) -> str | ToolResult:
        """Send one proposal of this agent's own symbol to the harness and wait for the verdict."""
        state = self.state
        if self._rejections >= state.limits.max_revisions:
            reason = f"{self._rejections} proposals were rejected, the bound of {state.limits.max_revisions} revisions"
            self._ending = ("give_up", reason)
            return ToolResult(f"stopped: {reason}", True)
        path = state.workspace.symbol(self.address).path
        proposal_id = state.next_proposal_id()
        wait = _Wait()
        self._proposals[proposal_id] = wait
        state.set_agent(self.address, f"proposed {proposal_id}")
        await self._bus.send(
            MessageKind.EDIT_PROPOSAL,
            self.address,
            Role.HARNESS.value,
            {
                "proposal_id": proposal_id,
                "symbol_id": self.address,
                "base_version": state.workspace.version(path),
                "new_source": source,
                "rationale": str(args["rationale"]).strip() or "(no rationale given)",
                "op": op,
                "attempt": 1 + self._rejections,
                **extra,
            },
        )
        await wait.done.wait()
        state.set_agent(self.address, "working")
        assert wait.reply is not None
        checks = _render_report(wait.report)
        reason = wait.reply.body["reason"]
        if wait.reply.kind is MessageKind.APPROVAL:
            if op == "delete":
                return f"approved: {reason}\nYour symbol is deleted.\n{checks}\nCall done(summary)."
            return f"approved: {reason}\nYour rewrite is applied.\n{checks}\nCall done(summary) unless more is needed."
        self._rejections += 1
        left = state.limits.max_revisions - self._rejections
        advice = f"Revise ({left} revision(s) left) or give_up(reason)." if left > 0 else "No revisions left: call give_up(reason)."
        return f"rejected: {reason}\n{checks}\n{advice}"

    async def _done(self, args: Mapping[str, Any]) -> str:
        self._ending = ("done", str(args["summary"]).strip() or "done")
        return "reported done"

    async def _give_up(self, args: Mapping[str, Any]) -> str:
        self._ending = ("give_up", str(args["reason"]).strip() or "gave up")
        return "reported give_up"


def _render_report(report: Mapping[str, Any] | None) -> str:
    if not report:
        return ""
    from editor_harness.pipeline import CheckReport

    try:
        return CheckReport.from_json(dict(report)).render(max_failures=3)
    except (KeyError, TypeError, ValueError):
        return ""
