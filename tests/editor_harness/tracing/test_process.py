"""Running a command in its own process group: output, timeouts, cleanup."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import trio

from editor_harness.tracing.errors import TraceSetupError
from editor_harness.tracing.process import child_env, run_in_group

pytestmark = pytest.mark.anyio


async def test_output_and_exit_status(tmp_path: Path) -> None:
    finished = await run_in_group(["sh", "-c", "echo out; echo err >&2; exit 3"], cwd=tmp_path,
                                  env=child_env(), timeout=60)
    assert finished.returncode == 3 and not finished.timed_out
    assert finished.output.splitlines() == ["out", "err"]


async def test_a_timeout_kills_the_whole_group_after_asking_once(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    asked: list[int] = []

    async def ask(pid: int) -> None:
        asked.append(pid)

    script = f"sleep 300 & echo $! > {pid_file}; wait"
    finished = await run_in_group(["sh", "-c", script], cwd=tmp_path, env=child_env(), timeout=1, on_timeout=ask)

    assert finished.timed_out and asked and finished.returncode is not None and finished.returncode < 0
    grandchild = int(pid_file.read_text())
    with trio.fail_after(10):
        while _alive(grandchild):
            await trio.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_slow_on_timeout_is_cut_at_the_grace_period(tmp_path: Path) -> None:
    async def stubborn(pid: int) -> None:
        await trio.sleep(600)

    with trio.fail_after(60):
        finished = await run_in_group(["sleep", "300"], cwd=tmp_path, env=child_env(), timeout=0.5,
                                      on_timeout=stubborn, grace=0.5)
    assert finished.timed_out


async def test_output_is_capped_keeping_the_end(tmp_path: Path) -> None:
    code = "import sys; sys.stdout.write('a' * 100000 + 'THE END')"
    finished = await run_in_group([sys.executable, "-c", code], cwd=tmp_path, env=child_env(), timeout=60,
                                  max_output=1000)
    assert finished.output_truncated and len(finished.output) == 1000 and finished.output.endswith("THE END")


async def test_a_missing_program_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(TraceSetupError, match="cannot start"):
        await run_in_group([str(tmp_path / "nope")], cwd=tmp_path, env=child_env(), timeout=5)


def test_credentials_never_reach_the_test_process() -> None:
    base = {"PATH": "/bin", "ANTHROPIC_API_KEY": "sk-1", "OPENAI_API_KEY": "sk-2", "GITHUB_TOKEN": "t",
            "DB_PASSWORD": "p", "AWS_SECRET_ACCESS_KEY": "s", "HOME": "/root"}
    env = child_env({"EXTRA": "1"}, base=base)
    assert env == {"PATH": "/bin", "HOME": "/root", "EXTRA": "1"}
    assert "PATH" in child_env() and all("API_KEY" not in k for k in child_env())
    assert os.environ is not None


async def test_cancelling_the_caller_kills_the_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    with trio.move_on_after(1):
        await run_in_group(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 300"], cwd=tmp_path, env=child_env(),
                           timeout=600)
    child = int(pid_file.read_text())
    with trio.fail_after(10):
        while _alive(child):
            await trio.sleep(0.05)
