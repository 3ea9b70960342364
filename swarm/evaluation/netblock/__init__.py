"""Keeping graded tests from dialing out of the machine.

Two ways, one file each: a fresh network namespace with only loopback up
(`namespace`, used wherever unprivileged user namespaces work), and a socket
guard injected into every Python process (`socket_guard`, the fallback). Both
leave 127.0.0.1 / ::1 working, so tests that run local servers still pass,
and make everything else fail fast inside the test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class NetworkBlock(Protocol):
    name: str

    def wrap(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
        """The command line and environment that run `argv` with no way out."""
        ...


def best_available() -> NetworkBlock:
    """The namespace where the kernel allows it, else the socket guard."""
    from swarm.evaluation.netblock.namespace import NamespaceBlock
    from swarm.evaluation.netblock.socket_guard import SocketGuard

    return NamespaceBlock() if NamespaceBlock.usable() else SocketGuard()


def named(name: str) -> NetworkBlock:
    from swarm.evaluation.errors import EvaluationError
    from swarm.evaluation.netblock.namespace import NamespaceBlock
    from swarm.evaluation.netblock.socket_guard import SocketGuard

    if name == "auto":
        return best_available()
    if name == "namespace":
        if not NamespaceBlock.usable():
            raise EvaluationError(
                "network namespaces are not available here (`unshare -rn true` fails); "
                "use --network-block socket-guard"
            )
        return NamespaceBlock()
    if name == "socket-guard":
        return SocketGuard()
    raise EvaluationError(f"unknown network block {name!r}; use auto, namespace or socket-guard")
