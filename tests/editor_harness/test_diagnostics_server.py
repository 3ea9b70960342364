"""The warm-server backend, against real pyright and rust-analyzer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_server import ServerDiagnostics, from_lsp
from editor_harness.diagnostics_types import DiagnosticsUnavailable
from lsp.client import open_client
from lsp.positions import LineIndex
from lsp.servers import PYRIGHT, RUST_ANALYZER
from tests.lsp.conftest import FAULT_SPEC

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
async def test_rust_analyzer_native_diagnostics(rust_repo: Path) -> None:
    ledger = "src/ledger.rs"
    async with open_client(RUST_ANALYZER, rust_repo) as client:
        await client.wait_until_ready()
        backend = ServerDiagnostics("rust", client)
        assert await backend.current(ledger) == ()
        old = (rust_repo / ledger).read_text()
        new = old.replace("let balance = self.balance(from)?;", 'let balance: i64 = "x";')
        (rust_repo / ledger).write_text(new)
        outcome = await backend.change(ledger, new, old)
        assert outcome.before[ledger] == () and outcome.checked == (ledger,)
        (native,) = outcome.after[ledger]
        assert (native.source, native.code, native.severity) == ("rust-analyzer", "E0308", "error")
        assert new.splitlines()[native.line - 1][native.column : native.end_column] == '"x"'


@pytest.mark.slow
async def test_a_server_without_pull_diagnostics_is_refused(tmp_path: Path) -> None:
    async with open_client(replace(FAULT_SPEC, diagnostics="push"), tmp_path) as client:
        with pytest.raises(DiagnosticsUnavailable, match="pull diagnostics"):
            ServerDiagnostics("plaintext", client)
