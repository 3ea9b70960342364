from __future__ import annotations

import pytest
import trio

from lsp.nurseries import open_nursery

pytestmark = pytest.mark.anyio


async def test_single_error_escapes_unwrapped() -> None:
    with pytest.raises(KeyError):
        async with open_nursery() as nursery:
            nursery.start_soon(trio.sleep_forever)
            raise KeyError("from the block")


async def test_several_errors_stay_grouped() -> None:
    async def fail(exc: Exception) -> None:
        raise exc

    with pytest.raises(BaseExceptionGroup) as caught:
        async with open_nursery() as nursery:
            nursery.start_soon(fail, ValueError("a"))
            nursery.start_soon(fail, TypeError("b"))
            await trio.sleep_forever()
    assert {type(e) for e in caught.value.exceptions} == {ValueError, TypeError}
