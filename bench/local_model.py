"""Benchmark of the embedded local model (Qwen2.5-Coder-1.5B on llama-server).

    python -m bench.local_model [--starts 3] [--rounds 3]

Prints one JSON line:
- start: seconds from spawn to a healthy /health (median of --starts),
  against the baseline of exec'ing the same binary with --version (ratio =
  what loading the model costs over starting a process);
- throughput: prompt and generation tokens/s as llama-server reports them,
  for a tool-offering chat request through our template, against the same
  prompt sent raw to /completion in the same run (ratio chat / raw: what the
  chat layer, template and tool-call parsing cost); and the wall time of the
  same request through the `local` provider's code path (ChatModel over the
  OpenAI-compatible backend) against the plain HTTP chat request;
- tokens: exact size of the template's fixed overhead and of each compact
  tool schema, and the offline estimate's error on real source files;
- roundtrip: one tool call + tool result + answer, wall time and tokens;
- swarm: `swarm run` with the local model on each bundled example (Python
  and Rust), `--repeats` runs at each of `--temperatures`, in each of
  `--modes` (`guided`, the small-model mode, against the `full` mode as the
  baseline measured in the same run): resolved or not (graded on a fresh
  copy by the example's whole test suite), status, model calls, tokens, wall
  time, proposals approved/rejected (bench.local_swarm). `--only speed|swarm`
  runs one part.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import trio

from swarm.config import ModelSettings
from swarm.local_model.paths import status
from swarm.local_model.prompt_budget import (
    BUDGETS,
    BYTES_PER_TOKEN,
    ServerTokenCounter,
    compact_schema,
    estimate_tokens,
)
from swarm.local_model.server import LocalServer, ServerConfig, local_server
from swarm.models import ChatModel
from swarm.models.local import LocalBackend, server_threads
from swarm.protocols import ChatMessage, ToolSpec

ROOT = Path(__file__).resolve().parent.parent

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_symbol",
            "description": "Source of one symbol of the repository, by symbol id (path::Qualified.name).",
            "parameters": {"type": "object", "properties": {"id": {"type": "string", "description": "symbol id"}}, "required": ["id"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "propose_rewrite",
            "description": "Replace your own symbol with new source; it is checked (syntax, diagnostics, tests) before review.",
            "parameters": {
                "type": "object",
                "properties": {
                    "new_source": {"type": "string", "description": "the whole new source of the symbol"},
                    "rationale": {"type": "string", "description": "one or two sentences: why this fixes the task"},
                },
                "required": ["new_source", "rationale"],
            },
        },
    },
]



def spawn_baseline(binary: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(binary), "--version"], capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure_starts(config: ServerConfig, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        async with local_server(config):
            times.append(time.perf_counter() - started)
    return times


def build_prompt_messages() -> list[dict[str, Any]]:
    code = (ROOT / "examples" / "python_shop").glob("**/discounts.py")
    source = "\n\n".join(path.read_text() for path in sorted(code))[:3000]
    return [
        {"role": "system", "content": "You own one Python symbol. Fix the task by rewriting it; read other symbols only if needed."},
        {"role": "user", "content": f"Task: bulk discounts must apply at the threshold quantity, not only above it.\n\nYour code:\n{source}"},
    ]


async def throughput(server: LocalServer, counter: ServerTokenCounter, client: httpx.AsyncClient, rounds: int) -> dict[str, Any]:
    chat_runs, raw_runs, provider_runs = [], [], []
    provider = ChatModel(
        LocalBackend(ModelSettings(provider="local", model="qwen2.5-coder-1.5b-instruct", base_url=server.base_url,
                                   temperature=0.0, max_tokens=64)),
        role="symbol_agent",
    )
    specs = [ToolSpec(t["function"]["name"], t["function"]["description"], t["function"]["parameters"]) for t in TOOLS]

    def fresh(tag: str) -> list[dict[str, Any]]:
        # A distinct first line per request defeats llama-server's prompt
        # cache, so every path processes its whole prompt.
        messages = build_prompt_messages()
        messages[0] = {**messages[0], "content": f"[{tag}] {messages[0]['content']}"}
        return messages

    for round_number in range(rounds):
        # Interleaved so drift on a shared machine hits every path alike.
        prompt = await counter.render(fresh(f"raw{round_number}"), TOOLS)
        started = time.perf_counter()
        raw = (await client.post(f"{server.root_url}/completion", json={
            "prompt": prompt, "n_predict": 64, "temperature": 0,
        })).json()
        raw_runs.append((time.perf_counter() - started, raw["timings"]))
        started = time.perf_counter()
        chat = (await client.post(f"{server.base_url}/chat/completions", json={
            "messages": fresh(f"chat{round_number}"), "tools": TOOLS, "tool_choice": "auto", "max_tokens": 64,
            "temperature": 0,
        })).json()
        chat_runs.append((time.perf_counter() - started, chat["timings"]))
        conversation = [ChatMessage(m["role"], m["content"]) for m in fresh(f"provider{round_number}")]
        started = time.perf_counter()
        completion = await provider.complete(conversation, tools=specs, tool_choice="auto")
        provider_runs.append((time.perf_counter() - started, completion.usage.output_tokens))
    await provider.aclose()

    def summary(runs: list[tuple[float, dict[str, Any]]]) -> dict[str, float]:
        return {
            "wall_s": round(statistics.median(r[0] for r in runs), 3),
            "prompt_tokens": runs[0][1]["prompt_n"],
            "prompt_tok_s": round(statistics.median(r[1]["prompt_per_second"] for r in runs), 1),
            "gen_tokens": round(statistics.median(r[1]["predicted_n"] for r in runs)),
            "gen_tok_s": round(statistics.median(r[1]["predicted_per_second"] for r in runs), 1),
        }

    chat_summary, raw_summary = summary(chat_runs), summary(raw_runs)
    provider_wall = statistics.median(r[0] for r in provider_runs)
    return {
        "provider_wall_s": round(provider_wall, 3),
        "provider_gen_tokens": round(statistics.median(r[1] for r in provider_runs)),
        "ratio_provider_wall_to_chat": round(provider_wall / chat_summary["wall_s"], 3),
        "chat": chat_summary,
        "raw_baseline": raw_summary,
        "ratio_prompt_tok_s": round(chat_summary["prompt_tok_s"] / raw_summary["prompt_tok_s"], 3),
        "ratio_gen_tok_s": round(chat_summary["gen_tok_s"] / raw_summary["gen_tok_s"], 3),
    }


async def token_sizes(counter: ServerTokenCounter) -> dict[str, Any]:
    minimal = [{"role": "system", "content": ""}, {"role": "user", "content": ""}]
    bare = await counter.count_request(minimal)
    with_tools = await counter.count_request(minimal, TOOLS)
    compact_tools = [{"type": "function", "function": compact_schema(t["function"], 80)} for t in TOOLS]
    compacted = await counter.count_request(minimal, compact_tools)
    estimates = []
    for path in sorted((ROOT / "examples").glob("*/**/*.py")) + sorted((ROOT / "examples").glob("*/**/*.rs")):
        text = path.read_text()
        exact = await counter.count(text)
        estimates.append((estimate_tokens(text) / exact, len(text.encode()) / exact))
    return {
        "empty_chat_tokens": bare,
        "tool_instructions_and_schemas_tokens": with_tools - bare,
        "per_tool_tokens": round((with_tools - bare) / len(TOOLS), 1),
        "compacted_tools_tokens": compacted - bare,
        "estimate_over_exact_min": round(min(e[0] for e in estimates), 3),
        "estimate_over_exact_median": round(statistics.median(e[0] for e in estimates), 3),
        "bytes_per_token_median": round(statistics.median(e[1] for e in estimates), 2),
        "estimate_bytes_per_token": BYTES_PER_TOKEN,
        "files": len(estimates),
        "budgets_4k": {role: budget.parts() | {"reply": budget.reply} for role, budget in BUDGETS.items()},
    }


async def roundtrip(server: LocalServer, client: httpx.AsyncClient) -> dict[str, Any]:
    messages = build_prompt_messages()
    started = time.perf_counter()
    first = (await client.post(f"{server.base_url}/chat/completions", json={
        "messages": messages, "tools": TOOLS[:1], "tool_choice": "required", "max_tokens": 64, "temperature": 0,
    })).json()
    message = first["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    follow = [*messages, {"role": "assistant", "content": "", "tool_calls": calls[:1]},
              {"role": "tool", "tool_call_id": calls[0]["id"] if calls else "", "content": "def helper():\n    return 1\n"}]
    second = (await client.post(f"{server.base_url}/chat/completions", json={
        "messages": follow, "tools": TOOLS[:1], "tool_choice": "auto", "max_tokens": 96, "temperature": 0,
    })).json()
    answer = second["choices"][0]["message"]
    return {
        "wall_s": round(time.perf_counter() - started, 3),
        "tool_call_parsed": bool(calls),
        "answered_after_result": bool(answer.get("content")) and not answer.get("tool_calls"),
        "tokens": sum(r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"] for r in (first, second)),
    }


async def run(starts: int, rounds: int) -> dict[str, Any]:
    current = status()
    log = Path(tempfile.mkdtemp(prefix="bench-local-")) / "server.log"
    threads = server_threads(os.environ)   # what a run would use on this machine now
    config = ServerConfig(binary=current.server.path, model=current.weights.path, log_path=log, threads=threads)
    start_times = await measure_starts(config, starts)
    baseline = spawn_baseline(current.server.path, starts)
    result: dict[str, Any] = {
        "bench": "local_model",
        "model": current.model_name,
        "threads": threads,
        "start": {
            "median_s": round(statistics.median(start_times), 3),
            "all_s": [round(t, 3) for t in start_times],
            "baseline_exec_version_s": round(baseline, 4),
            "ratio": round(statistics.median(start_times) / baseline, 1),
        },
    }
    async with local_server(config) as server, httpx.AsyncClient(trust_env=False, timeout=600) as client:
        counter = ServerTokenCounter(server.root_url, client)
        result["throughput"] = await throughput(server, counter, client, rounds)
        result["tokens"] = await token_sizes(counter)
        result["roundtrip"] = await roundtrip(server, client)
    return result


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    current = status()
    if not current.ready:
        raise SystemExit(f"local model not installed ({current.weights.describe}; {current.server.describe}): run `swarm model install`")
    result: dict[str, Any] = {"bench": "local_model", "model": current.model_name}
    if args.only in (None, "speed"):
        result.update(await run(args.starts, args.rounds))
    if args.only in (None, "swarm"):
        from bench.local_swarm import swarm_runs

        def progress(one: dict[str, Any]) -> None:
            print(json.dumps({"swarm_run": one}), file=sys.stderr, flush=True)

        result["swarm"] = await swarm_runs(
            [e.strip() for e in args.examples.split(",") if e.strip()],
            [float(t) for t in args.temperatures.split(",") if t.strip()],
            [m.strip() for m in args.modes.split(",") if m.strip()],
            args.repeats,
            args.budget_wall,
            progress,
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.local_model", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="server starts to time (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    parser.add_argument("--only", choices=("speed", "swarm"), help="run one part (default: both)")
    parser.add_argument("--examples", default="python_shop,rust_ledger", help="bundled examples for the swarm part")
    parser.add_argument("--temperatures", default="0,0.7", help="comma-separated (default 0,0.7)")
    parser.add_argument("--modes", default="guided,full", help="run modes; full is the baseline (default guided,full)")
    parser.add_argument("--repeats", type=int, default=3, help="swarm runs per example, mode and temperature (default 3)")
    parser.add_argument("--budget-wall", type=float, default=900.0, help="wall budget of one swarm run, seconds (default 900)")
    args = parser.parse_args(argv)
    print(json.dumps(trio.run(measure, args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
