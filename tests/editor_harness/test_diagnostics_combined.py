"""rust-analyzer and cargo check side by side, on a real crate."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.diagnostics_cli import CliDiagnostics
from editor_harness.diagnostics_combined import CombinedDiagnostics
from editor_harness.diagnostics_server import ServerDiagnostics
from lsp.client import open_client
from lsp.servers import RUST_ANALYZER

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

LEDGER = "src/ledger.rs"
TESTS = "tests/transfers.rs"


async def test_both_halves_report_and_cargo_sees_other_files(rust_repo: Path) -> None:
    async with open_client(RUST_ANALYZER, rust_repo) as client:
        await client.wait_until_ready()
        backend = CombinedDiagnostics(ServerDiagnostics("rust", client), CliDiagnostics("rust", rust_repo, None))
        await backend.start()
        assert backend.source == "server" and backend.checker.note == ""
        assert await backend.current(LEDGER) == ()

        old = (rust_repo / LEDGER).read_text()
        new = old.replace("let balance = self.balance(from)?;", 'let balance: i64 = "x";')
        (rust_repo / LEDGER).write_text(new)
        outcome = await backend.change(LEDGER, new, old)
        assert {d.source for d in outcome.after[LEDGER]} == {"rustc", "rust-analyzer"}
        assert outcome.before[LEDGER] == () and outcome.note == ""
        assert backend.open_text(LEDGER) == new
        assert {d.source for d in await backend.current(LEDGER)} == {"rustc", "rust-analyzer"}

        # A signature change: only cargo check sees the broken integration test.
        (rust_repo / LEDGER).write_text(old)
        await backend.change(LEDGER, old, new)
        signature = old.replace("amount: i64) -> Result<(), LedgerError>", "amount: i64, memo: &str) -> Result<(), LedgerError>")
        (rust_repo / LEDGER).write_text(signature)
        outcome = await backend.change(LEDGER, signature, old)
        assert outcome.before.get(TESTS, ()) == ()
        assert any(d.severity == "error" and d.source == "rustc" for d in outcome.after[TESTS])
