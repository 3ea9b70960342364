"""Wait until a predicate over some state holds, woken by whoever changes it.

trio.Condition needs a lock and a loop; every waiter here just wants "wake me
when this state changed, then I re-check", so a replaceable Event does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import trio


class Changed:
    def __init__(self) -> None:
        self._event = trio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = trio.Event()

    async def wait(self) -> None:
        """Until the next `notify()`."""
        await self._event.wait()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = math.inf) -> bool:
        """True once `predicate()` holds; False if `timeout` seconds pass first."""
        with trio.move_on_after(timeout):
            while not predicate():
                await self._event.wait()
            return True
        return predicate()
