"""Shell steps: logs, time limits, clean environments."""

from __future__ import annotations

import os
import time
from pathlib import Path

from swarm.evaluation.commands import clean_environment, run_shell


def test_output_goes_to_the_log_after_the_command_line(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("earlier\n")

    result = run_shell("echo out; echo err >&2; exit 3", cwd=tmp_path, env={"PATH": os.defpath}, log=log, timeout=60)

    assert (result.returncode, result.timed_out, result.ok) == (3, False, False)
    assert log.read_text() == "earlier\n+ echo out; echo err >&2; exit 3\nout\nerr\n"


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    pid_file = tmp_path / "child.pid"

    result = run_shell(
        f"sleep 300 & echo $! > {pid_file}; wait", cwd=tmp_path, env={"PATH": os.defpath}, log=log, timeout=2
    )

    assert result.timed_out and result.returncode is None and not result.ok
    assert "Timed out after 2 s: killed" in log.read_text()
    child = int(pid_file.read_text())
    for _ in range(100):  # the kernel may take a moment to reap it
        if not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]:
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_secrets_and_proxies_stay_out_of_test_runs(tmp_path: Path) -> None:
    source = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/me",
        "ANTHROPIC_API_KEY": "sk-ant-secret",
        "OPENAI_API_KEY": "sk-secret",
        "https_proxy": "http://proxy:3128",
        "PIP_INDEX_URL": "https://mirror/simple",
    }
    tests = clean_environment(tmp_path / "env", for_install=False, source=source)
    install = clean_environment(tmp_path / "env", for_install=True, source=source)

    assert not any("sk-" in value for value in {**tests, **install}.values())
    assert "https_proxy" not in tests and "PIP_INDEX_URL" not in tests
    assert install["https_proxy"] == "http://proxy:3128" and install["PIP_INDEX_URL"] == "https://mirror/simple"
    assert tests["HOME"] == "/home/me" and tests["VIRTUAL_ENV"] == str(tmp_path / "env")
    assert tests["PYTHONNOUSERSITE"] == "1"


def test_other_pythons_are_taken_off_path(tmp_path: Path) -> None:
    other_venv = tmp_path / "other-venv"
    (other_venv / "bin").mkdir(parents=True)
    (other_venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    conda = tmp_path / "conda-env"
    (conda / "bin").mkdir(parents=True)
    (conda / "conda-meta").mkdir()
    pyenv = tmp_path / "pyenv"
    source = {
        "PATH": os.pathsep.join(
            [str(other_venv / "bin"), str(conda / "bin"), str(pyenv / "shims"), "/usr/local/bin", "/usr/bin"]
        ),
        "PYENV_ROOT": str(pyenv),
    }

    env = clean_environment(tmp_path / "env", for_install=False, source=source)

    assert env["PATH"].split(os.pathsep) == [str(tmp_path / "env" / "bin"), "/usr/local/bin", "/usr/bin"]


def test_extra_variables_win(tmp_path: Path) -> None:
    env = clean_environment(tmp_path, for_install=False, extra={"LANG": "en_US.UTF-8"}, source={"LANG": "C"})
    assert env["LANG"] == "en_US.UTF-8"
