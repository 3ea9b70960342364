"""Nurseries whose failures read like ordinary exceptions.

trio wraps every error that leaves a nursery in an ExceptionGroup, even a
single one. Our context managers run background tasks in a nursery around
the caller's block, so an error the caller raised inside the block would
come back wrapped: `except HarnessError` around the block would miss it.
When exactly one exception escaped, it is re-raised as itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TypeVar

import trio

T = TypeVar("T")


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


async def gather(*steps: Callable[[], Awaitable[T]]) -> list[T]:
    """Run `steps` concurrently; their results in order. The first failure
    cancels the rest and is raised as itself."""
    results: list[T | None] = [None] * len(steps)
    failures: list[BaseException] = []

    async def run(slot: int, step: Callable[[], Awaitable[T]], cancel_scope: trio.CancelScope) -> None:
        try:
            results[slot] = await step()
        except Exception as exc:
            failures.append(exc)
            cancel_scope.cancel()

    async with trio.open_nursery() as nursery:
        for slot, step in enumerate(steps):
            nursery.start_soon(run, slot, step, nursery.cancel_scope)
    if failures:
        raise failures[0]
    return results  # type: ignore[return-value]
