"""Shell steps of grading (installs, tests): run in their own process group
with a time limit, output appended to a log file, in a clean environment.

The environment is rebuilt from an allow-list rather than inherited: graded
code must not see the grader's API keys, and the grader's own virtualenv must
not leak onto PATH (its `pytest` would shadow the environment's).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from editor_harness.network_guard import NetworkGuard

_PASSED_THROUGH = (
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "TERM",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "XDG_CACHE_HOME",
    "PYENV_ROOT",
)
# Only install steps may reach a package index (through a proxy if the user has one).
_INSTALL_ONLY = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")


@dataclass(frozen=True, slots=True)
class CommandResult:
    command: str
    returncode: int | None  # None when killed for running too long
    seconds: float
    timed_out: bool

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def _foreign_python(directory: str, pyenv_root: Path) -> bool:
    """A PATH entry that would put another Python's tools (a virtualenv, pyenv's
    shims and versions, a conda env) in place of the environment's own."""
    path = Path(directory)
    return (
        (path.parent / "pyvenv.cfg").exists()
        or (path.parent / "conda-meta").is_dir()
        or path == pyenv_root
        or pyenv_root in path.parents
    )


def _system_path(path: str, pyenv_root: Path) -> list[str]:
    return [d for d in path.split(os.pathsep) if d and not _foreign_python(d, pyenv_root)]


def clean_environment(
    env_root: Path,
    *,
    for_install: bool,
    extra: Mapping[str, str] | None = None,
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Variables for a step run inside the virtualenv at `env_root`."""
    source = os.environ if source is None else source
    names = _PASSED_THROUGH + (_INSTALL_ONLY if for_install else ())
    env = {name: source[name] for name in names if name in source}
    if for_install:
        env.update({k: v for k, v in source.items() if k.startswith("PIP_")})
    env.setdefault("LANG", "C.UTF-8")
    pyenv_root = Path(source.get("PYENV_ROOT") or Path(source.get("HOME") or Path.home()) / ".pyenv")
    system_path = _system_path(source.get("PATH", os.defpath), pyenv_root)
    env["PATH"] = os.pathsep.join([str(env_root / "bin"), *system_path])
    env["VIRTUAL_ENV"] = str(env_root)
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.update(extra or {})
    return env


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def run_shell(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    timeout: float,
    guard: NetworkGuard | None = None,
) -> CommandResult:
    """Run `command` with bash, appending its output to `log`. On timeout the
    whole process group is killed and the log says so."""
    argv: Sequence[str] = ["bash", "-c", command]
    run_env = dict(env)
    if guard is not None:
        argv, run_env = guard.wrap(argv), guard.environment(run_env)
    start = time.monotonic()
    with open(log, "ab") as out:
        out.write(f"+ {command}\n".encode())
        out.flush()
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=run_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            returncode: int | None = process.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            _kill_group(process)
            returncode, timed_out = None, True
            out.write(f"\n>>>>> Timed out after {timeout:g} s: killed\n".encode())
        except BaseException:
            _kill_group(process)
            raise
    return CommandResult(command, returncode, time.monotonic() - start, timed_out)
