"""run_process: real subprocesses, hard timeouts that kill whole process groups."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from editor_harness.errors import TestRunError
from editor_harness.processes import run_process, scrubbed_environment

pytestmark = pytest.mark.anyio


def _dies(pid: int) -> bool:
    """True once `pid` is gone or a zombie; SIGKILL lands asynchronously, so poll."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers signal 0; it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_output_exit_code_and_lines(tmp_path: Path) -> None:
    lines: list[str] = []
    result = await run_process(
        [sys.executable, "-c", "import sys; print('one'); print('two'); print('err', file=sys.stderr); sys.exit(3)"],
        cwd=tmp_path,
        env=scrubbed_environment(),
        timeout=60,
        on_stdout_line=lines.append,
    )
    assert result.exit_code == 3 and not result.timed_out
    assert lines == ["one", "two"]
    assert result.stdout_tail == "one\ntwo\n"
    assert result.stderr_tail == "err\n"


async def test_merged_stderr_keeps_order(tmp_path: Path) -> None:
    lines: list[str] = []
    code = "import sys\nfor i in range(3):\n    print('out', i, flush=True); print('err', i, file=sys.stderr, flush=True)"
    result = await run_process(
        [sys.executable, "-c", code], cwd=tmp_path, env=scrubbed_environment(), timeout=60,
        on_stdout_line=lines.append, merge_stderr=True,
    )  # fmt: skip
    assert lines == ["out 0", "err 0", "out 1", "err 1", "out 2", "err 2"]
    assert result.stderr_tail == ""


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    result = await run_process([sys.executable, "-c", script], cwd=tmp_path, env=scrubbed_environment(), timeout=3)
    assert result.timed_out and result.exit_code is None
    assert "started" in result.stdout_tail
    grandchild = int(pid_file.read_text())
    assert _dies(grandchild)
    assert result.elapsed_s < 60


async def test_stragglers_are_killed_after_normal_exit(tmp_path: Path) -> None:
    pid_file = tmp_path / "daemon.pid"
    script = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )
    result = await run_process([sys.executable, "-c", script], cwd=tmp_path, env=scrubbed_environment(), timeout=60)
    assert result.exit_code == 0 and not result.timed_out
    assert _dies(int(pid_file.read_text()))


async def test_tails_are_bounded(tmp_path: Path) -> None:
    result = await run_process(
        [sys.executable, "-c", "print('x' * 100000); print('end')"],
        cwd=tmp_path, env=scrubbed_environment(), timeout=60, tail_chars=50,
    )  # fmt: skip
    assert len(result.stdout_tail) == 50 and result.stdout_tail.endswith("end\n")


async def test_missing_command_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TestRunError, match="command not found"):
        await run_process(["no-such-command-xyz"], cwd=tmp_path, env=scrubbed_environment(), timeout=5)


def test_secrets_are_scrubbed_from_child_environment() -> None:
    base = {"ANTHROPIC_API_KEY": "sk-1", "GITHUB_TOKEN": "t", "DB_PASSWORD": "p", "AWS_ACCESS_KEY_ID": "a", "PATH": "/bin", "TOKENIZERS_PARALLELISM": "false"}
    env = scrubbed_environment(base, EXTRA="1")
    assert env == {"PATH": "/bin", "TOKENIZERS_PARALLELISM": "false", "EXTRA": "1"}
