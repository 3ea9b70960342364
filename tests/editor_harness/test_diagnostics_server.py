"""The warm-server backend, against real pyright and rust-analyzer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp

from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_server import ServerDiagnostics, from_lsp
from lsp.client import open_client
from lsp.positions import LineIndex
from lsp.servers import PYRIGHT, RUST_ANALYZER

pytestmark = pytest.mark.anyio

CART = "shop/cart.py"
DISCOUNTS = "shop/discounts.py"


def test_from_lsp_converts_columns_severity_and_code() -> None:
    index = LineIndex("s = '😀' + undefined\n")
    item = lsp.Diagnostic(
        range=lsp.Range(lsp.Position(0, 11), lsp.Position(0, 20)),
        message='"undefined" is not defined',
        code=123,
    )
    diagnostic = from_lsp(item, "a.py", index, "utf-16", "pyright")
    assert (diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column) == (1, 10, 1, 19)
    assert diagnostic.severity == "error" and diagnostic.code == "123" and diagnostic.source == "pyright"


@pytest.mark.slow
async def test_pyright_change_rechecks_dependents(python_repo: Path) -> None:
    async with open_client(PYRIGHT, python_repo) as client:
        await client.wait_until_ready()
        backend = ServerDiagnostics("python", client, dependents=DependentFinder(python_repo))
        await backend.start()
        assert await backend.current(CART) == ()
        old = (python_repo / DISCOUNTS).read_text()
        # parse_coupon grows a required parameter: its caller in cart.py breaks.
        new = old.replace("def parse_coupon(code: str) -> PercentOff:", "def parse_coupon(code: str, strict: bool) -> PercentOff:")
        (python_repo / DISCOUNTS).write_text(new)
        outcome = await backend.change(DISCOUNTS, new, old)
        assert outcome.checked[0] == DISCOUNTS and CART in outcome.checked
        assert outcome.before[CART] == ()
        (broken,) = [d for d in outcome.after[CART] if d.severity == "error"]
        assert "strict" in broken.message
        assert outcome.before_texts[DISCOUNTS] == old and outcome.after_texts[DISCOUNTS] == new
        assert backend.open_text(DISCOUNTS) == new


@pytest.mark.slow
async def test_rust_analyzer_change_waits_for_cargo_check(rust_repo: Path) -> None:
    ledger = "src/ledger.rs"
    async with open_client(RUST_ANALYZER, rust_repo) as client:
        await client.wait_until_ready()
        backend = ServerDiagnostics("rust", client)
        await backend.start()
        assert client.progress.ended_count("cargo check") >= 1
        old = (rust_repo / ledger).read_text()
        new = old.replace("if balance <= amount {", 'if balance <= "x" {')
        (rust_repo / ledger).write_text(new)
        outcome = await backend.change(ledger, new, old)
        assert outcome.note == ""
        assert outcome.before.get(ledger, ()) == ()
        codes = {(d.source, d.code) for d in outcome.after[ledger]}
        assert ("rustc", "E0308") in codes
