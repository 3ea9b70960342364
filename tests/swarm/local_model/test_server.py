"""The llama-server manager against the real server binary and weights
(installed by `scripts/setup test`): start, health, shutdown on exit and on
cancellation, port conflicts, start failures, crash + restart-once, and the
PDEATHSIG safety net when the parent is killed outright."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
import trio

from swarm.local_model import server as server_module
from swarm.local_model.errors import PortInUseError, ServerCrashedError, ServerStartError
from swarm.local_model.paths import LocalModelStatus
from swarm.local_model.server import ServerConfig, free_port, local_server, port_is_free, server_argv, template_path
from tests.swarm.local_model.processes import alive

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def config_for(installed: LocalModelStatus, tmp_path: Path, **changes: object) -> ServerConfig:
    base = ServerConfig(binary=installed.server.path, model=installed.weights.path, log_path=tmp_path / "server.log", context=1024)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def test_argv_has_the_documented_flags(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    argv = server_argv(config_for(installed_model, tmp_path), 4242)
    joined = " ".join(argv)
    for flag in ("--host 127.0.0.1", "--port 4242", "-c 1024", "-t 2", "--jinja", "--no-webui", "--offline"):
        assert flag in joined
    assert argv[argv.index("--chat-template-file") + 1] == str(template_path())


async def test_starts_serves_and_stops(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    async with local_server(config_for(installed_model, tmp_path)) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.pid is not None and alive(server.pid)
        assert await server.healthy()
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            models = (await client.get(f"{server.base_url}/models")).json()
            props = (await client.get(f"{server.root_url}/props")).json()
        assert models["data"], models
        # The server really uses our template.
        assert "do not repeat it" in props["chat_template"]
        pid, port = server.pid, server.port
    assert not alive(pid)
    assert port_is_free(port)


async def test_cancellation_stops_the_server(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    pid = None
    with trio.CancelScope() as scope:
        async with local_server(config_for(installed_model, tmp_path)) as server:
            pid = server.pid
            scope.cancel()  # what Ctrl-C does to a trio program
            await trio.sleep(60)
    assert pid is not None and not alive(pid)


async def test_error_in_the_run_stops_the_server(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    pid = None
    with pytest.raises(RuntimeError, match="agent failed"):
        async with local_server(config_for(installed_model, tmp_path)) as server:
            pid = server.pid
            raise RuntimeError("agent failed")
    assert pid is not None and not alive(pid)


async def test_port_in_use_is_reported(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            async with local_server(config_for(installed_model, tmp_path, port=port)):
                pass


async def test_a_picked_port_taken_meanwhile_is_retried(
    installed_model: LocalModelStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        picks = iter([taken])
        # The race: the port we picked is grabbed before the server binds it.
        monkeypatch.setattr(server_module, "free_port", lambda host="127.0.0.1": next(picks, None) or free_port(host))
        async with local_server(config_for(installed_model, tmp_path)) as server:
            assert server.port != taken
            assert await server.healthy()


async def test_invalid_weights_fail_with_the_log_tail(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a gguf file" * 100)
    with pytest.raises(ServerStartError) as caught:
        async with local_server(config_for(installed_model, tmp_path, model=bogus)):
            pass
    message = str(caught.value)
    assert "exited with code" in message and "server.log" in message
    assert "bogus.gguf" in message  # the tail shows what llama-server said about it


async def test_missing_files_are_named(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    with pytest.raises(ServerStartError, match="llama-server binary not found"):
        async with local_server(config_for(installed_model, tmp_path, binary=tmp_path / "none")):
            pass
    with pytest.raises(ServerStartError, match="model file not found"):
        async with local_server(config_for(installed_model, tmp_path, model=tmp_path / "none.gguf")):
            pass


async def test_crash_is_restarted_once_then_reported(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    async with local_server(config_for(installed_model, tmp_path)) as server:
        port, first_pid = server.port, server.pid
        assert first_pid is not None
        await server.recover()  # alive: nothing to do
        assert server.restarts == 0 and server.pid == first_pid

        os.kill(first_pid, signal.SIGKILL)
        async with trio.open_nursery() as nursery:  # agents noticing at once share one restart
            for _ in range(3):
                nursery.start_soon(server.recover)
        assert server.restarts == 1
        assert server.port == port and server.pid != first_pid
        assert await server.healthy()

        second_pid = server.pid
        assert second_pid is not None
        os.kill(second_pid, signal.SIGKILL)
        with pytest.raises(ServerCrashedError, match="crashed again .* after 1 restart") as caught:
            await server.recover()
        assert "Work approved so far is kept" in str(caught.value)
    assert "restarting on port" in (tmp_path / "server.log").read_text()


def test_server_dies_with_a_killed_parent(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, trio
        from pathlib import Path
        from swarm.local_model.server import ServerConfig, local_server

        async def main():
            config = ServerConfig(binary=Path({str(installed_model.server.path)!r}),
                                  model=Path({str(installed_model.weights.path)!r}), context=1024)
            async with local_server(config) as server:
                print(server.pid, flush=True)
                await trio.sleep(600)

        trio.run(main)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    server_pid = 0
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert alive(server_pid)
        parent.kill()  # SIGKILL: no finally block runs in the parent
        parent.wait()
        deadline = time.monotonic() + 60
        while alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(server_pid)
    finally:
        parent.kill()
        parent.wait()
        if server_pid and alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)
