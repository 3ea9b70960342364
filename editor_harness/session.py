"""Everything an agent run needs from the headless editor, opened together.

    async with open_session(root) as session:
        view = session.workspace.read_symbol(symbol_id)
        report = await session.pipeline.rewrite_and_check(symbol_id, new_text, view.version)
        refs = await session.navigator.references_to(symbol_id)
        patch = session.workspace.diff()

One warm language server per language of the repository is shared by the
diagnostics service and server navigation; `servers=False` skips them
(Jedi and the index still navigate, the diagnostics stage is skipped).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from editor_harness.diagnostics import DiagnosticsService
from editor_harness.language_servers import LanguageServers
from editor_harness.navigation import Navigator
from editor_harness.network_guard import GuardMode
from editor_harness.pipeline import DEFAULT_TEST_TIMEOUT_S, CheckPipeline, DiagnosticsSource
from editor_harness.server_navigation import ServerNavigation
from editor_harness.workspace import Workspace


@dataclass(frozen=True, slots=True)
class EditorSession:
    workspace: Workspace
    navigator: Navigator
    pipeline: CheckPipeline
    diagnostics: DiagnosticsSource | None
    languages: tuple[str, ...]
    servers: LanguageServers | None = None  # shared by diagnostics and server navigation


def repository_languages(workspace: Workspace) -> tuple[str, ...]:
    """The languages of the indexed files, most files first."""
    counts: dict[str, int] = {}
    for path in workspace.index.paths():
        language = workspace.index.file(path).language
        counts[language] = counts.get(language, 0) + 1
    return tuple(sorted(counts, key=lambda name: -counts[name]))


@asynccontextmanager
async def open_session(
    root: Path | str,
    *,
    languages: Iterable[str] | None = None,
    servers: bool = True,
    test_timeout: float = DEFAULT_TEST_TIMEOUT_S,
    python: str | None = None,
    network: GuardMode | str = GuardMode.AUTO,
    workspace: Workspace | None = None,
) -> AsyncIterator[EditorSession]:
    """Open the workspace, its language servers, navigation and the check pipeline."""
    ws = workspace if workspace is not None else Workspace.open(root)
    chosen = tuple(languages) if languages is not None else repository_languages(ws)
    async with AsyncExitStack() as stack:
        diagnostics: DiagnosticsSource | None = None
        server_navigation: ServerNavigation | None = None
        pool: LanguageServers | None = None
        if servers and chosen:
            pool = await stack.enter_async_context(LanguageServers.open(ws.root, chosen))
            diagnostics = await stack.enter_async_context(DiagnosticsService.open(ws.root, chosen, servers=pool))
            server_navigation = await stack.enter_async_context(ServerNavigation.open(ws.root, chosen, servers=pool))
        yield EditorSession(
            workspace=ws,
            navigator=Navigator(ws, server=server_navigation, python=python),
            pipeline=CheckPipeline(
                ws, diagnostics=diagnostics, test_timeout=test_timeout, python=python, network=network
            ),
            diagnostics=diagnostics,
            languages=chosen,
            servers=pool,
        )
