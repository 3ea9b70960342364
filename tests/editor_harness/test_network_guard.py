"""The network guard: nothing but loopback is reachable from a guarded process.

Connections go to 10.255.255.1 (a private address that never answers) and
to names that would need DNS; a guarded process must fail at once, and no
packet may leave: in a namespace there is no route, under the socket guard
the call never reaches the kernel.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from editor_harness.errors import TestRunError
from editor_harness.network_guard import (
    SOCKET_GUARD_DIR,
    GuardMode,
    NetworkGuard,
    netns_available,
    network_guard,
)
from editor_harness.processes import run_process, scrubbed_environment

pytestmark = pytest.mark.anyio

PROBE = r"""
import json, socket, sys
out = {}
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
try:
    socket.create_connection(server.getsockname(), timeout=5).close(); out["loopback"] = "ok"
except OSError as exc:
    out["loopback"] = repr(exc)
for name, target in (("private", ("10.255.255.1", 80)), ("public", ("1.1.1.1", 53))):
    try:
        socket.create_connection(target, timeout=5); out[name] = "connected"
    except OSError as exc:
        out[name] = "%s %s" % (type(exc).__name__, exc)
try:
    socket.getaddrinfo("example.com", 443); out["dns"] = "resolved"
except OSError as exc:
    out["dns"] = "%s %s" % (type(exc).__name__, exc)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"x", ("10.255.255.1", 53)); out["udp"] = "sent"
except OSError as exc:
    out["udp"] = "%s %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


async def _probe(guard: NetworkGuard, tmp_path: Path, python: str = sys.executable) -> dict[str, str]:
    env = guard.environment(scrubbed_environment())
    result = await run_process(guard.wrap([python, "-c", PROBE]), cwd=tmp_path, env=env, timeout=60)
    assert result.exit_code == 0, result.stderr_tail
    return json.loads(result.stdout_tail.strip().splitlines()[-1])


async def test_socket_guard_blocks_everything_but_loopback(tmp_path: Path) -> None:
    guard = await network_guard(GuardMode.SOCKET)
    assert guard.mode is GuardMode.SOCKET and not guard.prefix
    seen = await _probe(guard, tmp_path)
    assert seen["loopback"] == "ok"
    for key in ("private", "public", "udp"):
        assert "blocked by symbol-swarm" in seen[key], seen
    assert "gaierror" in seen["dns"] and "blocked by symbol-swarm" in seen["dns"]


async def test_netns_or_fallback_blocks_everything_but_loopback(tmp_path: Path) -> None:
    guard = await network_guard(GuardMode.AUTO)
    if await netns_available():
        assert guard.mode is GuardMode.NETNS and guard.prefix[0].endswith("unshare")
    else:
        assert guard.mode is GuardMode.SOCKET
    seen = await _probe(guard, tmp_path)
    assert seen["loopback"] == "ok"
    for key in ("private", "public", "dns", "udp"):
        assert seen[key] not in ("connected", "resolved", "sent"), seen


async def test_netns_request_fails_clearly_when_unavailable() -> None:
    if await netns_available():
        guard = await network_guard(GuardMode.NETNS)
        assert guard.mode is GuardMode.NETNS
    else:
        with pytest.raises(TestRunError, match="unavailable"):
            await network_guard(GuardMode.NETNS)


async def test_non_python_runs_without_netns_are_flagged_unguarded(monkeypatch: pytest.MonkeyPatch) -> None:
    import editor_harness.network_guard as module

    monkeypatch.setattr(module, "_netns_works", False)
    guard = await network_guard(GuardMode.AUTO, python=False)
    assert guard.mode is GuardMode.NONE and "NOT isolated" in guard.note
    with pytest.raises(TestRunError, match="Python test processes only"):
        await network_guard(GuardMode.SOCKET, python=False)
    assert (await network_guard(GuardMode.AUTO, python=True)).mode is GuardMode.SOCKET


async def test_guard_is_inert_without_its_switch(tmp_path: Path) -> None:
    env = scrubbed_environment(PYTHONPATH=str(SOCKET_GUARD_DIR))
    env.pop("SWARM_NETWORK_GUARD", None)
    code = "import socket; print(socket.socket.connect.__module__ if hasattr(socket.socket.connect, '__module__') else 'builtin')"
    result = await run_process([sys.executable, "-c", code], cwd=tmp_path, env=env, timeout=60)
    assert result.stdout_tail.strip() != "sitecustomize"


async def test_guard_chains_to_the_environments_own_sitecustomize(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITECUSTOMIZE_RAN'] = 'yes'\n")
    guard = await network_guard(GuardMode.SOCKET)
    env = guard.environment(scrubbed_environment(PYTHONPATH=str(own)))
    assert env["PYTHONPATH"].split(os.pathsep) == [str(SOCKET_GUARD_DIR), str(own)]
    code = (
        "import os, socket\n"
        "print(os.environ.get('OWN_SITECUSTOMIZE_RAN'))\n"
        "try:\n    socket.create_connection(('10.255.255.1', 80), timeout=5)\n"
        "except OSError as exc:\n    print(exc)\n"
    )
    result = await run_process([sys.executable, "-c", code], cwd=tmp_path, env=env, timeout=60)
    first, second = result.stdout_tail.strip().splitlines()
    assert first == "yes" and "blocked by symbol-swarm" in second


def test_injected_files_use_only_old_python_syntax() -> None:
    # They run in the target project's interpreter, possibly Python 3.6.
    plugin = SOCKET_GUARD_DIR.parent / "_pytest_plugin" / "swarm_test_reporter.py"
    for path in (SOCKET_GUARD_DIR / "sitecustomize.py", plugin):
        tree = ast.parse(path.read_text(), feature_version=(3, 6))
        assert not any(isinstance(node, ast.JoinedStr) for node in ast.walk(tree)), f"f-string in {path.name}"
        assert not any(isinstance(node, ast.AnnAssign) for node in ast.walk(tree)), f"annotation in {path.name}"
        assert not any(
            isinstance(node, ast.FunctionDef) and (node.returns or any(a.annotation for a in node.args.args))
            for node in ast.walk(tree)
        ), f"annotated function in {path.name}"


def _old_interpreters() -> list[Path]:
    versions = Path.home() / ".pyenv" / "versions"
    found = sorted(versions.glob("3.[6-9].*/bin/python")) if versions.is_dir() else []
    return found[:2]


async def test_guard_runs_on_old_interpreters_found_here(tmp_path: Path) -> None:
    # Exercises whatever old interpreters this machine has (3.6–3.9 under pyenv);
    # the syntax test above covers machines without any.
    guard = await network_guard(GuardMode.SOCKET)
    for python in _old_interpreters():
        check = subprocess.run([str(python), "-c", "import socket"], capture_output=True)
        if check.returncode != 0:
            continue
        seen = await _probe(guard, tmp_path, python=str(python))
        assert seen["loopback"] == "ok", python
        assert "blocked by symbol-swarm" in seen["private"], (python, seen)


async def test_namespace_without_iproute2_uses_the_python_helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import editor_harness.network_guard as module

    monkeypatch.setattr(module, "_ip_command", lambda: None)
    prefix = module.unshare_prefix()
    assert prefix[-2:] == (str(module.NETNS_HELPER), "--")
    if await netns_available():
        seen = await _probe(NetworkGuard(GuardMode.NETNS, prefix=prefix), tmp_path)
        assert seen["loopback"] == "ok" and seen["private"] != "connected"


TARPIT_PROBE = r"""
import socket, time
out = {}
try:
    socket.create_connection(("10.255.255.1", 80), timeout=1); out["tarpit"] = "connected"
except socket.timeout:
    out["tarpit"] = "timeout"
except OSError as exc:
    out["tarpit"] = "oserror %s" % exc.errno
try:
    socket.socket().connect(("10.255.255.1", 80)); out["no_timeout"] = "connected"
except socket.timeout:
    out["no_timeout"] = "timeout"
except OSError as exc:
    out["no_timeout"] = "oserror"
try:
    socket.getaddrinfo("example.com", 443); out["dns"] = "resolved"
except OSError:
    out["dns"] = "failed"
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
socket.create_connection(server.getsockname(), timeout=5).close(); out["loopback"] = "ok"
print(sorted(out.items()))
"""


async def _tarpit_probe(guard: NetworkGuard, tmp_path: Path) -> str:
    env = guard.environment(scrubbed_environment())
    result = await run_process(guard.wrap([sys.executable, "-c", TARPIT_PROBE]), cwd=tmp_path, env=env, timeout=120)
    assert result.exit_code == 0, result.stderr_tail
    return result.stdout_tail.strip().splitlines()[-1]


async def test_socket_guard_tarpit_times_out_like_a_firewalled_network(tmp_path: Path) -> None:
    guard = await network_guard(GuardMode.SOCKET, tarpit=True)
    assert guard.tarpit and guard.environment({})["SWARM_NETWORK_TARPIT"] == "1"
    # A connect with a timeout times out; one without fails at once; names never resolve.
    assert await _tarpit_probe(guard, tmp_path) == (
        "[('dns', 'failed'), ('loopback', 'ok'), ('no_timeout', 'oserror'), ('tarpit', 'timeout')]"
    )


async def test_netns_tarpit_swallows_outbound_traffic(tmp_path: Path) -> None:
    if not await netns_available():
        pytest.skip("unprivileged network namespaces are disabled on this kernel; the socket-guard test covers the tarpit")
    guard = await network_guard(GuardMode.NETNS, tarpit=True)
    assert guard.mode is GuardMode.NETNS and "route add default dev lo" in " ".join(guard.prefix)
    out = await _tarpit_probe(guard, tmp_path)
    # Without iproute2 only loopback comes up and the tarpit fails at once instead.
    assert out.startswith("[('dns', 'failed'), ('loopback', 'ok')")
    assert out.endswith("('tarpit', 'timeout')]") or out.endswith("('tarpit', 'oserror 101')]")


async def test_netns_blocks_non_python_programs_too(tmp_path: Path) -> None:
    if not await netns_available():
        pytest.skip("unprivileged network namespaces are disabled on this kernel")
    guard = await network_guard(GuardMode.NETNS, tarpit=True)
    result = await run_process(guard.wrap(["bash", "-c", "exec 3<>/dev/tcp/10.255.255.1/80"]), cwd=tmp_path,
                               env=scrubbed_environment(), timeout=120)
    assert result.exit_code != 0


async def test_without_tarpit_nothing_changes(tmp_path: Path) -> None:
    guard = await network_guard(GuardMode.SOCKET)
    assert not guard.tarpit and "SWARM_NETWORK_TARPIT" not in guard.environment({})
