"""`swarm mcp` over stdio, driven by the `mcp` package's own client against the python_shop example."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = pytest.mark.anyio

BUGGY = "shop/discounts.py::BulkDiscount.applies_to"
FIX = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"


def _text(result: object) -> str:
    content = getattr(result, "content")
    return "".join(getattr(part, "text", "") for part in content)


async def test_an_agent_reads_navigates_and_fixes_through_mcp(python_repo: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "swarm.cli.main", "mcp", "--repo", str(python_repo), "--no-servers"],
        cwd=str(python_repo),
    )  # fmt: skip
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) >= {"read_symbol", "outline", "locate", "go_to_definition", "references", "diagnostics",
                              "run_tests", "rewrite_symbol"}  # fmt: skip
        assert tools["rewrite_symbol"].input_schema["required"] == ["symbol", "new_source"]

        located = json.loads(_text(await client.call_tool("locate", {"name": "applies_to"})))
        assert located[0]["id"] == BUGGY
        read = json.loads(_text(await client.call_tool("read_symbol", {"symbol": BUGGY})))
        assert "quantity > self.min_quantity" in read["text"] and read["version"] == 1
        outline = json.loads(_text(await client.call_tool("outline", {"path": "shop/discounts.py"})))
        assert BUGGY in [s["id"] for s in outline]
        refs = json.loads(_text(await client.call_tool("references", {"path": "shop/discounts.py", "line": read["start_line"], "column": 9})))
        assert any(r["symbol_id"] == "shop/discounts.py::BulkDiscount.amount_off" for r in refs)

        failing = json.loads(_text(await client.call_tool("run_tests", {"selection": ["tests/test_discounts.py"]})))
        assert failing["counts"]["failed"] == 1

        bad = await client.call_tool("read_symbol", {"symbol": "shop/discounts.py::Nope"})
        assert bad.is_error and "SymbolNotFound" in _text(bad)

        checked = json.loads(_text(await client.call_tool(
            "rewrite_symbol", {"symbol": BUGGY, "new_source": FIX, "base_version": 1, "tests": ["tests/test_discounts.py"]}
        )))  # fmt: skip
        assert checked["ok"] and checked["report"]["test_run"]["counts"] == {"passed": 3, "failed": 0, "error": 0, "skipped": 0}
        assert "+        return quantity >= self.min_quantity" in checked["patch"]
        stale = json.loads(_text(await client.call_tool("rewrite_symbol", {"symbol": BUGGY, "new_source": FIX, "base_version": 1})))
        assert not stale["ok"] and "StaleVersion" in stale["report"]["stages"][0]["summary"]
        diagnostics = json.loads(_text(await client.call_tool("diagnostics", {"path": "shop/discounts.py"})))
        assert diagnostics["diagnostics"] == [] and "no diagnostics service" in diagnostics["note"]
    assert "quantity >= self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
