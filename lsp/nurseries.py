"""Nurseries whose failures read like ordinary exceptions.

trio wraps every error that leaves a nursery in an ExceptionGroup, even a
single one. Our context managers run background tasks in a nursery around
the caller's block, so an error the caller raised inside the block would
come back wrapped: `except HarnessError` around the block would miss it.
When exactly one exception escaped, it is re-raised as itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import trio


def _leaves(group: BaseExceptionGroup) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


@asynccontextmanager
async def open_nursery() -> AsyncIterator[trio.Nursery]:
    try:
        async with trio.open_nursery() as nursery:
            yield nursery
    except BaseExceptionGroup as group:
        leaves = list(_leaves(group))
        if len(leaves) == 1:
            raise leaves[0] from None
        raise
