"""Diagnostics from a warm language server, kept in sync with every change.

Diagnostics are pulled (`textDocument/diagnostic`): the answer is computed
for the text just sent, so there is no guessing whether a publish is fresh
(and pyright's ~260 ms publish delay is gone). Both pyright and
rust-analyzer answer pulls; a server that cannot is refused here and its
language falls back to the command line.

Cross-file effects: pyright checks only open files, so before a change the
files that import the changed module and spell a changed name are opened
(at their committed text) and pulled too (see `diagnostics_dependents`);
they are pulled again after it. (For Rust, `cargo check` beside the server
covers the crate: see `diagnostics_combined`.)

A server that crashes mid-change is restarted by the client (documents
re-opened at their latest text) and the step that failed is run again; the
"before" picture taken earlier is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import TypeVar

import trio
from lsprotocol import types as lsp

from editor_harness.diagnostics_baseline import committed_text
from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_types import (
    ChangeOutcome,
    Diagnostic,
    DiagnosticsUnavailable,
    outcome_of,
    severity_from_lsp,
    severity_rank,
)
from lsp import jsonrpc
from lsp.client import LanguageClient
from lsp.errors import ResponseError, ServerCrashed
from lsp.nurseries import gather
from lsp.positions import LineIndex, range_to_codepoints
from lsp.uris import path_to_uri

log = logging.getLogger(__name__)
T = TypeVar("T")

PULL_TIMEOUT = 120.0
# A server may cancel a pull because the document changed under it; ask again.
_RETRY_CODES = {jsonrpc.CONTENT_MODIFIED, jsonrpc.SERVER_CANCELLED, jsonrpc.REQUEST_CANCELLED}
_PULL_ATTEMPTS = 5


def from_lsp(item: lsp.Diagnostic, path: str, index: LineIndex, encoding: str, default_source: str) -> Diagnostic:
    line, column, end_line, end_column = range_to_codepoints(
        index,
        (item.range.start.line, item.range.start.character),
        (item.range.end.line, item.range.end.character),
        encoding,  # type: ignore[arg-type]
    )
    return Diagnostic(
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        severity=severity_from_lsp(item.severity),
        message=item.message,
        code=str(item.code) if item.code is not None else None,
        source=item.source or default_source,
    )


def supports_pull(client: LanguageClient) -> bool:
    capabilities = client.server_capabilities
    if capabilities is not None and capabilities.diagnostic_provider is not None:
        return True
    # pyright announces pull diagnostics by dynamic registration instead.
    return client.spec.diagnostics == "pull"


class ServerDiagnostics:
    source = "server"

    def __init__(
        self,
        language: str,
        client: LanguageClient,
        *,
        min_severity: str = "information",
        dependents: DependentFinder | None = None,
    ) -> None:
        if not supports_pull(client):
            raise DiagnosticsUnavailable(
                f"{client.spec.name} does not answer textDocument/diagnostic; this service needs pull diagnostics"
            )
        self.language = language
        self.client = client
        self.root = client.root
        self.max_rank = severity_rank(min_severity)
        self.dependents = dependents
        self._known: dict[str, tuple[Diagnostic, ...]] = {}

    # -- texts ---------------------------------------------------------------

    def open_text(self, path: str) -> str | None:
        """The text the server has for `path` if the client opened it."""
        document = self.client.documents.get(self.root / path)
        return document.text if document is not None else None

    def _text(self, path: str) -> str:
        try:
            return self.client.text_of(self.root / path)
        except OSError:
            return ""

    async def _ensure_open(self, path: str, text: str | None = None) -> None:
        if self.client.documents.get(self.root / path) is None:
            await self.client.open_document(self.root / path, text if text is not None else self._text(path))

    async def _open_dependent(self, path: str) -> None:
        if self.client.documents.get(self.root / path) is not None:
            return
        # The committed text, not the disk: another change may have been
        # written there already and not reported yet; baking it into this
        # file's "before" would hide what it introduced.
        await self.client.open_document(self.root / path, await committed_text(self.root, path) or self._text(path))

    # -- pulling -----------------------------------------------------------------

    async def _pull(self, path: str) -> tuple[Diagnostic, ...]:
        params = lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(self.root / path)))
        for _ in range(_PULL_ATTEMPTS):
            try:
                report = await self.client.request("textDocument/diagnostic", params, timeout=PULL_TIMEOUT)
            except ResponseError as exc:
                if exc.code in _RETRY_CODES:
                    await trio.sleep(0.05)
                    continue
                raise
            index = LineIndex(self._text(path))
            encoding = self.client.position_encoding
            items = (from_lsp(i, path, index, encoding, self.client.spec.name) for i in getattr(report, "items", None) or ())
            kept = {d for d in items if severity_rank(d.severity) <= self.max_rank}
            return tuple(sorted(kept, key=lambda d: (d.line, d.column, d.end_line, d.end_column, d.message)))
        raise DiagnosticsUnavailable(f"{self.client.spec.name} kept cancelling the diagnostics of {path}")

    async def _pull_all(self, paths: Iterable[str]) -> dict[str, tuple[Diagnostic, ...]]:
        """Pull several files with the requests in flight together: the server
        answers them in turn, without a round trip between each."""
        wanted = list(dict.fromkeys(paths))
        pulled = await gather(*(partial(self._pull, path) for path in wanted))
        return dict(zip(wanted, pulled, strict=True))

    async def _surviving_crash(self, step: Callable[[], Awaitable[T]], notes: list[str]) -> T:
        """Run `step`; if the server dies meanwhile, wait for its restart and run it once more."""
        try:
            return await step()
        except ServerCrashed as exc:
            if not self.client.can_restart:
                first_line = str(exc).splitlines()[0]
                raise ServerCrashed(
                    f"{self.client.spec.name} keeps crashing ({self.client.restarts} restarts used up): {first_line}"
                ) from None
            notes.append(f"{self.client.spec.name} crashed and was restarted")
            log.warning("%s crashed; retrying after its restart: %s", self.client.spec.name, exc)
            await self.client.wait_until_ready()
            return await step()

    # -- the backend API ---------------------------------------------------------

    async def start(self) -> None:
        return None

    async def current(self, path: str) -> tuple[Diagnostic, ...]:
        async def read() -> dict[str, tuple[Diagnostic, ...]]:
            await self._ensure_open(path)
            return await self._pull_all([path])

        picture = await self._surviving_crash(read, [])
        self._known.update(picture)
        return picture[path]

    async def change(self, path: str, new_text: str, baseline_text: str | None) -> ChangeOutcome:
        notes: list[str] = []
        known_before = self.open_text(path) is not None or baseline_text is not None
        old_text = baseline_text if baseline_text is not None else self.open_text(path)
        files = [path]
        if self.dependents is not None:
            # Without the old text, any importer may be affected.
            dependents, qualified = self.dependents.dependents(path, old_text if known_before else None, new_text)
            if qualified > len(dependents):
                notes.append(f"re-checked {len(dependents)} of {qualified} dependent files")
            files.extend(dependents)

        async def take_before() -> dict[str, tuple[Diagnostic, ...]]:
            await self._ensure_open(path, baseline_text)
            if baseline_text is not None and self.open_text(path) != baseline_text:
                # The caller knows better what the file held before this change.
                await self.client.change_document(self.root / path, baseline_text)
            for dependent in files[1:]:
                await self._open_dependent(dependent)
            return await self._pull_all(files)

        before = dict(self._known)
        before.update(await self._surviving_crash(take_before, notes))
        old_text = self.open_text(path)

        async def take_after() -> dict[str, tuple[Diagnostic, ...]]:
            await self.client.change_document(self.root / path, new_text)
            await self.client.save_document(self.root / path)
            return await self._pull_all(files)

        after = await self._surviving_crash(take_after, notes)
        outcome = outcome_of(
            before,
            after,
            changed=path,
            old_text=old_text,
            text_of=self._text,
            checked=files,
            notes=notes,
            whole_workspace=False,
        )
        self._known.update(outcome.after)
        return outcome
