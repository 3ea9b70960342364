from __future__ import annotations

import subprocess

import pytest
import trio

from lsp import jsonrpc
from lsp.errors import ServerCrashed
from lsp.session import Pending, Session

pytestmark = pytest.mark.anyio


async def _cat() -> trio.Process:
    return await trio.lowlevel.open_process(
        ["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


async def test_send_writes_framed_messages() -> None:
    process = await _cat()
    session = Session(process, generation=1)
    await session.send(jsonrpc.notification("ping", {"n": 1}))
    assert process.stdout is not None
    echoed = jsonrpc.MessageReader().feed(await process.stdout.receive_some(4096))
    assert echoed == [jsonrpc.notification("ping", {"n": 1})]
    session.kill()
    await process.wait()
    assert process.returncode is not None and process.returncode < 0


async def test_death_fails_pending_requests_and_later_sends() -> None:
    process = await _cat()
    session = Session(process, generation=1)
    pending = Pending("textDocument/hover")
    session.pending[session.allocate_id()] = pending
    session.mark_dead("it fell over")
    assert pending.done.is_set() and pending.crashed == "it fell over"
    assert not session.alive and not session.pending
    with pytest.raises(ServerCrashed, match="it fell over"):
        await session.send(jsonrpc.notification("late"))
    session.mark_dead("second reason is ignored")
    assert session.death == "it fell over"
    session.kill()
    await process.wait()


async def test_broken_pipe_marks_the_session_dead() -> None:
    process = await _cat()
    session = Session(process, generation=1)
    session.kill()
    await process.wait()
    with pytest.raises(ServerCrashed, match="stopped reading its input"):
        for _ in range(100):  # the first writes may still fit in the pipe buffer
            await session.send(jsonrpc.notification("x", {"pad": "y" * 65536}))
    assert not session.alive
