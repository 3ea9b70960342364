"""Keeping test processes off the network: only loopback is reachable.

Two mechanisms, strongest first:

- `netns`: the command runs in a fresh network namespace (`unshare --net`,
  with `--map-root-user` when not root) whose only interface is loopback,
  brought up by `ip` (or netns_exec.py without iproute2). Nothing can
  leave, whatever the language: pytest, cargo test binaries, curl in a test.
- `socket-guard`: when namespaces are unavailable, Python test processes get
  a sitecustomize (on PYTHONPATH) that refuses non-loopback connect/sendto
  and DNS lookups. It covers Python code only; `none` is reported when
  neither applies (a cargo run without namespaces).

Which one a run used is recorded in `TestRun.network_guard`.

`tarpit=True` makes the outside look like a network that silently drops
packets rather than one that refuses them, which is what real test suites
written against a real network expect (a "tarpit" address such as
10.255.255.1 must time out, not fail at once): in the namespace the default
routes point into loopback, name servers are unreachable (lookups fail at
once) and TCP gives up on a silent peer after ~3 s; under the socket guard a
connect with a timeout waits (at most 3 s) and times out. The SWE-bench
grader runs tests this way.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import trio

from editor_harness.errors import TestRunError

_HERE = Path(__file__).resolve().parent
SOCKET_GUARD_DIR = _HERE / "_socket_guard"
NETNS_HELPER = _HERE / "netns_exec.py"
_PROBE_TIMEOUT_S = 20.0


class GuardMode(StrEnum):
    AUTO = "auto"
    NETNS = "netns"
    SOCKET = "socket-guard"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class NetworkGuard:
    """How to run a command so that it cannot reach anything but loopback."""

    mode: GuardMode
    prefix: tuple[str, ...] = ()
    python_path: tuple[str, ...] = ()
    note: str = ""
    tarpit: bool = False

    def wrap(self, argv: Sequence[str]) -> list[str]:
        return [*self.prefix, *argv]

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        updated = dict(env)
        if self.python_path:
            updated["PYTHONPATH"] = os.pathsep.join([*self.python_path, *filter(None, [env.get("PYTHONPATH")])])
            updated["SWARM_NETWORK_GUARD"] = "1"
            if self.tarpit:
                updated["SWARM_NETWORK_TARPIT"] = "1"
        return updated


def _ip_command() -> str | None:
    found = shutil.which("ip")
    if found:
        return found
    return next((p for p in ("/usr/sbin/ip", "/sbin/ip") if os.access(p, os.X_OK)), None)


def name_servers(path: str = "/etc/resolv.conf") -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]


def _tarpit_commands(ip: str) -> list[str]:
    """Shell commands (each allowed to fail) that make the namespace drop outbound packets."""
    quoted = shlex.quote(ip)
    commands = [f"{quoted} route add default dev lo", f"{quoted} -6 route add default dev lo"]
    for server in name_servers():
        family, width = ("-6", 128) if ":" in server else ("-4", 32)
        commands.append(f"{quoted} {family} route add unreachable {shlex.quote(server)}/{width}")
    commands.append("echo 1 > /proc/sys/net/ipv4/tcp_syn_retries")
    return [f"{c} 2>/dev/null" for c in commands]


def unshare_prefix(*, tarpit: bool = False) -> tuple[str, ...]:
    """argv prefix: a new network namespace, loopback up, then exec the command.

    iproute2's `ip` brings `lo` up when installed (a few ms); otherwise
    netns_exec.py does it with an ioctl (one Python start-up, ~30 ms), and
    `tarpit` is not possible (every other address then fails at once).
    """
    unshare = shutil.which("unshare") or "unshare"
    user = () if os.geteuid() == 0 else ("--user", "--map-root-user")
    ip = _ip_command()
    if ip is not None and os.access("/bin/sh", os.X_OK):
        setup = f"{shlex.quote(ip)} link set lo up"
        if tarpit:
            setup += " && { " + "; ".join([*_tarpit_commands(ip), "true"]) + "; }"
        return (unshare, *user, "--net", "/bin/sh", "-c", f'{setup} && exec "$@"', "sh")
    return (unshare, *user, "--net", sys.executable, "-I", "-S", str(NETNS_HELPER), "--")


_netns_works: bool | None = None


async def netns_available() -> bool:
    """Whether `unshare --net` works here (probed once per process, then cached)."""
    global _netns_works
    if _netns_works is None:
        if sys.platform != "linux" or shutil.which("unshare") is None:
            _netns_works = False
        else:
            with trio.move_on_after(_PROBE_TIMEOUT_S):
                try:
                    result = await trio.run_process(
                        [*unshare_prefix(), sys.executable, "-I", "-S", "-c", "pass"],
                        capture_stdout=True,
                        capture_stderr=True,
                        check=False,
                    )
                    _netns_works = result.returncode == 0
                except OSError:
                    _netns_works = False
            if _netns_works is None:
                _netns_works = False
    return _netns_works


async def network_guard(
    mode: GuardMode | str = GuardMode.AUTO, *, python: bool = True, tarpit: bool = False
) -> NetworkGuard:
    """The guard to use for one test command; `python` says whether it runs
    Python tests, `tarpit` whether outbound traffic times out (see module doc)."""
    mode = GuardMode(mode)
    if mode is GuardMode.NONE:
        return NetworkGuard(GuardMode.NONE, note="network guard disabled on request")
    if mode in (GuardMode.AUTO, GuardMode.NETNS):
        if await netns_available():
            return NetworkGuard(GuardMode.NETNS, prefix=unshare_prefix(tarpit=tarpit), tarpit=tarpit)
        if mode is GuardMode.NETNS:
            raise TestRunError(
                "network namespaces are unavailable here (`unshare --net` failed); "
                "use the socket guard (network='socket-guard') or run as a user allowed to create namespaces"
            )
    if python:
        return NetworkGuard(GuardMode.SOCKET, python_path=(str(SOCKET_GUARD_DIR),), tarpit=tarpit)
    if mode is GuardMode.SOCKET:
        raise TestRunError("the socket guard works for Python test processes only")
    return NetworkGuard(
        GuardMode.NONE,
        note="no network namespaces here and the socket guard covers Python only: the tests were NOT isolated",
    )
