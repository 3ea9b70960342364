"""The repair round: show the model its invalid reply and what was wrong
with it, as tool results (and a user turn for a missing call), so it can
answer again. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from swarm.models.backend import RawToolCall, Reply
from swarm.models.validation import Problem
from swarm.protocols import ChatMessage, ToolCall

NOT_RUN = (
    "Not executed: another tool call in the same reply was invalid. "
    "Repeat this call in your next reply if you still need it."
)


def repair_messages(
    messages: Sequence[ChatMessage], reply: Reply, problems: Sequence[Problem]
) -> tuple[ChatMessage, ...]:
    """`messages` + the invalid reply + one tool result per call (the error for
    invalid calls, "not executed" for the others) + a user note for a
    problem of the whole reply."""
    by_call = {p.call_id: p for p in problems if p.call_id is not None}
    turn: list[ChatMessage] = []
    if reply.text or reply.tool_calls:
        # Arguments that were not JSON go back as {}: servers that render the
        # history through a chat template choke on invalid JSON there.
        calls = tuple(ToolCall(c.id, c.name, c.arguments or {}) for c in reply.tool_calls)
        turn.append(ChatMessage("assistant", reply.text, tool_calls=calls))
    for call in reply.tool_calls:
        problem = by_call.get(call.id)
        content = NOT_RUN if problem is None else _explain(call, problem)
        turn.append(ChatMessage("tool", content, tool_call_id=call.id))
    for problem in problems:
        if problem.call_id is None:
            turn.append(ChatMessage("user", f"Your reply was not usable: {problem.message}."))
    return (*messages, *turn)


def _explain(call: RawToolCall, problem: Problem) -> str:
    shown = f" Your arguments were: {call.raw[:500]}" if call.arguments is None and call.raw else ""
    return (
        f"Error in your call to {call.name}: {problem.message}. Nothing was executed.{shown} "
        "Make the call again, correctly: a known tool, with arguments that match its JSON schema."
    )
