"""Run a command in a new network namespace (inside a new user namespace, so
no privileges are needed) whose only interface is loopback: see
`enter_namespace.py` for what the network looks like from inside. No packet
leaves the machine, whatever the program (Python or not).

Tests run as root inside the user namespace, as in SWE-bench's docker images.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ENTER = Path(__file__).resolve().parent / "enter_namespace.py"


def _prefix() -> list[str]:
    unshare = shutil.which("unshare") or "unshare"
    # -I: the helper must not pick up the graded environment's PYTHONPATH.
    return [unshare, "--net", "--map-root-user", sys.executable, "-I", str(ENTER), "--"]


class NamespaceBlock:
    name = "namespace"

    @staticmethod
    @functools.cache
    def usable() -> bool:
        if shutil.which("unshare") is None:
            return False
        try:
            probe = subprocess.run([*_prefix(), "true"], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return probe.returncode == 0

    def wrap(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
        return [*_prefix(), *argv], dict(env)
