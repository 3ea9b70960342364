"""A trio run hosted inside an asyncio loop (trio's guest mode), for the server shell.

    host = TrioHost()
    await host.start()                              # asyncio side, once
    value = await host.call(lambda: trio_work())    # asyncio -> trio; cancelling the caller cancels the work
    reply = await host.host(some_asyncio_coro())    # trio -> asyncio, from inside trio work
    await host.stop()                               # cancels what runs, waits until it has ended

Why guest mode: pygls runs on asyncio, the swarm (and its language-server
clients, test runs) on trio. `trio.lowlevel.start_guest_run` runs trio's
scheduler on the asyncio loop's own thread, so both sides share one thread
and call each other's objects directly: no worker threads of ours, no
second process to keep in sync, and trio's cancel scopes reach every child
process the swarm started. (Trio parks its blocking I/O wait in its own
helper thread in guest mode; nothing of ours runs there.)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import trio

from lsp.errors import LspError

T = TypeVar("T")


class HostStopped(LspError):
    """Work was handed to the trio host after it stopped (the server is shutting down)."""


class TrioHost:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._nursery: trio.Nursery | None = None
        self._done: asyncio.Future[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._done is not None and not self._done.done()

    async def start(self) -> None:
        """Start the trio run on the running asyncio loop (idempotent)."""
        if self._done is not None:
            return
        loop = self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        self._done = loop.create_future()

        async def main() -> None:
            async with trio.open_nursery() as nursery:
                self._nursery, self._token = nursery, trio.lowlevel.current_trio_token()
                ready.set_result(None)
                await trio.sleep_forever()

        def finished(outcome: Any) -> None:
            assert self._done is not None
            try:
                outcome.unwrap()
            except BaseException as exc:  # noqa: BLE001 - reported, the server stays up to answer
                print(f"swarm lsp: the trio run ended with {type(exc).__name__}: {exc}", file=sys.stderr)
            if not self._done.done():
                self._done.set_result(None)
            if not ready.done():
                ready.set_exception(HostStopped("the trio run ended before it was ready"))

        trio.lowlevel.start_guest_run(
            main,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            done_callback=finished,
            host_uses_signal_set_wakeup_fd=True,
        )
        await ready

    def _submit(self, fn: Callable[..., object], *args: object) -> None:
        if self._token is None or self._stopping or not self.running:
            raise HostStopped("the server is shutting down: no new work is accepted")
        try:
            self._token.run_sync_soon(fn, *args)
        except trio.RunFinishedError:
            raise HostStopped("the server is shutting down: no new work is accepted") from None

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run `fn()` in the trio run and return its result (asyncio side).

        Cancelling the caller cancels `fn` and waits until it has unwound, so
        nothing it started outlives the request.
        """
        assert self._loop is not None and self._nursery is not None
        result: asyncio.Future[T] = self._loop.create_future()
        ended: asyncio.Future[None] = self._loop.create_future()
        scope = trio.CancelScope()

        async def job() -> None:
            try:
                with scope:
                    value = await fn()
                    if not result.done():
                        result.set_result(value)
            except Exception as exc:  # noqa: BLE001 - handed to the asyncio caller
                if not result.done():
                    result.set_exception(exc)
            finally:
                if not result.done():
                    result.cancel()
                if not ended.done():
                    ended.set_result(None)

        self._submit(self._nursery.start_soon, job)
        try:
            return await asyncio.shield(result)
        except asyncio.CancelledError:
            if not ended.done():
                try:
                    self._submit(scope.cancel)
                except HostStopped:
                    pass
                await asyncio.shield(ended)
            raise

    async def host(self, coro: Coroutine[Any, Any, T], *, cancel: bool = True) -> T:
        """Await an asyncio coroutine from trio code (trio side).

        A trio cancel cancels the coroutine too, unless `cancel` is False: a
        request to the editor is then left to be answered (its late reply is
        dropped), which is kinder to the editor than a half-cancelled prompt.
        """
        assert self._loop is not None and self._token is not None
        task = self._loop.create_task(coro)
        done = trio.Event()
        token = self._token

        def wake(_task: object) -> None:
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:
                pass

        task.add_done_callback(wake)
        try:
            await done.wait()
        except trio.Cancelled:
            if cancel:
                task.cancel()
            raise
        return task.result()

    async def stop(self) -> None:
        """Cancel everything in the trio run and wait for it to end (asyncio side)."""
        if self._done is None or self._done.done():
            return
        self._stopping = True
        if self._token is not None and self._nursery is not None:
            try:
                self._token.run_sync_soon(self._nursery.cancel_scope.cancel)
            except trio.RunFinishedError:
                pass
        await asyncio.shield(self._done)
