"""The fallback block: a `sitecustomize` put first on PYTHONPATH patches
socket connects and name lookups in every Python process the tests start, so
only loopback and Unix sockets work. It cannot stop non-Python programs; the
namespace block can, and is preferred wherever it works."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

GUARD_DIR = Path(__file__).resolve().parent / "guard"


class SocketGuard:
    name = "socket-guard"

    def wrap(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
        out = dict(env)
        existing = out.get("PYTHONPATH")
        out["PYTHONPATH"] = os.pathsep.join([str(GUARD_DIR), *([existing] if existing else [])])
        out["SWARM_NETWORK_GUARD"] = "1"
        return list(argv), out
