"""Budgets, estimates and schema compaction (offline); exact counts against
the real llama-server live in test_server_tokens.py."""

from __future__ import annotations

import pytest

from swarm.local_model.errors import TokenizeError
from swarm.local_model.prompt_budget import (
    BUDGETS,
    BYTES_PER_TOKEN,
    MESSAGE_OVERHEAD_TOKENS,
    ContextBudget,
    EstimatingCounter,
    ServerTokenCounter,
    budgets_for,
    compact_schema,
    estimate_tokens,
    fit_lines,
    measure_prompt,
    schema_text,
)


@pytest.mark.parametrize("context", [4096, 8192])
def test_every_role_fits_its_window(context: int) -> None:
    budgets = budgets_for(context)
    assert set(budgets) == {"symbol_agent", "proxy_user", "coordinator", "probe_answer"}
    for budget in budgets.values():
        assert sum(budget.parts().values()) + budget.reply <= context
        assert budget.prompt == context - budget.reply
        assert budget.reply >= context // 10


def test_symbol_agent_can_rewrite_a_function() -> None:
    agent = BUDGETS["symbol_agent"]
    # It must be able to echo back its whole code with changes.
    assert agent.reply >= agent.own_code


def test_overcommitted_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="more than its context"):
        ContextBudget("x", 100, 50, 50, 0, 0, 0, 10)


def test_estimate_scales_with_bytes() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    text = "def total(self):\n    return sum(i.price for i in self.items)\n"
    assert estimate_tokens(text) == -(-len(text.encode()) // BYTES_PER_TOKEN)
    assert estimate_tokens(text * 10) >= 10 * estimate_tokens(text) - 10


def test_compact_schema_keeps_meaning_drops_noise() -> None:
    schema = {
        "title": "ReadSymbol",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "a property that happens to be called title"},
            "id": {"type": "string", "description": "The   symbol\n id " + "x" * 300, "default": None, "examples": ["a"]},
        },
        "required": ["id"],
    }
    compact = compact_schema(schema, max_description=40)
    assert "title" not in compact and "$schema" not in compact
    assert set(compact["properties"]) == {"title", "id"}
    description = compact["properties"]["id"]["description"]
    assert description.startswith("The symbol id x") and len(description) == 40 and description.endswith("…")
    assert "default" not in compact["properties"]["id"] and "examples" not in compact["properties"]["id"]
    assert compact["required"] == ["id"]


def test_schema_text_is_one_line() -> None:
    tool = {"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}
    assert schema_text(tool) == '{"name": "read", "parameters": {"type": "object"}}'


def test_fit_lines_keeps_head_and_tail() -> None:
    text = "\n".join(f"line {i:03d} with some words" for i in range(200))
    fitted = fit_lines(text, 100)
    assert estimate_tokens(fitted) <= 100
    assert fitted.startswith("line 000") and fitted.endswith("line 199 with some words")
    assert "lines omitted)" in fitted
    assert fit_lines("short", 100) == "short"


@pytest.mark.anyio
async def test_measure_prompt_against_a_budget() -> None:
    budget = BUDGETS["symbol_agent"]
    size = await measure_prompt(
        budget,
        {"system": "You own one symbol.", "own_code": "def f():\n    return 1\n" * 5, "extra": "x" * 64},
        EstimatingCounter(),
        overhead=12,
    )
    as_dict = size.as_dict()
    assert size.fits and as_dict["fits"]
    assert size.total == sum(p.tokens for p in size.parts) + 12
    assert as_dict["parts"]["extra"]["budget"] == 0
    assert as_dict["parts"]["own_code"]["budget"] == budget.own_code
    big = await measure_prompt(budget, {"own_code": "x = 1\n" * 5000}, EstimatingCounter())
    assert not big.fits and big.parts[0].over > 0


@pytest.mark.anyio
async def test_unreachable_tokenizer_is_a_clear_error() -> None:
    import httpx

    from swarm.local_model.server import free_port

    async with httpx.AsyncClient(trust_env=False) as client:
        counter = ServerTokenCounter(f"http://127.0.0.1:{free_port()}", client)
        with pytest.raises(TokenizeError, match="cannot reach"):
            await counter.count("hello")


@pytest.mark.slow
@pytest.mark.anyio
async def test_exact_counts_from_the_real_server(shared_server) -> None:
    import httpx

    async with httpx.AsyncClient(trust_env=False, timeout=120) as client:
        counter = ServerTokenCounter(shared_server.root_url, client)
        text = "def total(self):\n    return sum(item.price for item in self.items)\n"
        tokens = await counter.tokenize(text)
        assert len(tokens) == await counter.count(text) > 0
        messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]
        prompt = await counter.render(messages)
        assert text.strip() in prompt
        whole = await counter.count_request(messages)
        assert whole == await counter.count(prompt)
        assert whole > len(tokens) + MESSAGE_OVERHEAD_TOKENS
        tools = [{"type": "function", "function": {"name": "read", "parameters": {"type": "object"}}}]
        assert await counter.count_request(messages, tools) > whole


@pytest.mark.slow
@pytest.mark.anyio
async def test_estimate_errs_high_on_real_code(shared_server) -> None:
    import httpx
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    sources = sorted((root / "examples").glob("*/**/*.py")) + sorted((root / "examples").glob("*/**/*.rs"))
    assert sources
    async with httpx.AsyncClient(trust_env=False, timeout=120) as client:
        counter = ServerTokenCounter(shared_server.root_url, client)
        for path in sources:
            text = path.read_text()
            assert estimate_tokens(text) >= await counter.count(text), path
