"""Context budgets for small local models, and measuring prompts against them.

A 1.5B model served with `-c 4096` (or 8192) has to hold the system prompt,
the tool schemas, the task, the symbol's own code, what the agent asked for,
and its reply. The budgets below split that window per role; the agents
(built elsewhere) fit their prompts to them and the benchmark reports what
they actually send.

Counting is exact through llama-server's `/apply-template` + `/tokenize`
endpoints (the server's own template and tokenizer), or estimated offline by
`estimate_tokens`: UTF-8 bytes / BYTES_PER_TOKEN, rounded up. Measured with
the Qwen2.5 tokenizer on 33 files of this repository (Python, Rust, Markdown):
median 4.0 bytes per token, lowest 2.87 (a test file dense with digits,
which this tokenizer splits one per token). 2.8 makes the estimate err high
on every one of them — the safe side for a budget — at the price of
overestimating typical code by about 40%. Prefer exact counts when a server
is running.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from swarm.local_model.errors import TokenizeError

BYTES_PER_TOKEN = 2.8
# ChatML wraps each message in `<|im_start|>role\n ... <|im_end|>\n`.
MESSAGE_OVERHEAD_TOKENS = 5


def estimate_tokens(text: str) -> int:
    """Offline token estimate for Qwen2.5's tokenizer (errs high; see module doc)."""
    if not text:
        return 0
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


@dataclass(frozen=True, slots=True)
class ContextBudget:
    """How one role spends a context window, in tokens. `reply` is reserved
    for the model's answer (max_tokens); the rest bounds the prompt."""

    role: str
    context: int
    system: int
    tools: int
    task: int
    own_code: int
    requested: int  # neighbours, probe answers, check reports the agent asked for
    reply: int

    @property
    def prompt(self) -> int:
        return self.context - self.reply

    def parts(self) -> dict[str, int]:
        return {
            "system": self.system,
            "tools": self.tools,
            "task": self.task,
            "own_code": self.own_code,
            "requested": self.requested,
        }

    def __post_init__(self) -> None:
        used = sum(self.parts().values()) + self.reply
        if used > self.context:
            raise ValueError(f"budget for {self.role} uses {used} tokens, more than its context of {self.context}")


def budgets_for(context: int) -> dict[str, ContextBudget]:
    """Per-role budgets for a context window (4096 and 8192 are the tested sizes).

    Fractions, not fixed numbers, so a larger window gives every part room;
    the reply reserve is sized for rewriting one function (a symbol agent) or
    giving a short verdict (the proxy user)."""

    def split(role: str, system: float, tools: float, task: float, own: float, requested: float, reply: float) -> ContextBudget:
        parts = [math.floor(context * share) for share in (system, tools, task, own, requested, reply)]
        return ContextBudget(role, context, *parts)

    return {
        # Sees its code, calls tools, rewrites its symbol as a whole: the
        # biggest reply reserve.
        "symbol_agent": split("symbol_agent", 0.06, 0.12, 0.08, 0.25, 0.19, 0.30),
        # Reads a proposal (diff + check report) and answers approve/reject.
        "proxy_user": split("proxy_user", 0.06, 0.05, 0.10, 0.35, 0.29, 0.15),
        # Reads the issue and a ranked symbol list, names symbols to task.
        "coordinator": split("coordinator", 0.06, 0.08, 0.25, 0.00, 0.41, 0.20),
        # Answers another agent's probe from its own code.
        "probe_answer": split("probe_answer", 0.05, 0.00, 0.10, 0.45, 0.20, 0.20),
    }


DEFAULT_CONTEXT = 4096
BUDGETS: dict[str, ContextBudget] = budgets_for(DEFAULT_CONTEXT)


class TokenCounter(Protocol):
    async def count(self, text: str) -> int: ...


class EstimatingCounter:
    """Offline counter (no server); see `estimate_tokens`."""

    async def count(self, text: str) -> int:
        return estimate_tokens(text)


class ServerTokenCounter:
    """Exact counts from a running llama-server (`root_url` without `/v1`)."""

    def __init__(self, root_url: str, client: httpx.AsyncClient) -> None:
        self.root_url = root_url.rstrip("/")
        self.client = client

    async def count(self, text: str) -> int:
        return len(await self.tokenize(text))

    async def tokenize(self, text: str) -> list[int]:
        data = await self._post("/tokenize", {"content": text, "add_special": False})
        tokens = data.get("tokens")
        if not isinstance(tokens, list):
            raise TokenizeError(f"{self.root_url}/tokenize answered without a token list: {str(data)[:200]}")
        return tokens

    async def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] = ()) -> str:
        """The exact prompt the server builds for a chat request (its template applied)."""
        body: dict[str, Any] = {"messages": list(messages)}
        if tools:
            body["tools"] = list(tools)
        data = await self._post("/apply-template", body)
        prompt = data.get("prompt")
        if not isinstance(prompt, str):
            raise TokenizeError(f"{self.root_url}/apply-template answered without a prompt: {str(data)[:200]}")
        return prompt

    async def count_request(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] = ()) -> int:
        """Tokens of a whole chat request as the model will see it."""
        return await self.count(await self.render(messages, tools))

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = await self.client.post(self.root_url + path, json=body)
        except httpx.TransportError as exc:
            raise TokenizeError(f"cannot reach {self.root_url}{path}: {exc}") from None
        if response.status_code != 200:
            raise TokenizeError(f"{self.root_url}{path} answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json()
        except ValueError:
            raise TokenizeError(f"{self.root_url}{path} answered non-JSON: {response.text[:200]}") from None
        if not isinstance(data, dict):
            raise TokenizeError(f"{self.root_url}{path} answered {type(data).__name__}, expected an object")
        return data


def compact_schema(schema: Any, max_description: int = 120) -> Any:
    """A JSON schema with what a small model does not need removed: `title`s,
    `$schema`, `examples`, `default: null`; descriptions squeezed to one line
    and cut at `max_description` characters."""
    if isinstance(schema, list):
        return [compact_schema(item, max_description) for item in schema]
    if not isinstance(schema, dict):
        return schema
    compact: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "$schema", "examples") or (key == "default" and value is None):
            continue
        if key == "description" and isinstance(value, str):
            text = " ".join(value.split())
            compact[key] = text if len(text) <= max_description else text[: max_description - 1].rstrip() + "…"
        elif key == "properties" and isinstance(value, dict):
            # Property names are data here, not schema keywords: keep them all.
            compact[key] = {name: compact_schema(sub, max_description) for name, sub in value.items()}
        else:
            compact[key] = compact_schema(value, max_description)
    return compact


def schema_text(tool: Mapping[str, Any]) -> str:
    """A tool as the template prints it: one line of compact JSON."""
    return json.dumps(tool.get("function", tool), separators=(", ", ": "), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class PartSize:
    name: str
    tokens: int
    budget: int

    @property
    def over(self) -> int:
        return max(0, self.tokens - self.budget)


@dataclass(frozen=True, slots=True)
class PromptSize:
    """A measured prompt against a role's budget."""

    role: str
    parts: tuple[PartSize, ...]
    overhead: int  # template tokens around the parts (turn markers, tool instructions)
    budget: ContextBudget

    @property
    def total(self) -> int:
        return sum(part.tokens for part in self.parts) + self.overhead

    @property
    def fits(self) -> bool:
        return self.total <= self.budget.prompt

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "total": self.total,
            "prompt_budget": self.budget.prompt,
            "fits": self.fits,
            "overhead": self.overhead,
            "parts": {part.name: {"tokens": part.tokens, "budget": part.budget} for part in self.parts},
        }


async def measure_prompt(
    budget: ContextBudget,
    parts: Mapping[str, str],
    counter: TokenCounter,
    *,
    overhead: int = 0,
) -> PromptSize:
    """Count each named part (`system`, `tools`, `task`, `own_code`,
    `requested`; other names count against no budget) of a role's prompt."""
    allowed = budget.parts()
    sizes = [PartSize(name, await counter.count(text), allowed.get(name, 0)) for name, text in parts.items()]
    return PromptSize(budget.role, tuple(sizes), overhead, budget)


def fit_lines(text: str, max_tokens: int, *, count: Callable[[str], int] = estimate_tokens) -> str:
    """`text` cut to `max_tokens` on line boundaries, keeping the head and the
    tail and saying how many lines were left out (for neighbours and reports,
    never for the code an agent must rewrite)."""
    if count(text) <= max_tokens:
        return text
    lines = text.splitlines()
    head: list[str] = []
    tail: list[str] = []
    marker_cost = count("… (00000 lines omitted)\n")
    used = marker_cost
    low, high = 0, len(lines) - 1
    take_head = True
    while low <= high:
        line = lines[low] if take_head else lines[high]
        cost = count(line + "\n")
        if used + cost > max_tokens:
            break
        used += cost
        if take_head:
            head.append(line)
            low += 1
        else:
            tail.insert(0, line)
            high -= 1
        take_head = not take_head
    omitted = high - low + 1
    return "\n".join([*head, f"… ({omitted} lines omitted)", *tail])
