"""Diagnostics for the check pipeline: what a rewrite introduced or fixed.

    async with DiagnosticsService.open(root, ["python", "rust"]) as service:
        ...write the new text of a file...
        delta = await service.apply_change("shop/cart.py", new_text, old_text=old_text)
        delta.introduced   # only what the change added; old noise is ignored

One warm language server per language (pyright, rust-analyzer) is started
when the service opens and kept in sync with every change, so a delta costs
a re-check, not a cold start. For Rust, `cargo check` runs beside
rust-analyzer (see diagnostics_combined): the server's own diagnostics are
fast but partial, rustc's are complete. A server that cannot start (or keeps crashing)
is replaced by its command-line checker, and deltas say so
(`source="cli-fallback"` and a note).

Contract with callers: write the file first, then call `apply_change` with
the same text (cargo check and the CLIs read the disk). The "before" side is
`old_text` when given (pass it: the caller knows what the file held), else
the text the server last saw, else the version in git HEAD. Changes to one
language are serialised; files opened only because they depend on a changed
one are opened at their committed text, so a concurrent rewrite already on
disk but not reported yet is never mistaken for old noise.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import trio

from editor_harness.diagnostics_baseline import committed_text
from editor_harness.diagnostics_cli import CliDiagnostics
from editor_harness.diagnostics_combined import CombinedDiagnostics
from editor_harness.diagnostics_delta import diagnostics_delta
from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_server import ServerDiagnostics
from editor_harness.diagnostics_types import (
    ChangeOutcome,
    Diagnostic,
    DiagnosticsBackend,
    DiagnosticsDelta,
    DiagnosticsError,
    DiagnosticsUnavailable,
    DiskOutOfSync,
    NoDiagnosticsFor,
)
from editor_harness.language_servers import LanguageServers, ServerUnavailable, relative_inside
from lsp.errors import LspError
from lsp.nurseries import open_nursery
from lsp.servers import ServerSpec

__all__ = [
    "Diagnostic",
    "DiagnosticsDelta",
    "DiagnosticsService",
    "DiagnosticsError",
    "DiagnosticsUnavailable",
    "DiskOutOfSync",
    "NoDiagnosticsFor",
    "diagnostics_delta",
]


class DiagnosticsService:
    def __init__(
        self,
        root: Path,
        servers: LanguageServers,
        *,
        min_severity: str = "information",
        dependents_limit: int = 20,
    ) -> None:
        self.root = Path(root).resolve()
        self.servers = servers
        self.min_severity = min_severity
        self.dependents_limit = dependents_limit
        self._backends: dict[str, DiagnosticsBackend] = {}
        self._locks: dict[str, trio.Lock] = {}

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        root: Path,
        languages: Iterable[str],
        *,
        servers: LanguageServers | None = None,
        specs: Mapping[str, ServerSpec] | None = None,
        min_severity: str = "information",
        dependents_limit: int = 20,
    ) -> AsyncIterator[DiagnosticsService]:
        """Start (or reuse, via `servers`) a server per language and take a
        baseline; returns once every language is ready or fell back to its CLI."""
        wanted = list(dict.fromkeys(languages))
        async with AsyncExitStack() as stack:
            if servers is None:
                servers = await stack.enter_async_context(LanguageServers.open(root, wanted, specs=specs))
            service = cls(root, servers, min_severity=min_severity, dependents_limit=dependents_limit)
            async with open_nursery() as nursery:
                for language in wanted:
                    nursery.start_soon(service._start_backend, language)
            yield service

    async def _start_backend(self, language: str) -> None:
        dependents = DependentFinder(self.root, limit=self.dependents_limit) if language == "python" else None
        self._locks[language] = trio.Lock()
        backend: DiagnosticsBackend
        try:
            client = await self.servers.client(language)
            server = ServerDiagnostics(language, client, min_severity=self.min_severity, dependents=dependents)
            if language == "rust":
                checker = CliDiagnostics(language, self.root, None, min_severity=self.min_severity)
                backend = CombinedDiagnostics(server, checker)
            else:
                backend = server
        except (ServerUnavailable, LspError, DiagnosticsUnavailable) as exc:
            backend = CliDiagnostics(language, self.root, str(exc), min_severity=self.min_severity, dependents=dependents)
        await backend.start()
        self._backends[language] = backend

    # -- what the service knows ------------------------------------------------

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._backends)

    def status(self) -> dict[str, str]:
        """Per language: "server", or "cli-fallback: <why>"."""
        return {
            language: backend.source if backend.source == "server" else f"{backend.source}: {getattr(backend, 'note', '')}"
            for language, backend in self._backends.items()
        }

    def _relative(self, path: str | Path) -> str:
        rel = relative_inside(self.root, path)
        if rel is None:
            raise NoDiagnosticsFor(f"{path} is outside the workspace {self.root}")
        return rel

    def _backend(self, rel: str) -> tuple[str, DiagnosticsBackend]:
        language = self.servers.language_of(rel)
        if language is None or language not in self._backends:
            known = ", ".join(self._backends) or "none"
            raise NoDiagnosticsFor(f"{rel}: no diagnostics for this file type here (languages: {known})")
        return language, self._backends[language]

    # -- the API ---------------------------------------------------------------

    async def current(self, path: str) -> tuple[Diagnostic, ...]:
        """The file's diagnostics as the checker sees it now (opening it if needed)."""
        rel = self._relative(path)
        language, backend = self._backend(rel)
        async with self._locks[language]:
            try:
                return await backend.current(rel)
            except LspError as exc:
                backend = self._fall_back(language, exc)
                return await backend.current(rel)

    async def project_diagnostics(self, paths: Sequence[str]) -> dict[str, tuple[Diagnostic, ...]]:
        """Current diagnostics of several files."""
        return {self._relative(p): await self.current(p) for p in paths}

    async def apply_change(self, path: str, new_text: str, *, old_text: str | None = None) -> DiagnosticsDelta:
        """Sync the checker with `new_text` (already written to `path`) and return
        what the change introduced and fixed, in this file and in files that use it."""
        started = time.perf_counter()
        rel = self._relative(path)
        language, backend = self._backend(rel)
        try:
            on_disk = (self.root / rel).read_text(encoding="utf-8")
        except OSError as exc:
            raise DiskOutOfSync(f"{rel}: cannot read it ({exc}); write the new text before apply_change") from None
        if on_disk != new_text:
            raise DiskOutOfSync(
                f"{rel}: the file on disk differs from the text given; write the file first, "
                "then call apply_change with the same text (checkers read the disk)"
            )
        async with self._locks[language]:
            backend = self._backends[language]
            baseline = old_text if old_text is not None else backend.open_text(rel)
            if baseline is None:
                baseline = await committed_text(self.root, rel)
            try:
                outcome = await backend.change(rel, new_text, baseline)
            except LspError as exc:
                backend = self._fall_back(language, exc)
                outcome = await backend.change(rel, new_text, baseline)
        introduced, fixed = _delta(outcome, rel, baseline is None)
        notes = [outcome.note] if outcome.note else []
        if baseline is None:
            notes.append(
                f"no earlier text of {rel} was known (not open, no old_text, not in git HEAD): "
                "all its diagnostics count as introduced"
            )
        return DiagnosticsDelta(
            introduced=introduced,
            fixed=fixed,
            source=backend.source,
            elapsed_s=time.perf_counter() - started,
            note="; ".join(notes),
            known_codes=_known_codes(outcome, {d.path for d in introduced}),
        )

    def _fall_back(self, language: str, exc: Exception) -> DiagnosticsBackend:
        previous = self._backends[language]
        reason = f"{exc}".splitlines()[0]
        # A checker that ran beside the server knows the workspace already.
        fallback = getattr(previous, "checker", None)
        if isinstance(fallback, CliDiagnostics):
            fallback.fall_back(reason)
        else:
            fallback = CliDiagnostics(
                language,
                self.root,
                reason,
                min_severity=self.min_severity,
                dependents=getattr(previous, "dependents", None),
            )
        self._backends[language] = fallback
        return fallback


def _known_codes(outcome: ChangeOutcome, paths: set[str]) -> dict[str, tuple[str, ...]]:
    """For each of `paths`, the codes of the errors it had before the change."""
    known: dict[str, tuple[str, ...]] = {}
    for path in sorted(paths):
        codes = sorted({d.code for d in outcome.before.get(path, ()) if d.severity == "error" and d.code})
        if codes:
            known[path] = tuple(codes)
    return known


def _delta(outcome: ChangeOutcome, rel: str, no_baseline: bool) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]]:
    introduced: list[Diagnostic] = []
    fixed: list[Diagnostic] = []
    for path in sorted(set(outcome.before) | set(outcome.after)):
        before = () if (no_baseline and path == rel) else outcome.before.get(path, ())
        after = outcome.after.get(path, ())
        if before == after:
            continue
        added, removed = diagnostics_delta(
            before,
            after,
            before_text=outcome.before_texts.get(path),
            after_text=outcome.after_texts.get(path),
        )
        introduced.extend(added)
        fixed.extend(removed)
    return tuple(introduced), tuple(fixed)
