"""Logged subprocesses and pip failure hints."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from swarm.local_model.commands import CommandResult, Pip, pip_failure_hint, run_logged


def test_run_logged_streams_lines_to_log_and_callback(tmp_path: Path) -> None:
    log = io.StringIO()
    lines: list[str] = []
    result = run_logged(
        [sys.executable, "-c", "import sys; print('one'); print('two', file=sys.stderr); sys.exit(3)"],
        log=log,
        on_line=lines.append,
        cwd=tmp_path,
    )
    assert result.returncode == 3 and not result.ok
    assert sorted(lines) == ["one", "two"]
    text = log.getvalue()
    assert "one" in text and "two" in text and "[exit 3]" in text and text.startswith("$ ")


def test_missing_program_is_a_result_not_a_crash() -> None:
    result = run_logged(["/nonexistent/tool", "--version"])
    assert result.returncode == 127
    assert "cannot run /nonexistent/tool" in result.tail_text()


def test_tail_keeps_the_last_lines() -> None:
    result = run_logged([sys.executable, "-c", "[print(i) for i in range(500)]"])
    assert result.ok
    assert result.tail_text(3) == "497\n498\n499"


def test_pip_failure_hint_drops_location_warnings() -> None:
    result = CommandResult(
        1,
        (
            "WARNING: Location 'file:///opt/x/' is ignored: it is neither a file nor a directory.",
            "ERROR: Could not find a version that satisfies the requirement nothing==1",
            "ERROR: No matching distribution found for nothing==1",
        ),
    )
    hint = pip_failure_hint(result)
    assert "WARNING" not in hint
    assert "No matching distribution found for nothing==1" in hint
    assert pip_failure_hint(CommandResult(2, ())) == "pip exited with 2"


def test_pip_runs_with_extra_environment(tmp_path: Path) -> None:
    pip = Pip(env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path)})
    assert pip.merged_env()["PIP_NO_INDEX"] == "1"
    result = pip.run(["download", "--no-deps", "--dest", str(tmp_path), "surely-not-a-package-swarm==1"])
    assert not result.ok
    assert "surely-not-a-package-swarm" in pip_failure_hint(result)
