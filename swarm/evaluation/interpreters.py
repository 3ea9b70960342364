"""Python interpreters installed on this machine, and the choice of one for a
spec that names a `major.minor` version.

Looked for under pyenv (`$PYENV_ROOT/versions/*`, default `~/.pyenv`), as
`pythonX.Y` on PATH, and in `$SWARM_PYTHONS` (paths separated by `:`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from swarm.evaluation.errors import InterpreterNotFound

Version = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Interpreter:
    path: Path
    version: Version

    @property
    def minor(self) -> tuple[int, int]:
        return self.version[:2]

    @property
    def label(self) -> str:
        return ".".join(map(str, self.version))


@dataclass(frozen=True, slots=True)
class Choice:
    interpreter: Interpreter
    wanted: str
    note: str  # empty when the wanted minor version was found

    @property
    def exact(self) -> bool:
        return not self.note


def probe(path: Path) -> Interpreter | None:
    """Ask an executable which Python it is; None if it is not a working one."""
    try:
        out = subprocess.run(
            [str(path), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)\s*", out.stdout)
    if out.returncode != 0 or match is None:
        return None
    major, minor, micro = (int(g) for g in match.groups())
    return Interpreter(Path(path), (major, minor, micro))


def candidate_paths() -> Iterable[Path]:
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = pyenv_root / "versions"
    if versions.is_dir():
        for entry in sorted(versions.iterdir()):
            exe = entry / "bin" / "python"
            # Virtualenvs made by pyenv-virtualenv live here too; only real installs.
            if exe.exists() and not (entry / "pyvenv.cfg").exists():
                yield exe
    for minor in range(6, 20):
        found = shutil.which(f"python3.{minor}")
        if found:
            yield Path(found)
    for extra in os.environ.get("SWARM_PYTHONS", "").split(os.pathsep):
        if extra:
            yield Path(extra)


def discover(paths: Iterable[Path] | None = None) -> list[Interpreter]:
    """Working interpreters, newest first, one per distinct version."""
    seen: dict[Version, Interpreter] = {}
    for path in candidate_paths() if paths is None else paths:
        found = probe(Path(path))
        if found is not None and found.version not in seen and found.version[0] >= 3:
            seen[found.version] = found
    return sorted(seen.values(), key=lambda i: i.version, reverse=True)


def choose(wanted: str, available: Sequence[Interpreter]) -> Choice:
    """The newest patch release of `wanted` ("3.9"); else the nearest minor
    version, with a note saying so. On a tie the newer one: code written for
    3.N nearly always runs on 3.N+1, while it may use syntax 3.N-1 lacks."""
    match = re.fullmatch(r"(\d+)\.(\d+)", wanted)
    if match is None:
        raise InterpreterNotFound(f"python version must look like '3.9', got {wanted!r}")
    target = (int(match.group(1)), int(match.group(2)))
    same_major = [i for i in available if i.version[0] == target[0]]
    if not same_major:
        raise InterpreterNotFound(
            f"no Python {target[0]}.x installed (wanted {wanted}); install one with pyenv "
            "or list it in SWARM_PYTHONS"
        )
    exact = [i for i in same_major if i.minor == target]
    if exact:
        return Choice(max(exact, key=lambda i: i.version), wanted, "")
    nearest = min(same_major, key=lambda i: (abs(i.version[1] - target[1]), -i.version[1], -i.version[2]))
    return Choice(nearest, wanted, f"Python {wanted} is not installed; used {nearest.label} instead")
