"""lsp.trio_host: a trio guest run on an asyncio loop, calls both ways, cancellation."""

from __future__ import annotations

import asyncio

import pytest
import trio

from lsp.trio_host import HostStopped, TrioHost


def test_calls_cross_both_ways_and_the_run_stops_cleanly() -> None:
    async def main() -> None:
        host = TrioHost()
        await host.start()

        async def on_trio() -> str:
            await trio.sleep(0.01)
            from_asyncio = await host.host(asyncio.sleep(0.01, result="asyncio"))
            return f"trio+{from_asyncio}"

        assert await host.call(on_trio) == "trio+asyncio"

        async def fails() -> None:
            raise ValueError("backend refused")

        with pytest.raises(ValueError, match="backend refused"):
            await host.call(fails)
        await host.stop()
        assert not host.running
        with pytest.raises(HostStopped):
            await host.call(on_trio)

    asyncio.run(main())


def test_cancelling_the_caller_cancels_the_trio_work_and_waits_for_it() -> None:
    unwound: list[str] = []

    async def main() -> None:
        host = TrioHost()
        await host.start()

        async def forever() -> None:
            try:
                await trio.sleep_forever()
            finally:
                with trio.CancelScope(shield=True):
                    await trio.sleep(0.05)   # cleanup that takes a while (closing a server)
                unwound.append("closed")

        task = asyncio.create_task(host.call(forever))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert unwound == ["closed"]   # the caller returned only after the cleanup ran
        await host.stop()

    asyncio.run(main())


def test_stop_cancels_work_in_flight() -> None:
    async def main() -> None:
        host = TrioHost()
        await host.start()

        async def forever() -> None:
            await trio.sleep_forever()

        task = asyncio.create_task(host.call(forever))
        await asyncio.sleep(0.05)
        await host.stop()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_a_trio_cancel_cancels_the_awaited_asyncio_coroutine() -> None:
    async def main() -> None:
        host = TrioHost()
        await host.start()
        cancelled = asyncio.Event()

        async def slow_editor() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        async def ask_with_timeout() -> bool:
            with trio.move_on_after(0.05) as scope:
                await host.host(slow_editor())
            return scope.cancelled_caught

        assert await host.call(ask_with_timeout) is True
        await asyncio.wait_for(cancelled.wait(), timeout=5)
        await host.stop()

    asyncio.run(main())
