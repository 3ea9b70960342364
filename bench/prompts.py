"""Prompt sizes per role, as the swarm really sends them, against a small model's budget.

    python -m bench.prompts

Runs the scripted scenarios of both bundled examples (Python and Rust)
through `run_swarm` with a model wrapper that keeps every request, then
measures, per role, what the model sees at its first turn of each task:
system prompt + tool schemas + the messages up to that turn. Roles:
`coordinator`, `symbol_agent` (first call of each task), `probe_answer`
(the short call answering a probe: no tools). Tokens are the offline
estimate of swarm.local_model.prompt_budget (UTF-8 bytes / 2.8, which errs
high for Qwen2.5's tokenizer), or exact counts when `--server URL` names a
running llama-server. The baseline, measured in the same run, is each
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {"python_shop": "python_shop.toml", "rust_ledger": "rust_ledger.toml"}
BUDGET_ROLE = {"coordinator": "coordinator", "symbol_agent": "symbol_agent", "probe_answer": "probe_answer"}


@dataclass(slots=True)
class Recorded:
    requests: list[tuple[str, str | None, list[Any], list[Any]]] = field(default_factory=list)


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
        self.recorded.requests.append((self.role, self.agent, list(messages), list(tools)))
        return await self.inner.complete(messages, tools=tools, **options)


def _tool_json(tool: Any) -> str:
    return json.dumps({"name": tool.name, "description": tool.description, "parameters": dict(tool.parameters)},
                      separators=(", ", ": "))


def _first_turns(recorded: Recorded) -> dict[str, list[str]]:
    """Per role, the text of each request that opens a task (its last message is a user turn)."""
    out: dict[str, list[str]] = {}
    for role, _agent, messages, tools in recorded.requests:
        if not messages or messages[-1].role != "user":
            continue
        kind = "probe_answer" if role == "symbol_agent" and not tools else role
        text = "\n".join(m.content for m in messages) + "\n" + "\n".join(_tool_json(t) for t in tools)
        out.setdefault(kind, []).append(text)
    return out


async def _run_example(example: str, tmp: Path, recorded: Recorded) -> str:
    sys.path.insert(0, str(ROOT))
    from swarm.models.providers import model_for
    from swarm.proxy import make_proxy
    from swarm.run import RunRequest, run_swarm
    from tests.conftest import make_repo
    from tests.swarm.scenario_runs import scripted_config

    repo = make_repo(tmp, example)
    config = scripted_config(SCENARIOS[example])
    outcome = await run_swarm(
        RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
        model_factory=lambda role: RecordingModel(model_for(role, config), role, recorded),  # type: ignore[arg-type,return-value]
    )
    return outcome.status


async def _count(texts: list[str], server: str | None) -> list[int]:
    from swarm.local_model.prompt_budget import estimate_tokens

    if server is None:
        return [estimate_tokens(t) for t in texts]
    import httpx

    from swarm.local_model.prompt_budget import ServerTokenCounter

    async with httpx.AsyncClient(timeout=60) as client:
        counter = ServerTokenCounter(server, client)
        return [await counter.count(t) for t in texts]


async def main_async(server: str | None) -> dict[str, Any]:
    from swarm.local_model.prompt_budget import BUDGETS

    recorded = Recorded()
    statuses = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-prompts-"))
    try:
        for example in SCENARIOS:
            statuses[example] = await _run_example(example, tmp / example, recorded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    figures: dict[str, Any] = {}
    for role, texts in sorted(_first_turns(recorded).items()):
        tokens = await _count(texts, server)
        budget = BUDGETS[BUDGET_ROLE.get(role, "symbol_agent")].prompt
        median = statistics.median(tokens)
        figures[role] = {
            "prompts": len(tokens),
            "median_tokens": median,
            "max_tokens": max(tokens),
            "budget_tokens": budget,
            "ratio": round(median / budget, 3),
            "max_ratio": round(max(tokens) / budget, 3),
        }
    return {
        "bench": "prompts",
        "counting": "llama-server tokenizer" if server else "offline estimate (bytes/2.8, errs high)",
        "runs": statuses,
        "roles": figures,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.prompts", description="Prompt sizes per role against a small model's budget.")
    parser.add_argument("--server", metavar="URL", help="a running llama-server (root URL) for exact token counts")
    args = parser.parse_args(argv)
    print(json.dumps(trio.run(main_async, args.server)))


if __name__ == "__main__":
    main()
