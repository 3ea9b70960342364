"""Diagnostics from a warm language server, kept in sync with every change.

How a change becomes a complete "after" picture:
- Both pyright and rust-analyzer answer `textDocument/diagnostic` (pull):
  the answer is computed for the text just sent, so there is no guessing
  whether a publish is fresh (and pyright's ~260 ms publish delay is gone).
- rust-analyzer's `cargo check` (flycheck) runs on save and its results are
  *published*; after didSave we wait for that check's `$/progress` to begin
  and end, then read the published diagnostics of every file. `cargo check`
  covers the whole crate, so a broken caller in another file shows up.
- pyright checks only open files, so before a change the files that import
  the changed module and mention a changed name are opened and pulled too
  (see `diagnostics_dependents`); they are pulled again after it.

A server that crashes mid-change is restarted by the client (documents
re-opened at their latest text) and the change is retried once from the
"before" picture taken earlier.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TypeVar

import trio
from lsprotocol import types as lsp

from editor_harness.diagnostics_baseline import committed_text
from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_types import ChangeOutcome, Diagnostic, outcome_of, severity_from_lsp, severity_rank
from editor_harness.language_servers import relative_inside
from lsp import jsonrpc
from lsp.client import LanguageClient
from lsp.errors import LspError, ResponseError, ServerCrashed
from lsp.positions import LineIndex, range_to_codepoints
from lsp.uris import path_to_uri, uri_to_path

log = logging.getLogger(__name__)
T = TypeVar("T")

PULL_TIMEOUT = 120.0
CHECK_BEGIN_TIMEOUT = 10.0
CHECK_TIMEOUT = 600.0
# A server may cancel a pull because the document changed under it; ask again.
_RETRY_CODES = {jsonrpc.CONTENT_MODIFIED, jsonrpc.SERVER_CANCELLED, jsonrpc.REQUEST_CANCELLED}


def from_lsp(
    item: lsp.Diagnostic, path: str, index: LineIndex, encoding: str, default_source: str
) -> Diagnostic:
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
        self.language = language
        self.client = client
        self.root = client.root
        self.max_rank = severity_rank(min_severity)
        self.dependents = dependents
        self._known: dict[str, tuple[Diagnostic, ...]] = {}
        # What the save-triggered check published when we last waited for it.
        # A restarted server re-publishes from scratch on its own schedule, so
        # the "before" of pushed diagnostics is this, never the live store.
        self._pushed: dict[str, list[Diagnostic]] = {}
        self._checked_generation = 0
        self.note = ""

    # -- paths and texts ----------------------------------------------------

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

    # -- reading diagnostics ------------------------------------------------

    def _convert(self, items: Iterable[lsp.Diagnostic], path: str, text: str) -> list[Diagnostic]:
        index = LineIndex(text)
        converted = (
            from_lsp(item, path, index, self.client.position_encoding, self.client.spec.name) for item in items
        )
        return [d for d in converted if severity_rank(d.severity) <= self.max_rank]

    async def _pull(self, path: str) -> list[Diagnostic]:
        params = lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(self.root / path)))
        for _ in range(5):
            try:
                report = await self.client.request("textDocument/diagnostic", params, timeout=PULL_TIMEOUT)
            except ResponseError as exc:
                if exc.code in _RETRY_CODES:
                    await trio.sleep(0.05)
                    continue
                raise
            items = getattr(report, "items", None) or []
            return self._convert(items, path, self._text(path))
        return []

    def _published(self) -> dict[str, list[Diagnostic]]:
        found: dict[str, list[Diagnostic]] = {}
        for uri, publication in self.client.published.snapshot().items():
            try:
                rel = relative_inside(self.root, uri_to_path(uri))
            except Exception:
                continue
            if rel is not None and publication.diagnostics:
                found[rel] = self._convert(publication.diagnostics, rel, self._text(rel))
        return found

    async def _picture(
        self, pulled: Iterable[str], pushed: Mapping[str, Iterable[Diagnostic]]
    ) -> dict[str, tuple[Diagnostic, ...]]:
        """Diagnostics per file: pulled now for the open ones among `pulled`, plus `pushed`."""
        picture: dict[str, list[Diagnostic]] = {path: [] for path in pulled}
        for path, items in pushed.items():
            picture.setdefault(path, []).extend(items)
        open_paths = [p for p in picture if self.client.documents.get(self.root / p) is not None]
        for path, items in zip(open_paths, await self._pull_all(open_paths)):
            picture[path].extend(items)
        return {path: _ordered(items) for path, items in picture.items()}

    async def _pull_all(self, paths: list[str]) -> list[list[Diagnostic]]:
        """Pull several files with the requests in flight together: the server
        answers them in turn, without a round trip between each."""
        results: list[list[Diagnostic]] = [[] for _ in paths]
        failures: list[Exception] = []

        async def pull(slot: int, path: str) -> None:
            try:
                results[slot] = await self._pull(path)
            except LspError as exc:
                failures.append(exc)

        async with trio.open_nursery() as nursery:
            for slot, path in enumerate(paths):
                nursery.start_soon(pull, slot, path)
        if failures:
            raise failures[0]
        return results

    # -- the save-triggered check (rust-analyzer's flycheck) -------------------

    async def _wait_for_check(self, begun_before: int) -> str:
        title = self.client.spec.save_check_title
        if title is None:
            return ""
        progress = self.client.progress
        started = await progress.changed.wait_for(lambda: progress.begun_count(title) > begun_before, CHECK_BEGIN_TIMEOUT)
        if not started and not progress.is_running(title):
            return f"no `{title}` started within {CHECK_BEGIN_TIMEOUT:g} s of the save; its results may be stale"
        finished = await progress.changed.wait_for(lambda: not progress.is_running(title), CHECK_TIMEOUT)
        if not finished:
            return f"`{title}` still running after {CHECK_TIMEOUT:g} s; its results are incomplete"
        return ""

    async def start(self) -> None:
        """Make sure a whole-workspace check has run, so every file has a baseline."""
        title = self.client.spec.save_check_title
        self._checked_generation = self.client.generation
        if title is None:
            return
        progress = self.client.progress
        # rust-analyzer checks the workspace once after loading; if it did
        # not (or not yet), ask for one.
        if progress.ended_count(title) == 0 and not progress.is_running(title):
            begun = progress.begun_count(title)
            if self.client.spec.save_check_command:
                await self.client.notify(self.client.spec.save_check_command, {"textDocument": None})
            self.note = await self._wait_for_check(begun)
        elif progress.is_running(title):
            await progress.changed.wait_for(lambda: not progress.is_running(title), CHECK_TIMEOUT)
        self._pushed = self._published()
        self._known.update(await self._picture((), self._pushed))

    # -- the service API --------------------------------------------------------

    async def _surviving_crash(self, step: Callable[[], Awaitable[T]], notes: list[str]) -> T:
        """Run `step`; if the server dies meanwhile, wait for its restart and run it once more."""
        try:
            return await step()
        except ServerCrashed as exc:
            if not self.client.can_restart:
                raise
            notes.append(f"{self.client.spec.name} crashed and was restarted")
            log.warning("%s crashed; retrying after its restart: %s", self.client.spec.name, exc)
            await self.client.wait_until_ready()
            return await step()

    async def _open_dependent(self, path: str) -> None:
        if self.client.documents.get(self.root / path) is not None:
            return
        # The committed text, not the disk: another change may have been
        # written there already and not reported yet; baking it into this
        # file's "before" would hide what it introduced.
        await self.client.open_document(self.root / path, await committed_text(self.root, path) or self._text(path))

    async def current(self, path: str) -> tuple[Diagnostic, ...]:
        async def read() -> dict[str, tuple[Diagnostic, ...]]:
            await self._ensure_open(path)
            return await self._picture([path], {path: self._pushed.get(path, [])})

        picture = await self._surviving_crash(read, [])
        self._known.update(picture)
        return picture.get(path, ())

    async def change(self, path: str, new_text: str, baseline_text: str | None) -> ChangeOutcome:
        notes: list[str] = []
        known_before = self.open_text(path) is not None or baseline_text is not None
        dependents: list[str] = []
        files = [path]

        async def take_before() -> dict[str, tuple[Diagnostic, ...]]:
            await self._ensure_open(path, baseline_text)
            if baseline_text is not None and self.open_text(path) != baseline_text:
                # The caller knows better what the file held before this change.
                await self.client.change_document(self.root / path, baseline_text)
            for dependent in dependents:
                await self._open_dependent(dependent)
            return await self._picture(files, {f: self._pushed.get(f, []) for f in files})

        old_text = baseline_text if baseline_text is not None else self.open_text(path)
        if self.dependents is not None and not self.client.spec.save_check_title:
            # Without the old text, any importer may be affected.
            dependents, qualified = self.dependents.dependents(path, old_text if known_before else None, new_text)
            if qualified > len(dependents):
                notes.append(f"re-checked {len(dependents)} of {qualified} dependent files")
            files.extend(dependents)
        before = dict(self._known)
        before.update(await self._surviving_crash(take_before, notes))
        old_text = self.open_text(path)

        async def take_after() -> dict[str, tuple[Diagnostic, ...]]:
            begun = self.client.progress.begun_count(self.client.spec.save_check_title or "")
            await self.client.change_document(self.root / path, new_text)
            await self.client.save_document(self.root / path)
            check_note = await self._wait_for_check(begun)
            if check_note:
                notes.append(check_note)
            if self.client.spec.save_check_title:
                self._pushed = self._published()
            return await self._picture(files, self._pushed)

        after = await self._surviving_crash(take_after, notes)
        outcome = outcome_of(
            before,
            after,
            changed=path,
            old_text=old_text,
            text_of=self._text,
            checked=files,
            notes=notes,
            whole_workspace=bool(self.client.spec.save_check_title),
        )
        self._known.update(outcome.after)
        return outcome


def _ordered(items: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    # Identical items come from overlapping targets (lib and test builds).
    return tuple(sorted(set(items), key=lambda d: (d.line, d.column, d.end_line, d.end_column, d.message)))
