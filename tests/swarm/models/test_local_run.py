"""The local provider's failures, each through `swarm run` end to end: the
real CLI (or run_swarm) on a copy of the example, the real installer,
builder and llama-server. Each must end the run with a clear, recorded
reason, never a traceback or a hang."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from swarm.config import parse_config
from swarm.local_model.paths import LLAMA_SERVER, LocalModelStatus
from swarm.models.local import LocalBackend
from swarm.models.providers import model_for
from swarm.protocols import ChatMessage
from swarm.proxy import make_proxy
from swarm.records import RunStatus
from swarm.run import RunRequest, run_swarm
from tests.swarm.local_model.processes import alive
from tests.swarm.scenario_runs import open_log, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

# Everything that could reach a real index or another provider is cut off.
CLEARED = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SWARM_MODEL", "SWARM_PROVIDER", "SWARM_BASE_URL", "SWARM_CONFIG",
           "SWARM_LOCAL_GGUF", "SWARM_LLAMA_SERVER", "SWARM_NO_AUTO_INSTALL", "PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL",
           "PIP_INDEX_URL", "PIP_NO_INDEX", "SWARM_RUN_MODE")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({
        "SWARM_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": f"http://127.0.0.1:{closed_port()}/simple",   # nothing listens: no network to the index
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "5",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    })
    env.update(extra)
    return env


def swarm_run(repo: Path, env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "swarm.cli.main", "run", "--repo", str(repo), "--issue", str(repo / "ISSUE.md"),
         "--json", "--budget-wall", "600", *args],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result, json.loads(result.stdout)


def recorded(repo: Path, run_id: str) -> tuple[RunStatus, str]:
    with open_log(repo) as log:
        record = log.load_run(run_id)
    return record.status, record.reason or ""


def test_not_installed_and_no_network_to_the_index(python_repo: Path, tmp_path: Path) -> None:
    result, outcome = swarm_run(python_repo, local_env(tmp_path))
    assert result.returncode == 3
    assert outcome["status"] == "error" and outcome["model"] == "local:qwen2.5-coder-1.5b-instruct"
    assert "installing the local model failed" in outcome["reason"] and "swarm model install" in outcome["reason"]
    # The child install said what went wrong and what to do.
    assert "first use of the local model: installing weights" in result.stderr
    assert "could not download" in result.stderr and "Check the network" in result.stderr
    assert recorded(python_repo, outcome["run_id"]) == (RunStatus.FAILED, outcome["reason"])
    assert not (tmp_path / "cache" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").exists()


def failing_sdist(path: Path) -> None:
    """A llama-cpp-python sdist whose vendored llama.cpp does not configure."""
    top = f"llama_cpp_python-{LLAMA_SERVER.version}"
    files = {f"{top}/{LLAMA_SERVER.source_subdir}/CMakeLists.txt":
             b'cmake_minimum_required(VERSION 3.14)\nproject(broken C)\nmessage(FATAL_ERROR "vendored sources are broken")\n'}
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_build_failure_shows_the_log_tail(python_repo: Path, tmp_path: Path, installed_model: LocalModelStatus) -> None:
    server_dir = tmp_path / "cache" / "llama" / LLAMA_SERVER.version
    server_dir.mkdir(parents=True)
    # Already "downloaded" (the builder reuses an sdist it finds): no network involved.
    failing_sdist(server_dir / f"llama_cpp_python-{LLAMA_SERVER.version}.tar.gz")
    env = local_env(tmp_path, SWARM_LOCAL_GGUF=str(installed_model.weights.path))
    result, outcome = swarm_run(python_repo, env)
    assert result.returncode == 3 and outcome["status"] == "error"
    assert "installing the local model failed" in outcome["reason"]
    assert "installing llama-server" in result.stderr
    assert "vendored sources are broken" in result.stderr          # the log's tail, shown
    assert f"full log: {server_dir / 'build.log'}" in result.stderr
    assert "vendored sources are broken" in (server_dir / "build.log").read_text()
    assert recorded(python_repo, outcome["run_id"])[0] is RunStatus.FAILED


def test_port_in_use(python_repo: Path, tmp_path: Path, installed_model: LocalModelStatus) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = local_env(tmp_path, SWARM_LOCAL_GGUF=str(installed_model.weights.path),
                        SWARM_LLAMA_SERVER=str(installed_model.server.path), SWARM_LOCAL_PORT=str(port))
        result, outcome = swarm_run(python_repo, env)
    assert result.returncode == 3 and outcome["status"] == "error"
    assert f"port {port} on 127.0.0.1 is already in use" in outcome["reason"]
    assert recorded(python_repo, outcome["run_id"]) == (RunStatus.FAILED, outcome["reason"])


class KillsTheServer:
    """The local model for one agent, from its `from_turn`-th call on: the
    server is SIGKILLed, a one-token call sees it restarted (the one restart
    a run gets), it is SIGKILLed again, and the agent's real call goes out."""

    def __init__(self, inner: Any, scripted: Any, from_turn: int, pids: list[int]) -> None:
        self.inner, self.scripted, self.from_turn, self.pids = inner, scripted, from_turn, pids
        self.turn = 0

    @property
    def name(self) -> str:
        return self.inner.name

    def for_agent(self, agent: str) -> KillsTheServer:
        return KillsTheServer(self.inner.for_agent(agent), self.scripted.for_agent(agent), self.from_turn, self.pids)

    async def complete(self, messages: Sequence[Any], **options: Any) -> Any:
        self.turn += 1
        if self.turn < self.from_turn:
            return await self.scripted.complete(messages, **options)
        backend = self.inner.backend
        assert isinstance(backend, LocalBackend)
        ping = [ChatMessage("user", "Say OK.")]
        if backend.server is None:
            await self.inner.complete(ping, max_tokens=1)   # starts the server
        for last in (False, True):
            assert backend.server is not None and backend.server.pid is not None
            self.pids.append(backend.server.pid)
            os.kill(backend.server.pid, signal.SIGKILL)
            if not last:
                await self.inner.complete(ping, max_tokens=1)   # restarted behind the scenes
        return await self.inner.complete(messages, **options)


async def test_server_crash_mid_run_restarts_once_then_fails_keeping_the_approved_edit(
    python_repo: Path, installed_model: LocalModelStatus
) -> None:
    # The coordinator and the agent's first two turns (fix, approved) are
    # scripted; the agent's next calls go to the real local model, whose
    # server is killed before each: restarted once, then the run fails.
    config = scripted_config("python_guided.toml", run={"mode": "guided"})
    local = parse_config({"models": {"provider": "local", "temperature": 0, "max_tokens": 16}}, env={})
    pids: list[int] = []
    opened: list[Any] = []

    def factory(role: str) -> Any:
        scripted = model_for(role, config)
        if role != "symbol_agent":
            return scripted
        inner = model_for(role, local, env={})
        opened.append(inner)
        return KillsTheServer(inner, scripted, 2, pids)

    try:
        outcome = await run_swarm(RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
                                  proxy=make_proxy("auto", config=config), model_factory=factory)
    finally:
        for model in opened:
            await model.aclose()
    assert outcome.status == "error"
    assert "crashed again" in outcome.reason and "Work approved so far is kept" in outcome.reason
    assert len(pids) == 2 and pids[0] != pids[1]          # restarted once, on a new process
    assert not any(alive(pid) for pid in pids)
    assert "+        return quantity >= self.min_quantity" in outcome.patch   # the approved edit is kept
    with open_log(python_repo) as log:
        assert [a.verdict.value for a in log.approvals(outcome.run_id)] == ["approved"]
        assert log.load_run(outcome.run_id).status is RunStatus.FAILED
