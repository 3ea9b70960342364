"""The LSP client against real servers: a misbehaving pygls server for faults,
pyright and rust-analyzer for the handshake and documents."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest
import trio
from lsprotocol import types as lsp

from lsp.client import LanguageClient, open_client
from lsp.errors import (
    DocumentNotOpen,
    LspError,
    RequestTimeout,
    ResponseError,
    ServerCrashed,
    ServerNotFound,
    ServerNotReady,
    ServerStartError,
)
from lsp.servers import PYRIGHT, RUST_ANALYZER, ServerSpec
from lsp.text_edits import apply_edits_to_workspace
from lsp.uris import path_to_uri
from tests.lsp.conftest import fault_spec_with_env

pytestmark = pytest.mark.anyio


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


async def test_handshake_reports_server_and_encoding(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        assert client.alive
        assert client.server_info is not None and client.server_info.name == "fault-server"
        assert client.position_encoding in ("utf-8", "utf-16")
        assert client.generation == 1


async def test_exit_shuts_the_server_down(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        pid = client.pid
        assert pid is not None and _process_alive(pid)
    assert not _process_alive(pid)
    assert not client.alive


async def test_raw_request_returns_json(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        assert await client.request("test/sleep", {"seconds": 0}) == {"slept": 0}


async def test_request_timeout_cancels_on_the_server(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        with pytest.raises(RequestTimeout, match="test/sleep got no answer"):
            await client.request("test/sleep", {"seconds": 30, "tag": "slow"}, timeout=0.5)
        cancelled: list[str] = []
        with trio.fail_after(30):
            while "slow" not in cancelled:
                cancelled = await client.request("test/cancelled", {})
                await trio.sleep(0.05)
        assert "slow" in cancelled


async def test_caller_cancellation_cancels_on_the_server(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        with trio.move_on_after(0.5) as scope:
            await client.request("test/sleep", {"seconds": 30, "tag": "abandoned"})
        assert scope.cancelled_caught
        with trio.fail_after(30):
            while "abandoned" not in await client.request("test/cancelled", {}):
                await trio.sleep(0.05)


async def test_error_response_raises_response_error(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        with pytest.raises(ResponseError) as caught:
            await client.request("no/such/method", {})
        assert caught.value.code == -32601
        assert "no/such/method" in str(caught.value)


async def test_crash_mid_request_then_restart(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        await client.open_document(tmp_path / "notes.txt", "kept across restarts")
        with pytest.raises(ServerCrashed, match="exited with code 9") as caught:
            await client.request("test/crash", {"code": 9})
        assert "crashing on purpose" in str(caught.value)
        # The next call starts a new process and re-opens the document.
        assert await client.request("test/sleep", {"seconds": 0}) == {"slept": 0}
        assert client.restarts == 1
        assert client.generation == 2
        document = client.documents.get(tmp_path / "notes.txt")
        assert document is not None and document.text == "kept across restarts"


async def test_gives_up_after_max_restarts(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path, max_restarts=1) as client:
        with pytest.raises(ServerCrashed):
            await client.request("test/crash", {})
        with pytest.raises(ServerCrashed):
            await client.request("test/crash", {})
        with pytest.raises(ServerCrashed, match="not restarting again"):
            await client.request("test/sleep", {"seconds": 0})


async def test_garbage_on_stdout_is_a_protocol_error(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        with pytest.raises(ServerCrashed, match="protocol error"):
            await client.request("test/garbage", {})
        assert await client.request("test/sleep", {"seconds": 0}) == {"slept": 0}


async def test_missing_executable_is_server_not_found(tmp_path: Path, fault_spec: ServerSpec) -> None:
    spec = replace(fault_spec, command=("definitely-not-a-language-server",), install_hint="Install it somehow.")
    with pytest.raises(ServerNotFound, match="Install it somehow"):
        async with open_client(spec, tmp_path):
            pass


async def test_server_dying_at_start_quotes_its_stderr(tmp_path: Path) -> None:
    with pytest.raises(ServerStartError, match="refusing to start"):
        async with open_client(fault_spec_with_env(FAULT_SERVER_CRASH_ON_INIT="1"), tmp_path):
            pass


async def test_errors_raised_in_the_block_are_not_wrapped(tmp_path: Path, fault_spec: ServerSpec) -> None:
    with pytest.raises(DocumentNotOpen):
        async with open_client(fault_spec, tmp_path) as client:
            await client.change_document(tmp_path / "never-opened.txt", "x")


async def test_document_versions(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        path = tmp_path / "a.txt"
        assert await client.open_document(path, "one") == 1
        assert await client.change_document(path, "two") == 2
        # Opening an open document replaces its text as a change.
        assert await client.open_document(path, "three") == 3
        await client.save_document(path, "four")
        assert client.documents.require(path).version == 4
        assert client.text_of(path) == "four"
        await client.close_document(path)
        with pytest.raises(DocumentNotOpen):
            await client.change_document(path, "five")
        (tmp_path / "disk.txt").write_text("from disk")
        assert client.text_of("disk.txt") == "from disk"


async def _ask(client: LanguageClient, method: str, params: object) -> dict:
    return await client.request("test/ask", {"method": method, "params_json": json.dumps(params)})


async def test_answers_server_requests(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        configuration = await _ask(
            client,
            "workspace/configuration",
            {"items": [{"section": "fault"}, {"section": "fault.nested.flag"}, {"section": "missing"}]},
        )
        assert configuration["result"] == [{"answer": 42, "nested": {"flag": True}}, True, None]

        registered = await _ask(
            client,
            "client/registerCapability",
            {"registrations": [{"id": "r1", "method": "textDocument/didSave", "registerOptions": {}}]},
        )
        assert "error" not in registered
        assert client.registrations["r1"].method == "textDocument/didSave"
        await _ask(client, "client/unregisterCapability", {"unregisterations": [{"id": "r1", "method": "x"}]})
        assert "r1" not in client.registrations

        created = await _ask(client, "window/workDoneProgress/create", {"token": "t1"})
        assert "error" not in created and "t1" in client.progress.created

        folders = await _ask(client, "workspace/workspaceFolders", None)
        assert folders["result"][0]["uri"] == path_to_uri(tmp_path.resolve())

        refreshed = await _ask(client, "workspace/diagnostic/refresh", None)
        assert "error" not in refreshed and client.refreshes["workspace/diagnostic/refresh"] == 1

        unknown = await _ask(client, "client/somethingNew", {})
        assert "error" in unknown and "somethingNew" in unknown["error"]


async def test_apply_edit_is_refused_by_default(tmp_path: Path, fault_spec: ServerSpec) -> None:
    target = tmp_path / "a.txt"
    target.write_text("hello world\n")
    edit = {"changes": {path_to_uri(target): [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}}, "newText": "howdy"}]}}
    async with open_client(fault_spec, tmp_path) as client:
        answer = await _ask(client, "workspace/applyEdit", {"edit": edit})
    assert answer["result"]["applied"] is False
    assert "edit_handler" in answer["result"]["failureReason"]
    assert target.read_text() == "hello world\n"


async def test_apply_edit_to_workspace(tmp_path: Path, fault_spec: ServerSpec) -> None:
    target = tmp_path / "a.txt"
    target.write_text("hello world\n")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("keep\n")

    def change(uri: str) -> dict:
        return {"changes": {uri: [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}}, "newText": "howdy"}]}}

    async with open_client(fault_spec, tmp_path, edit_handler=apply_edits_to_workspace) as client:
        await client.open_document(target, "hello there\n")
        applied = await _ask(client, "workspace/applyEdit", {"edit": change(path_to_uri(target))})
        refused = await _ask(client, "workspace/applyEdit", {"edit": change(path_to_uri(outside))})
        # The open document's text is what gets edited, and stays in sync.
        assert client.text_of(target) == "howdy there\n"
    assert applied["result"]["applied"] is True
    assert target.read_text() == "howdy there\n"
    assert refused["result"]["applied"] is False and "outside" in refused["result"]["failureReason"]
    assert outside.read_text() == "keep\n"


async def test_progress_is_tracked_and_ready_waits_for_it(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(client.request, "test/progress", {"seconds": 1.0})
            with trio.fail_after(30):
                await client.progress.changed.wait_for(lambda: client.progress.is_running("fault work"))
            await client.wait_until_ready(60)
            assert not client.progress.is_running("fault work")
        assert client.progress.ended_count("fault work") == 1


async def test_published_diagnostics_are_recorded(tmp_path: Path, fault_spec: ServerSpec) -> None:
    uri = path_to_uri(tmp_path / "a.txt")
    seen: list[str] = []
    async with open_client(fault_spec, tmp_path) as client:
        client.on_notification("textDocument/publishDiagnostics", lambda method, params: seen.append(params["uri"]))
        before = client.published.sequence
        await client.request("test/publish", {"uri": uri, "version": 3})
        publication = await client.published.wait_fresh(uri, version=3, after=before, timeout=30)
    assert publication is not None and publication.version == 3
    assert publication.diagnostics[0].message == "published on request"
    assert seen == [uri]


async def test_closed_client_refuses_work(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        pass
    with pytest.raises(LspError, match="closed"):
        await client.request("test/sleep", {"seconds": 0})


# -- real servers ---------------------------------------------------------------


@pytest.mark.slow
async def test_pyright_handshake_pull_registration_and_typed_definition(python_repo: Path) -> None:
    async with open_client(PYRIGHT, python_repo) as client:
        await client.wait_until_ready()
        assert client.position_encoding == "utf-16"
        # Announcing pull diagnostics makes pyright register them with us.
        with trio.fail_after(60):
            while not any(r.method == "textDocument/diagnostic" for r in client.registrations.values()):
                await trio.sleep(0.05)
        cart = python_repo / "shop" / "cart.py"
        text = cart.read_text()
        await client.open_document(cart, text, "python")
        line = next(i for i, l in enumerate(text.splitlines()) if "self.bulk.amount_off" in l)
        column = text.splitlines()[line].index("amount_off")
        params = lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=path_to_uri(cart)),
            position=lsp.Position(line=line, character=column),
        )
        result = await client.request("textDocument/definition", params)
        assert isinstance(result, list) and result
        target = result[0]
        uri = target.uri if isinstance(target, lsp.Location) else target.target_uri
        assert uri.endswith("shop/discounts.py")
        # Plain JSON in, plain JSON out.
        raw = await client.request("textDocument/diagnostic", {"textDocument": {"uri": path_to_uri(cart)}})
        assert raw["kind"] == "full" and raw["items"] == []


@pytest.mark.slow
async def test_pyright_restart_reopens_changed_documents(python_repo: Path) -> None:
    cart = python_repo / "shop" / "cart.py"
    broken = cart.read_text().replace("return self.subtotal() - self.discount()", "return self.subtotal() - 1")
    async with open_client(PYRIGHT, python_repo) as client:
        await client.wait_until_ready()
        await client.open_document(cart, broken)
        pid = client.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        with trio.fail_after(60):
            await client._session.dead.wait()  # type: ignore[union-attr]
        # The broken text exists only in the client; the restarted server must have it.
        report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": path_to_uri(cart)}}, timeout=120)
        assert client.restarts == 1
        assert any("-" in item["message"] for item in report["items"])


@pytest.mark.slow
async def test_pyright_organize_imports_applies_edit(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import sys\nimport os\n\nprint(os, sys)\n")
    async with open_client(PYRIGHT, tmp_path, edit_handler=apply_edits_to_workspace) as client:
        await client.wait_until_ready()
        await client.open_document(module, module.read_text())
        await client.request(
            "workspace/executeCommand", {"command": "pyright.organizeimports", "arguments": [path_to_uri(module)]}
        )
    assert module.read_text() == "import os\nimport sys\n\nprint(os, sys)\n"


@pytest.mark.slow
async def test_rust_analyzer_handshake_status_and_pull(rust_repo: Path) -> None:
    async with open_client(RUST_ANALYZER, rust_repo) as client:
        await client.wait_until_ready()
        assert client.position_encoding == "utf-8"
        assert client.server_status is not None and client.server_status["quiescent"] is True
        # Loading was reported as progress, and all of it ended before "ready".
        assert client.progress.ended and not client.progress.running
        ledger = rust_repo / "src" / "ledger.rs"
        text = ledger.read_text()
        await client.open_document(ledger, text, "rust")
        report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": path_to_uri(ledger)}})
        assert report["kind"] == "full" and report["items"] == []
        await client.change_document(ledger, text.replace("let balance = self.balance(from)?;", 'let balance: i64 = "x";'))
        report = await client.request("textDocument/diagnostic", {"textDocument": {"uri": path_to_uri(ledger)}})
        assert [item["code"] for item in report["items"]] == ["E0308"]
        # Pull mode and no flycheck: nothing is pushed.
        assert not any(p.diagnostics for p in client.published.snapshot().values())



async def test_explicit_restart_keeps_documents_and_budget(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        await client.open_document(tmp_path / "a.txt", "text")
        first = client.pid
        await client.restart()
        assert client.pid != first and client.generation == 2
        assert client.restarts == 0 and client.can_restart  # asked for, not a crash
        assert client.documents.require(tmp_path / "a.txt").text == "text"
        assert await client.request("test/sleep", {"seconds": 0}) == {"slept": 0}


async def test_ready_wait_gives_up_while_work_runs(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async with open_client(fault_spec, tmp_path) as client:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(client.request, "test/progress", {"seconds": 60})
            with trio.fail_after(30):
                await client.progress.changed.wait_for(lambda: client.progress.is_running("fault work"))
            with pytest.raises(ServerNotReady, match="fault work"):
                await client.wait_until_ready(0.5)
            nursery.cancel_scope.cancel()


async def test_server_dying_during_the_ready_wait(tmp_path: Path, fault_spec: ServerSpec) -> None:
    async def doomed(method: str, params: dict) -> None:
        with pytest.raises(ServerCrashed):
            await client.request(method, params)

    async with open_client(fault_spec, tmp_path) as client:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(doomed, "test/progress", {"seconds": 60})
            with trio.fail_after(30):
                await client.progress.changed.wait_for(lambda: client.progress.is_running("fault work"))
            nursery.start_soon(doomed, "test/crash", {})
            with pytest.raises(ServerCrashed, match="while waiting for readiness"):
                await client.wait_until_ready(60)


async def test_malformed_notification_is_skipped(tmp_path: Path, fault_spec: ServerSpec) -> None:
    bad = {"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": {"uri": 7, "diagnostics": "nonsense"}}
    async with open_client(fault_spec, tmp_path) as client:
        await client.request("test/raw", {"json": json.dumps(bad)})
        # The connection survives and nothing half-parsed was stored.
        assert await client.request("test/sleep", {"seconds": 0}) == {"slept": 0}
        assert client.published.snapshot() == {} and client.alive


async def test_apply_edit_refuses_file_operations(tmp_path: Path, fault_spec: ServerSpec) -> None:
    edit = {"documentChanges": [{"kind": "create", "uri": path_to_uri(tmp_path / "new.txt")}]}
    async with open_client(fault_spec, tmp_path, edit_handler=apply_edits_to_workspace) as client:
        answer = await _ask(client, "workspace/applyEdit", {"edit": edit})
    assert answer["result"]["applied"] is False and "file operation" in answer["result"]["failureReason"]
    assert not (tmp_path / "new.txt").exists()


async def test_typed_notifications_and_listeners(tmp_path: Path, fault_spec: ServerSpec) -> None:
    seen: list[str] = []
    async with open_client(fault_spec, tmp_path) as client:
        client.on_notification("window/logMessage", lambda method, params: seen.append(params["message"]))
        # lsprotocol params are converted on the way out.
        await client.notify("workspace/didChangeConfiguration", lsp.DidChangeConfigurationParams(settings={"x": 1}))
        await client.request(
            "test/raw",
            {"json": json.dumps({"jsonrpc": "2.0", "method": "window/logMessage", "params": {"type": 3, "message": "hi"}})},
        )
        with trio.fail_after(30):
            while not seen:
                await trio.sleep(0.01)
    assert seen == ["hi"] and client.messages[-1] == "logMessage: hi"
