"""The network-namespace block: nothing leaves, loopback works."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from swarm.evaluation.netblock import best_available, named
from swarm.evaluation.netblock.namespace import NamespaceBlock

pytestmark = pytest.mark.skipif(
    not NamespaceBlock.usable(),
    reason="unprivileged user+network namespaces are disabled on this kernel; the socket guard covers it",
)

PROBE = r"""
import socket, sys, time
results = {}
start = time.monotonic()
try:
    socket.create_connection(("10.255.255.1", 80), timeout=1)
    results["tarpit"] = "connected"
except socket.timeout:
    results["tarpit"] = "timeout"
except OSError as exc:
    results["tarpit"] = "oserror %s" % exc.errno
try:
    socket.getaddrinfo("example.com", 443)
    results["dns"] = "resolved"
except OSError:
    results["dns"] = "failed"
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
socket.create_connection(server.getsockname(), timeout=5).close()
results["loopback"] = "ok"
print(sorted(results.items()))
"""


def run_blocked(code: str) -> str:
    argv, env = NamespaceBlock().wrap([sys.executable, "-c", code], {"PATH": os.defpath})
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_outbound_traffic_is_swallowed_and_loopback_works() -> None:
    out = run_blocked(PROBE)
    # Without `ip` only loopback comes up and the tarpit fails at once instead.
    assert out in (
        "[('dns', 'failed'), ('loopback', 'ok'), ('tarpit', 'timeout')]",
        "[('dns', 'failed'), ('loopback', 'ok'), ('tarpit', 'oserror 101')]",
    )


def test_non_python_programs_are_blocked_too() -> None:
    argv, env = NamespaceBlock().wrap(["bash", "-c", "exec 3<>/dev/tcp/10.255.255.1/80"], {"PATH": os.defpath})
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0


def test_it_is_the_preferred_block() -> None:
    assert best_available().name == "namespace"
    assert named("namespace").name == "namespace" and named("auto").name == "namespace"
