"""One language-server process and the bookkeeping that dies with it:
the pipe to write on, requests awaiting answers, the tail of its stderr."""

from __future__ import annotations

import os
import signal
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import trio

from lsp import jsonrpc
from lsp.errors import ServerCrashed

STDERR_TAIL_LINES = 40


@dataclass
class Pending:
    method: str
    done: trio.Event = field(default_factory=trio.Event)
    result: object = None
    error: dict[str, Any] | None = None
    crashed: str | None = None


class Session:
    """One server process and the bookkeeping that dies with it."""

    def __init__(self, process: trio.Process, generation: int) -> None:
        self.process = process
        self.generation = generation
        self.pending: dict[int, Pending] = {}
        self.next_id = 0
        self.send_lock = trio.Lock()
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        self.dead = trio.Event()
        self.death: str = ""
        self.closing = False
        self.cancel_scope = trio.CancelScope()

    @property
    def alive(self) -> bool:
        return not self.dead.is_set()

    def allocate_id(self) -> int:
        self.next_id += 1
        return self.next_id

    async def send(self, message: jsonrpc.Message) -> None:
        if not self.alive:
            raise ServerCrashed(self.death)
        stdin = self.process.stdin
        assert stdin is not None
        try:
            async with self.send_lock:
                await stdin.send_all(jsonrpc.encode(message))
        except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            # The pipe broke before the reader saw the exit: the process is
            # gone or going, so declare it dead now and let a restart follow.
            self.kill()
            self.mark_dead(self.death or f"the server stopped reading its input ({exc or 'broken pipe'})")
            raise ServerCrashed(self.death) from None

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_tail)

    def mark_dead(self, reason: str) -> None:
        if self.dead.is_set():
            return
        self.death = reason
        self.dead.set()
        for pending in self.pending.values():
            pending.crashed = reason
            pending.done.set()
        self.pending.clear()

    def kill(self) -> None:
        # The server runs in its own session: kill its whole process group so
        # helpers it spawned (node under pyright's launcher, cargo under
        # rust-analyzer) do not outlive it.
        if self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()
