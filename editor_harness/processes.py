"""Running one command under trio with a hard timeout that kills its whole process group.

The command starts in a new session (its own process group), so at the
timeout, on cancellation, and after a normal exit (stragglers: daemons a
test left behind) everything it spawned is SIGKILLed with one `killpg`.
Output is read as it arrives: complete lines go to an optional callback
(parsers get partial results even when the command is killed) and only
bounded tails are kept in memory.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import trio

from editor_harness.errors import TestRunError

TAIL_CHARS = 8_000
# Grace after the main process exits for output still buffered in the pipes.
_DRAIN_GRACE_S = 2.0
_SECRET_NAME = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$|^AWS_", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """How one command ended. `exit_code` is None when it was killed at the timeout."""

    argv: tuple[str, ...]
    exit_code: int | None
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    elapsed_s: float


def scrubbed_environment(base: Mapping[str, str] | None = None, **updates: str) -> dict[str, str]:
    """The environment for a child: secrets (API keys, tokens, passwords) removed.

    A test's output ends up in reports and run logs; it must not be able to
    print a key it never needed.
    """
    env = {k: v for k, v in (os.environ if base is None else base).items() if not _SECRET_NAME.search(k)}
    env.update(updates)
    return env


class _Tail:
    def __init__(self, limit: int, on_line: Callable[[str], None] | None) -> None:
        self.limit = limit
        self.on_line = on_line
        self.text = ""
        self._partial = ""

    def feed(self, chunk: str) -> None:
        self.text = (self.text + chunk)[-self.limit :]
        if self.on_line is None:
            return
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self.on_line(line.rstrip("\r"))

    def close(self) -> None:
        if self.on_line is not None and self._partial:
            self.on_line(self._partial.rstrip("\r"))
        self._partial = ""


async def _drain(stream: trio.abc.ReceiveStream | None, tail: _Tail) -> None:
    if stream is None:
        return
    decoder = _decoder()
    try:
        while chunk := await stream.receive_some(65536):
            tail.feed(decoder.decode(chunk))
    except (trio.ClosedResourceError, trio.BrokenResourceError):
        pass
    tail.feed(decoder.decode(b"", final=True))
    tail.close()


def _decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    on_stdout_line: Callable[[str], None] | None = None,
    merge_stderr: bool = False,
    tail_chars: int = TAIL_CHARS,
) -> ProcessResult:
    """Run `argv` to completion or until `timeout` seconds, then kill its process group."""
    started = time.monotonic()
    try:
        process = await trio.lowlevel.open_process(
            list(argv),
            cwd=str(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise TestRunError(f"{argv[0]}: command not found; install it or configure another") from None
    except OSError as exc:
        raise TestRunError(f"cannot start {argv[0]}: {exc}") from None
    out, err = _Tail(tail_chars, on_stdout_line), _Tail(tail_chars, None)
    timed_out = False
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_drain, process.stdout, out)
            nursery.start_soon(_drain, process.stderr, err)
            with trio.move_on_after(timeout) as scope:
                await process.wait()
            timed_out = scope.cancelled_caught
            kill_group(process.pid)
            await process.wait()
            # A child that escaped the group could hold the pipes open forever.
            nursery.cancel_scope.deadline = trio.current_time() + _DRAIN_GRACE_S
    finally:
        with trio.CancelScope(shield=True):
            kill_group(process.pid)
            await process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    await stream.aclose()
    return ProcessResult(
        argv=tuple(argv),
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        stdout_tail=out.text,
        stderr_tail=err.text,
        elapsed_s=time.monotonic() - started,
    )
