from __future__ import annotations

import pytest
import trio

from lsp.condition import Changed

pytestmark = pytest.mark.anyio


async def test_wait_for_wakes_on_notify() -> None:
    changed = Changed()
    state = {"value": 0}

    async def bump() -> None:
        for _ in range(3):
            await trio.sleep(0.01)
            state["value"] += 1
            changed.notify()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(bump)
        assert await changed.wait_for(lambda: state["value"] == 3, timeout=30)


async def test_wait_for_times_out_with_false() -> None:
    assert await Changed().wait_for(lambda: False, timeout=0.05) is False


async def test_predicate_already_true_returns_at_once() -> None:
    assert await Changed().wait_for(lambda: True, timeout=0)
