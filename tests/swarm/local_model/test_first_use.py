"""First-use install from inside a run: ready models pass through; otherwise a
real `swarm model install` child process runs (here against an empty local
index, so it fails the way an offline machine does)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swarm.local_model.errors import NotInstalledError
from swarm.local_model.first_use import NO_AUTO_INSTALL_ENV, ensure_installed, install_command
from swarm.local_model.paths import CACHE_ENV, GGUF_ENV, SERVER_ENV


def own_files(tmp_path: Path) -> dict[str, str]:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return {GGUF_ENV: str(gguf), SERVER_ENV: str(binary)}


def test_install_command_runs_this_interpreter() -> None:
    command = install_command()
    assert command[1:] == ["-m", "swarm.cli.main", "model", "install"]


@pytest.mark.anyio
async def test_ready_model_needs_no_install(tmp_path: Path) -> None:
    messages: list[str] = []
    current = await ensure_installed(env=own_files(tmp_path), progress=messages.append)
    assert current.ready and messages == []


@pytest.mark.anyio
async def test_missing_own_file_is_reported_not_installed_over(tmp_path: Path) -> None:
    env = own_files(tmp_path)
    env[GGUF_ENV] = str(tmp_path / "gone.gguf")
    with pytest.raises(NotInstalledError, match="configured by environment variable"):
        await ensure_installed(env=env, progress=lambda m: None)


@pytest.mark.anyio
async def test_auto_install_can_be_forbidden(tmp_path: Path) -> None:
    env = {CACHE_ENV: str(tmp_path / "cache"), NO_AUTO_INSTALL_ENV: "1"}
    with pytest.raises(NotInstalledError, match="swarm model install"):
        await ensure_installed(env=env, progress=lambda m: None)


@pytest.mark.anyio
async def test_failed_first_install_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    env = dict(os.environ)
    for key in (GGUF_ENV, SERVER_ENV, NO_AUTO_INSTALL_ENV):
        env.pop(key, None)
    env.update({CACHE_ENV: str(tmp_path / "cache"), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "empty")})
    messages: list[str] = []
    with pytest.raises(NotInstalledError, match="Run `swarm model install` to retry"):
        await ensure_installed(env=env, progress=messages.append)
    assert messages and "first use of the local model" in messages[0]
    assert not (tmp_path / "cache" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").exists()
