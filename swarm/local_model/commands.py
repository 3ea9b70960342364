"""Running the install and build tools (pip, cmake, ninja) as logged subprocesses.

Install and build are one-off jobs run from the command line (or by
`swarm model install` as a child of a run), so they are plain blocking
subprocesses: their output streams line by line into a log file and to a
progress callback, and a failure keeps the log's tail for the error message.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Progress = Callable[[str], None]

TAIL_LINES = 30


def stderr_progress(message: str) -> None:
    print(f"[model] {message}", file=sys.stderr, flush=True)


def quiet_progress(message: str) -> None:
    del message


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int
    tail: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail_text(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.tail[-lines:])


def run_logged(
    argv: Sequence[str],
    *,
    log: IO[str] | None = None,
    on_line: Callable[[str], None] | None = None,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run `argv`, streaming stdout+stderr lines to `log` and `on_line`."""
    if log is not None:
        log.write(f"$ {' '.join(argv)}\n")
        log.flush()
    tail: collections.deque[str] = collections.deque(maxlen=200)
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        line = f"cannot run {argv[0]}: {exc}"
        if log is not None:
            log.write(line + "\n")
        return CommandResult(127, (line,))
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            tail.append(line)
            if log is not None:
                log.write(raw)
            if on_line is not None:
                on_line(line)
        returncode = proc.wait()
    except BaseException:
        # Ctrl-C during a long build: never leave the compiler running.
        proc.kill()
        proc.wait()
        raise
    if log is not None:
        log.write(f"[exit {returncode}]\n")
        log.flush()
    return CommandResult(returncode, tuple(tail))


@dataclass(frozen=True, slots=True)
class Pip:
    """pip of the running interpreter, honouring the user's pip configuration
    (index, extra index, find-links) because we never pass an index ourselves."""

    python: str = sys.executable
    env: Mapping[str, str] | None = field(default=None)

    def merged_env(self) -> dict[str, str]:
        merged = dict(os.environ)
        merged.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        if self.env:
            merged.update(self.env)
        return merged

    def run(
        self,
        args: Sequence[str],
        *,
        log: IO[str] | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> CommandResult:
        return run_logged(
            [self.python, "-m", "pip", *args], log=log, on_line=on_line, env=self.merged_env()
        )


def pip_failure_hint(result: CommandResult) -> str:
    """The lines of pip's output that explain a failure (errors, not warnings)."""
    useful = [
        line.strip()
        for line in result.tail
        if line.strip() and not line.lstrip().startswith("WARNING: Location")
    ]
    return " | ".join(useful[-6:]) or f"pip exited with {result.returncode}"
