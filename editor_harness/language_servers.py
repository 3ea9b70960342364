"""One warm language server per language for a workspace, shared by the
diagnostics service and server navigation (a second pyright or
rust-analyzer for the same tree would double memory and start-up time).

Servers start in the background as soon as the pool opens; `client(lang)`
waits until that server has loaded the workspace, or raises
ServerUnavailable with the reason it could not start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import trio

from editor_harness.errors import HarnessError
from lsp.client import LanguageClient, open_client
from lsp.errors import LspError
from lsp.nurseries import open_nursery
from lsp.servers import ServerSpec, spec_for_language


def relative_inside(root: Path, path: str | Path) -> str | None:
    """`path` (absolute, or relative to `root`) as a repo-relative posix path;
    None when it resolves outside `root` (symlinks included)."""
    candidate = Path(path)
    full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return None


class ServerUnavailable(HarnessError):
    """The language server for a language could not be started or loaded."""


class LanguageServers:
    def __init__(self, root: Path, specs: Mapping[str, ServerSpec], nursery: trio.Nursery) -> None:
        self.root = Path(root).resolve()
        self.specs = dict(specs)
        self._nursery = nursery
        self._clients: dict[str, LanguageClient] = {}
        self._failures: dict[str, str] = {}
        self._settled: dict[str, trio.Event] = {}
        self._stop = trio.Event()

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        root: Path,
        languages: Iterable[str],
        *,
        specs: Mapping[str, ServerSpec] | None = None,
    ) -> AsyncIterator[LanguageServers]:
        """Start a server per language (in the background); stop them all on exit."""
        chosen = {name: (specs or {}).get(name) or spec_for_language(name) for name in languages}
        async with open_nursery() as nursery:
            servers = cls(root, chosen, nursery)
            for language in chosen:
                servers.start(language)
            try:
                yield servers
            finally:
                servers._stop.set()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.specs)

    def language_of(self, path: str | Path) -> str | None:
        for language, spec in self.specs.items():
            if spec.handles_path(path):
                return language
        return None

    def start(self, language: str) -> None:
        if language in self._settled:
            return
        self._settled[language] = trio.Event()
        self._nursery.start_soon(self._serve, language)

    async def _serve(self, language: str) -> None:
        spec = self.specs[language]
        settled = self._settled[language]
        try:
            async with open_client(spec, self.root) as client:
                await client.wait_until_ready()
                self._clients[language] = client
                settled.set()
                await self._stop.wait()
        except LspError as exc:
            self._failures[language] = str(exc)
        finally:
            self._clients.pop(language, None)
            settled.set()

    async def client(self, language: str) -> LanguageClient:
        """The ready client for `language`; ServerUnavailable if it could not start."""
        if language not in self.specs:
            known = ", ".join(self.specs) or "none"
            raise ServerUnavailable(f"no language server for {language!r} in this workspace (languages: {known})")
        self.start(language)
        await self._settled[language].wait()
        client = self._clients.get(language)
        if client is None:
            reason = self._failures.get(language, "it stopped")
            raise ServerUnavailable(f"{self.specs[language].name} is unavailable: {reason}")
        return client

    def failure(self, language: str) -> str | None:
        return self._failures.get(language)
