"""The socket-guard fallback, in real Python processes."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from swarm.evaluation.errors import EvaluationError
from swarm.evaluation.netblock import named
from swarm.evaluation.netblock.socket_guard import GUARD_DIR, SocketGuard
from tests.swarm.evaluation.netblock.test_namespace import PROBE


def run_guarded(code: str, env: dict[str, str] | None = None) -> str:
    argv, run_env = SocketGuard().wrap([sys.executable, "-c", code], env or {"PATH": os.defpath})
    done = subprocess.run(argv, env=run_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_outbound_connections_time_out_names_fail_and_loopback_works() -> None:
    assert run_guarded(PROBE) == "[('dns', 'failed'), ('loopback', 'ok'), ('tarpit', 'timeout')]"


def test_a_connect_without_timeout_fails_at_once_with_a_clear_message() -> None:
    code = (
        "import socket\n"
        "try:\n    socket.socket().connect(('93.184.216.34', 80))\n"
        "except OSError as exc:\n    print(exc.errno, exc.strerror)\n"
    )
    assert run_guarded(code) == "101 network blocked by the symbol-swarm grader: ('93.184.216.34', 80)"


def test_udp_datagrams_to_the_outside_are_refused() -> None:
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    s.sendto(b'x', ('8.8.8.8', 53))\n"
        "except OSError as exc:\n    print(exc.errno)\n"
        "s.sendto(b'x', ('127.0.0.1', 9))\nprint('local ok')\n"
    )
    assert run_guarded(code).splitlines() == ["101", "local ok"]


def test_the_guard_keeps_an_existing_pythonpath_after_it() -> None:
    _, env = SocketGuard().wrap(["true"], {"PYTHONPATH": "/somewhere"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(GUARD_DIR), "/somewhere"]
    assert env["SWARM_NETWORK_GUARD"] == "1"


def test_the_guard_stays_valid_python_3_6() -> None:
    """It is loaded by every environment's interpreter, the oldest being 3.6."""
    source = (GUARD_DIR / "sitecustomize.py").read_text()
    ast.parse(source, feature_version=(3, 6))


def test_blocks_are_chosen_by_name() -> None:
    assert named("socket-guard").name == "socket-guard"
    with pytest.raises(EvaluationError, match="unknown network block"):
        named("firewall")
