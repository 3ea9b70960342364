"""Run one test command in its own process group with a hard timeout.

The whole group is killed when the command ends or times out, so a test's
stray children never outlive it. Output (stdout and stderr merged, in order)
is kept up to a cap, newest bytes kept.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import trio

from editor_harness.tracing.errors import TraceSetupError

MAX_OUTPUT_BYTES = 4_000_000
# Our own credentials must never reach a test process (which may print its
# environment into a trace): drop anything that looks like one.
SECRET_NAME = re.compile(r"(?i)(api_?key|token|secret|passw(or)?d|credential)")


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int | None  # negative: killed by that signal
    output: str
    timed_out: bool
    elapsed_s: float
    output_truncated: bool = False


def child_env(extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: our environment) without credentials, plus `extra`."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not SECRET_NAME.search(k)}
    env.update(extra or {})
    return env


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


async def run_in_group(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    on_timeout: Callable[[int], Awaitable[None]] | None = None,
    grace: float = 3.0,
    max_output: int = MAX_OUTPUT_BYTES,
) -> Finished:
    """Run `argv`; at `timeout` seconds call `on_timeout(pid)` (given at most
    `grace` seconds, e.g. to ask the process where it hangs), then kill the group."""
    started = time.monotonic()
    try:
        process = await trio.lowlevel.open_process(
            list(argv),
            cwd=str(cwd),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise TraceSetupError(f"cannot start {argv[0]!r}: {exc.strerror or exc}") from None
    output = _Tail(max_output)
    timed_out = False
    try:
        async with trio.open_nursery() as nursery:
            assert process.stdout is not None
            nursery.start_soon(output.drain, process.stdout)
            with trio.move_on_after(timeout) as waiting:
                await process.wait()
            if waiting.cancelled_caught:
                timed_out = True
                if on_timeout is not None:
                    with trio.move_on_after(grace):
                        await on_timeout(process.pid)
            kill_group(process.pid)
            await process.wait()
            # A grandchild that left the group may still hold the pipe open.
            nursery.cancel_scope.deadline = trio.current_time() + grace
    finally:
        if process.returncode is None:
            kill_group(process.pid)
            with trio.CancelScope(shield=True), trio.move_on_after(grace):
                await process.wait()
    return Finished(
        returncode=process.returncode,
        output=output.text(),
        timed_out=timed_out,
        elapsed_s=time.monotonic() - started,
        output_truncated=output.dropped > 0,
    )


class _Tail:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.dropped = 0

    async def drain(self, stream: trio.abc.ReceiveStream) -> None:
        while chunk := await stream.receive_some(65536):
            self.data += chunk
            if len(self.data) > self.limit:
                excess = len(self.data) - self.limit
                del self.data[:excess]
                self.dropped += excess

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")
