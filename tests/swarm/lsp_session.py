"""A pytest-lsp client driving a real `swarm lsp` subprocess on a repository.

The client plays the editor: it answers approval prompts from a script of
choices, applies `workspace/applyEdit` to the files on disk (lsp.text_edits,
plus CreateFile), and records what the server asked for.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import make_test_lsp_client

from lsp.text_edits import apply_text_edits, write_atomically
from lsp.uris import path_to_uri, uri_to_path
from tests.swarm.scenario_runs import SCENARIOS

CAPABILITIES = types.ClientCapabilities(
    window=types.WindowClientCapabilities(
        work_done_progress=True,
        show_message=types.ShowMessageRequestClientCapabilities(),
        show_document=types.ShowDocumentClientCapabilities(support=True),
    ),
    workspace=types.WorkspaceClientCapabilities(
        apply_edit=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create]),
        code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
        execute_command=types.ExecuteCommandClientCapabilities(),
    ),
    text_document=types.TextDocumentClientCapabilities(code_lens=types.CodeLensClientCapabilities()),
)


@dataclass
class Editor:
    """What the fake editor saw and how it answers."""

    root: Path
    choices: list[str | None] = field(default_factory=list)   # answers to approval prompts, in order
    default_choice: str | None = "Approve"
    prompts: list[types.ShowMessageRequestParams] = field(default_factory=list)
    edits: list[types.WorkspaceEdit] = field(default_factory=list)
    prompted: asyncio.Event = field(default_factory=asyncio.Event)
    lens_refreshes: int = 0
    hold: asyncio.Event | None = None   # when set up, prompts wait for it before answering

    async def answer(self, params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
        self.prompts.append(params)
        self.prompted.set()
        if self.hold is not None:
            await self.hold.wait()
        choice = self.choices.pop(0) if self.choices else self.default_choice
        return None if choice is None else types.MessageActionItem(title=choice)

    def apply(self, edit: types.WorkspaceEdit) -> types.ApplyWorkspaceEditResult:
        self.edits.append(edit)
        for change in edit.document_changes or ():
            if isinstance(change, types.CreateFile):
                path = uri_to_path(change.uri)
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.write_text("", encoding="utf-8")
            elif isinstance(change, types.TextDocumentEdit):
                path = uri_to_path(change.text_document.uri)
                text = apply_text_edits(path.read_text(encoding="utf-8"), list(change.edits))  # type: ignore[arg-type]
                write_atomically(path, text)
            else:
                return types.ApplyWorkspaceEditResult(applied=False, failure_reason=f"unexpected {type(change).__name__}")
        return types.ApplyWorkspaceEditResult(applied=True)


def write_scripted_config(repo: Path, scenario: str = "python_shop.toml") -> Path:
    """A swarm.toml outside the repository: every role plays the scripted scenario."""
    config = repo.parent / f"{repo.name}-swarm.toml"
    config.write_text(f'[models]\nprovider = "scripted"\nmodel = "{SCENARIOS / scenario}"\n', encoding="utf-8")
    return config


@asynccontextmanager
async def swarm_lsp(repo: Path, editor: Editor, *, servers: bool = False, config: Path | None = None) -> AsyncIterator[LanguageClient]:
    """`swarm lsp` on `repo`, initialized, shut down cleanly afterwards."""
    config = config or write_scripted_config(repo)
    command = [sys.executable, "-m", "swarm.cli.main", "lsp", "--repo", str(repo), "--config", str(config)]
    if not servers:
        command.append("--no-servers")
    if os.environ.get("SWARM_LSP_TEST_LOG"):
        command += ["--log-level", os.environ["SWARM_LSP_TEST_LOG"]]

    def factory() -> LanguageClient:
        client = make_test_lsp_client()

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        async def show_message_request(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
            return await editor.answer(params)

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return editor.apply(params.edit)

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def code_lens_refresh(params: None) -> None:
            editor.lens_refreshes += 1

        return client

    client = await ClientServerConfig(server_command=command, client_factory=factory).start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=CAPABILITIES, root_uri=path_to_uri(repo),
            workspace_folders=[types.WorkspaceFolder(uri=path_to_uri(repo), name=repo.name)]))
        try:
            yield client
        except BaseException:
            # A failed test must fail, not hang waiting for a server never told to exit.
            if client._server is not None and client._server.returncode is None:  # noqa: SLF001
                client._server.kill()  # noqa: SLF001
            raise
        await asyncio.wait_for(client.shutdown_session(), timeout=120)
        assert client._server is not None  # noqa: SLF001
        assert client._server.returncode == 0, f"swarm lsp exited with {client._server.returncode}"  # noqa: SLF001
    finally:
        await client.stop()


def processes_under(folder: Path) -> list[str]:
    """Live processes whose working directory is inside `folder` (language servers, test runs)."""
    found: list[str] = []
    root = folder.resolve()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = (proc / "cwd").resolve()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found.append(f"{proc.name}: {cmdline}")
    return found


async def execute(client: LanguageClient, command: str, arguments: Sequence[object], timeout: float = 600) -> object:
    return await asyncio.wait_for(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command=command, arguments=list(arguments))),
        timeout=timeout,
    )
