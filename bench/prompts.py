"""Prompt sizes per role, as the swarm really sends them, against a small model's budget.

    python -m bench.prompts [--server URL | --estimate]

Runs scripted scenarios of both bundled examples (Python and Rust) through
`run_swarm` with a model wrapper that keeps every request, in both run
modes (`full`, and `guided`: what the local model gets), then measures, per
mode and role, what the model sees at its first turn of each task: system
prompt + tool schemas + the messages up to that turn. Roles: `coordinator`
(guided: `coordinator_draft`, drafting the reproduction, and
`coordinator_choose`, picking from the ranked list), `symbol_agent` (first
call of each task), `probe_answer` (the short call answering a probe).

Tokens are exact when the local model is installed: a llama-server is
started for the measurement (or `--server URL` names a running one) and
each request is rendered with our chat template (`/apply-template`, tools
included) and counted by the model's tokenizer (`/tokenize`). Otherwise, or
with `--estimate`, the offline estimate of swarm.local_model.prompt_budget
(UTF-8 bytes / 2.8, which errs high for Qwen2.5's tokenizer). The output's
`counting` says which. The baseline, measured in the same run, is each
role's prompt budget for a 4096-token context
(prompt_budget.BUDGETS[role].prompt): `ratio` = median / budget, and
`max_ratio` = max / budget (below 1: it fits).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parent.parent
# (mode, example, scripted scenario under tests/swarm/scenarios)
SCENARIOS = (
    ("full", "python_shop", "python_shop.toml"),
    ("full", "rust_ledger", "rust_ledger.toml"),
    ("guided", "python_shop", "python_guided.toml"),
    ("guided", "rust_ledger", "rust_guided.toml"),
)
BUDGET_ROLE = {"coordinator": "coordinator", "coordinator_draft": "coordinator", "coordinator_choose": "coordinator",
               "symbol_agent": "symbol_agent", "probe_answer": "probe_answer"}


@dataclass(slots=True)
class Recorded:
    # (role, agent, messages, tools, tool_choice) of every call
    requests: list[tuple[str, str | None, list[Any], list[Any], str]] = field(default_factory=list)


class RecordingModel:
    """A Model that keeps each request (role, agent, messages, tools) and delegates."""

    def __init__(self, inner: Any, role: str, recorded: Recorded, agent: str | None = None) -> None:
        self.inner, self.role, self.recorded, self.agent = inner, role, recorded, agent

    @property
    def name(self) -> str:
        return self.inner.name

    def for_agent(self, agent: str) -> RecordingModel:
        return RecordingModel(self.inner.for_agent(agent), self.role, self.recorded, agent)

    async def complete(self, messages: Sequence[Any], *, tools: Sequence[Any] = (), **options: Any) -> Any:
        self.recorded.requests.append((self.role, self.agent, list(messages), list(tools), str(options.get("tool_choice", ""))))
        return await self.inner.complete(messages, tools=tools, **options)


def _tool_json(tool: Any) -> str:
    return json.dumps({"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
                      separators=(", ", ": "))


def _kind(role: str, tools: list[Any]) -> str:
    names = [t.name for t in tools]
    if role == "symbol_agent" and not tools:
        return "probe_answer"
    if role == "coordinator" and names == ["write_reproduction"]:
        return "coordinator_draft"
    if role == "coordinator" and names == ["assign"]:
        return "coordinator_choose"
    return role


def _first_turns(recorded: Recorded) -> dict[str, list[tuple[list[Any], list[Any]]]]:
    """Per role, (messages, tools) of each request that opens a task (its last message is a user turn)."""
    out: dict[str, list[tuple[list[Any], list[Any]]]] = {}
    for role, _agent, messages, tools, _choice in recorded.requests:
        if not messages or messages[-1].role != "user":
            continue
        out.setdefault(_kind(role, tools), []).append((messages, tools))
    return out


def _wire_message(message: Any) -> dict[str, Any]:
    """A ChatMessage in the OpenAI chat format llama-server renders."""
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                             for c in message.tool_calls]
    if message.role == "tool":
        out["tool_call_id"] = message.tool_call_id
    return out


def _wire_tool(tool: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)}}


async def _run_example(mode: str, example: str, scenario: str, tmp: Path, recorded: Recorded) -> str:
    sys.path.insert(0, str(ROOT))
    from swarm.models.providers import model_for
    from swarm.proxy import make_proxy
    from swarm.run import RunRequest, run_swarm
    from tests.conftest import make_repo
    from tests.swarm.scenario_runs import scripted_config

    repo = make_repo(tmp, example)
    config = scripted_config(scenario, run={"mode": mode})
    outcome = await run_swarm(
        RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
        model_factory=lambda role: RecordingModel(model_for(role, config), role, recorded),  # type: ignore[arg-type,return-value]
    )
    return outcome.status


class Counter:
    """Exact counts from a llama-server, or the offline estimate."""

    def __init__(self, server: Any = None) -> None:
        self.server = server

    async def count(self, requests: list[tuple[list[Any], list[Any]]]) -> list[int]:
        if self.server is None:
            from swarm.local_model.prompt_budget import estimate_tokens

            return [estimate_tokens("\n".join(m.content for m in messages) + "\n" + "\n".join(_tool_json(t) for t in tools))
                    for messages, tools in requests]
        return [await self.server.count_request([_wire_message(m) for m in messages], [_wire_tool(t) for t in tools])
                for messages, tools in requests]


@asynccontextmanager
async def open_counter(server_url: str | None, estimate: bool) -> AsyncIterator[tuple[Counter, str]]:
    import httpx

    from swarm.local_model.paths import status
    from swarm.local_model.prompt_budget import ServerTokenCounter
    from swarm.local_model.server import ServerConfig, local_server

    exact = "exact: llama-server /apply-template (our chat template, tools included) + /tokenize"
    if estimate:
        yield Counter(), "offline estimate (bytes/2.8, errs high): --estimate"
        return
    if server_url:
        async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
            yield Counter(ServerTokenCounter(server_url, client)), f"{exact} of {server_url}"
        return
    current = status()
    if not current.ready:
        yield Counter(), "offline estimate (bytes/2.8, errs high): the local model is not installed"
        return
    config = ServerConfig(binary=current.server.path, model=current.weights.path)
    async with local_server(config) as server, httpx.AsyncClient(timeout=120, trust_env=False) as client:
        yield Counter(ServerTokenCounter(server.root_url, client)), f"{exact} of a server started for this bench"


async def main_async(server: str | None, estimate: bool = False) -> dict[str, Any]:
    from swarm.local_model.prompt_budget import BUDGETS

    statuses: dict[str, str] = {}
    per_mode: dict[str, Recorded] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-prompts-"))
    try:
        for mode, example, scenario in SCENARIOS:
            recorded = per_mode.setdefault(mode, Recorded())
            statuses[f"{mode}/{example}"] = await _run_example(mode, example, scenario, tmp / f"{mode}-{example}", recorded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures: dict[str, Any] = {}
    async with open_counter(server, estimate) as (counter, counting):
        for mode, recorded in per_mode.items():
            for role, requests in sorted(_first_turns(recorded).items()):
                tokens = await counter.count(requests)
                budget = BUDGETS[BUDGET_ROLE.get(role, "symbol_agent")].prompt
                median = statistics.median(tokens)
                figures[f"{mode}/{role}"] = {
                    "prompts": len(tokens),
                    "tools": len(requests[0][1]),
                    "median_tokens": median,
                    "max_tokens": max(tokens),
                    "budget_tokens": budget,
                    "ratio": round(median / budget, 3),
                    "max_ratio": round(max(tokens) / budget, 3),
                }
    return {"bench": "prompts", "counting": counting, "runs": statuses, "roles": figures}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.prompts", description="Prompt sizes per role against a small model's budget.")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--server", metavar="URL", help="a running llama-server (root URL) for exact token counts")
    how.add_argument("--estimate", action="store_true", help="offline estimate even when the local model is installed")
    args = parser.parse_args(argv)
    print(json.dumps(trio.run(main_async, args.server, args.estimate)))


if __name__ == "__main__":
    main()
