"""The turn loop every thinking participant runs: ask the model, run the tools
it calls, feed the results back, until a terminal tool (done, give_up,
finish) or a bound.

    end = await run_turns(model, conversation, toolbox, max_steps=16)

Budget exhaustion (`BudgetExceeded`) is not handled here: it ends the whole
run, so it propagates to the participant, which ends the run with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from swarm.agents.tools import Toolbox
from swarm.local_model.prompt_budget import estimate_tokens
from swarm.models.errors import BudgetExceeded, MalformedToolCall, ModelError
from swarm.protocols import ChatMessage, Completion, Model

NUDGE = "Reply with one tool call (finish with done or give_up)."
# Small models repeat a call whose result they already have; say so instead of running it again.
REPEATED = "You already made this exact call; its result is above. Use it and take the next step."
# The conversation a small model sees is kept under this many tokens by
# eliding the oldest tool results (the latest ones and the task stay whole).
DEFAULT_CONTEXT_TOKENS = 6000
# Calls whose repetition with the same arguments cannot give a new answer.
READ_ONLY = frozenset({"outline", "search", "go_to_definition", "references", "locate", "repo_map"})
ELIDED = "(older result elided to save context; call the tool again if you need it)"


@dataclass(slots=True)
class Conversation:
    """One participant's messages, kept across its tasks."""

    messages: list[ChatMessage] = field(default_factory=list)
    max_tokens: int = DEFAULT_CONTEXT_TOKENS

    def add(self, message: ChatMessage) -> None:
        self.messages.append(message)

    def tokens(self) -> int:
        return sum(estimate_tokens(m.content) + sum(estimate_tokens(str(c.arguments)) for c in m.tool_calls) for m in self.messages)

    def compacted(self) -> list[ChatMessage]:
        """The messages, oldest tool results elided until they fit (never the last four messages)."""
        messages = list(self.messages)
        excess = self.tokens() - self.max_tokens
        for i, message in enumerate(messages[:-4]):
            if excess <= 0:
                break
            if message.role == "tool" and message.content != ELIDED:
                excess -= estimate_tokens(message.content) - estimate_tokens(ELIDED)
                messages[i] = ChatMessage("tool", ELIDED, tool_call_id=message.tool_call_id)
        return messages


@dataclass(frozen=True, slots=True)
class LoopEnd:
    """Why the loop stopped: `terminal` (a terminal tool ran: `tool` and its result),
    `steps` (the bound), `malformed`, `no_tool` or `model_error` (`text` says why)."""

    kind: str
    text: str
    tool: str = ""
    steps: int = 0


async def run_turns(
    model: Model,
    conversation: Conversation,
    toolbox: Toolbox,
    *,
    max_steps: int,
    max_malformed: int = 3,
    on_completion: Callable[[Completion], None] | None = None,
) -> LoopEnd:
    malformed = idle = 0
    seen: set[tuple[str, str]] = set()
    for step in range(1, max_steps + 1):
        try:
            completion = await model.complete(conversation.compacted(), tools=toolbox.specs, tool_choice="auto")
        except BudgetExceeded:
            raise
        except MalformedToolCall as exc:
            malformed += 1
            if malformed >= max_malformed:
                return LoopEnd("malformed", f"{malformed} malformed replies in a row; last: {exc}", steps=step)
            conversation.add(ChatMessage("user", f"Your reply was not a valid tool call: {exc}. {NUDGE}"))
            continue
        except ModelError as exc:
            return LoopEnd("model_error", f"the model call failed: {exc}", steps=step)
        if on_completion is not None:
            on_completion(completion)
        malformed = 0
        message = completion.message
        conversation.add(message)
        if not message.tool_calls:
            idle += 1
            if idle >= 2:
                return LoopEnd("no_tool", "the model stopped calling tools: " + (message.content.strip()[:300] or "(empty reply)"), steps=step)
            conversation.add(ChatMessage("user", NUDGE))
            continue
        idle = 0
        ended: LoopEnd | None = None
        for call in message.tool_calls:
            if ended is not None:
                # Every call gets its result, or the next request is invalid for most providers.
                conversation.add(ChatMessage("tool", "skipped: the turn already ended", tool_call_id=call.id))
                continue
            key = (call.name, json.dumps(call.arguments, sort_keys=True, default=str))
            if key in seen and call.name in READ_ONLY:
                conversation.add(ChatMessage("tool", REPEATED, tool_call_id=call.id))
                continue
            seen.add(key)
            result = await toolbox.call(call)
            conversation.add(ChatMessage("tool", result.text, tool_call_id=call.id))
            if result.terminal:
                ended = LoopEnd("terminal", result.text, tool=call.name, steps=step)
        if ended is not None:
            return ended
    return LoopEnd("steps", f"reached its bound of {max_steps} model calls", steps=max_steps)
