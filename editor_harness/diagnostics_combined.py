"""Rust diagnostics from two sources run side by side for every change:
rust-analyzer's own (pulled, milliseconds) and `cargo check`'s (rustc's full
type checking of the whole crate, tests and examples included, so a caller
broken in another file shows up).

`cargo check` runs directly rather than as rust-analyzer's save-triggered
flycheck: that path adds a save-to-spawn delay and a progress round trip,
and measured ~35% slower on this machine (see bench/RESULTS.md). The server
keeps its flycheck off (lsp.servers.RUST_ANALYZER_CONFIG).
"""

from __future__ import annotations

from functools import partial

from editor_harness.diagnostics_cli import CliDiagnostics
from editor_harness.diagnostics_server import ServerDiagnostics
from editor_harness.diagnostics_types import ChangeOutcome, Diagnostic, merge_outcomes
from lsp.nurseries import gather


class CombinedDiagnostics:
    source = "server"

    def __init__(self, server: ServerDiagnostics, checker: CliDiagnostics) -> None:
        self.language = server.language
        self.server = server
        self.checker = checker

    def open_text(self, path: str) -> str | None:
        return self.server.open_text(path)

    async def start(self) -> None:
        await gather(self.server.start, self.checker.start)

    async def current(self, path: str) -> tuple[Diagnostic, ...]:
        native, checked = await gather(partial(self.server.current, path), partial(self.checker.current, path))
        return tuple(sorted({*native, *checked}, key=lambda d: (d.line, d.column, d.end_line, d.end_column, d.message)))

    async def change(self, path: str, new_text: str, baseline_text: str | None) -> ChangeOutcome:
        outcomes = await gather(
            partial(self.server.change, path, new_text, baseline_text),
            partial(self.checker.change, path, new_text, baseline_text),
        )
        return merge_outcomes(*outcomes)
