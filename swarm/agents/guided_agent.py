"""A symbol agent for a small model (`guided` run mode).

    agent = GuidedSymbolAgent(state, "shop/discounts.py::BulkDiscount.applies_to")

The same participant as `SymbolAgent` (bus side, proposals, verdicts), with
what a 1.5B model handles: a task that already holds its own code, the
issue, the failing test's output and the lines that call it; five tools
(propose_rewrite, read_symbol, run_tests, done, give_up) instead of eleven;
every reply forced to be a tool call; a few turns per task. A rewrite that
comes in a markdown fence, or inside its own class or impl block, is taken
out of it (swarm/agents/rewrite_text.py) before the harness sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from editor_harness.errors import HarnessError
from swarm.agents.context import language_tag
from swarm.agents.issue_context import unfence
from swarm.agents.rewrite_text import unwrap_container
from swarm.agents.symbol_agent import SymbolAgent
from swarm.agents.tools import STR, Tool, Toolbox, ToolResult, describe_run, reading_tools, spec
from swarm.local_model.prompt_budget import fit_lines
from swarm.messages import Message, MessageKind
from swarm.prompts import render
from swarm.protocols import ChatMessage
from swarm.runner.state import RunState

GUIDED_TOOLS = ("propose_rewrite", "read_symbol", "run_tests", "done", "give_up")
GUIDED_AGENT_STEPS = 6
ISSUE_TOKENS = 350
FAILURE_TOKENS = 350
CALL_SITES = 6


class GuidedSymbolAgent(SymbolAgent):
    def __init__(self, state: RunState, address: str) -> None:
        super().__init__(state, address)
        self.conversation.messages[:] = [ChatMessage("system", render("guided_symbol_agent", symbol_id=address))]
        tools = {t.spec.name: t for t in [*reading_tools(state), *self._own_tools()]}
        # Only the arguments a small model needs: its own symbol, whole.
        tools["propose_rewrite"] = Tool(
            spec("propose_rewrite", "Propose the complete corrected code of your symbol.",
                 {"new_source": STR, "rationale": STR}, ["new_source", "rationale"]),
            self._propose,
        )
        self.toolbox = Toolbox([tools[name] for name in GUIDED_TOOLS])
        self.max_steps = min(state.limits.agent_steps, GUIDED_AGENT_STEPS)
        self.tool_choice = "required"

    async def _propose(self, args: Mapping[str, Any]) -> str | ToolResult:
        new_source = unfence(str(args.get("new_source", "")))
        try:
            new_source = unwrap_container(new_source, self.state.workspace.symbol(self.address))
        except HarnessError:
            pass  # the symbol is gone: the harness says so on the proposal itself
        return await super()._propose({**args, "new_source": new_source})

    def _opening(self, message: Message) -> str:
        if message.kind is MessageKind.FOLLOW_UP:
            return super()._opening(message)
        return guided_task(self.state, self.address, message.body["instruction"])


def call_sites(state: RunState, symbol_id: str, limit: int = CALL_SITES) -> str:
    """The lines outside the symbol that name it (where it is called or used)."""
    symbol = state.workspace.symbol(symbol_id)
    lines = []
    for hit in state.workspace.search(symbol.name, limit=4 * limit):
        if hit.symbol_id == symbol_id or (hit.path == symbol.path and symbol.start_line <= hit.line <= symbol.end_line):
            continue
        lines.append(f"  {hit.path}:{hit.line} [{hit.symbol_id}] {hit.text.strip()}"[:200])
        if len(lines) >= limit:
            break
    return ("Where it is used:\n" + "\n".join(lines) + "\n") if lines else ""


def guided_task(state: RunState, symbol_id: str, instruction: str) -> str:
    workspace = state.workspace
    symbol = workspace.symbol(symbol_id)
    view = workspace.read_symbol(symbol_id)
    repro = state.reproduction
    failure = ""
    if repro is not None:
        failure = f"Failing test {repro.path} (must pass after your fix):\n{fit_lines(describe_run(repro.before), FAILURE_TOKENS)}\n"
    return render(
        "guided_symbol_task",
        instruction=instruction.strip(),
        issue=fit_lines(state.issue.strip(), ISSUE_TOKENS),
        failure=failure,
        path=symbol.path,
        lines=f"{view.start_line}-{view.end_line}",
        language=language_tag(symbol),
        code=view.text,
        call_sites=call_sites(state, symbol_id),
    )
