"""The served page is rendered again on every request: a run in progress shows new messages."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx
import pytest
import trio

from swarm.bus import open_bus
from swarm.graph.html import render_html
from swarm.graph.model import build_graph
from swarm.graph.serve import serve_html
from swarm.runlog import RunLog, observed_status


@pytest.mark.anyio
async def test_each_request_renders_the_run_again(tmp_path: Path) -> None:
    log = RunLog.open(tmp_path / "runs.sqlite3")
    run_id = log.create_run(repo=tmp_path, issue_text="Totals are wrong\n")

    async def page() -> str:
        snapshot = log.snapshot(run_id)
        graph = build_graph(snapshot, observed_status(snapshot.run))
        return render_html(graph, None, refresh_s=2 if graph.running else None)

    async with trio.open_nursery() as nursery:
        port = await nursery.start(partial(serve_html, page))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            first = await client.get("/")
            assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
            assert "first question" not in first.text and 'http-equiv="refresh"' in first.text
            async with open_bus(log, run_id) as bus:
                bus.register("a.py::f")
                await bus.send("probe", "coordinator", "a.py::f", {"question": "first question?"})
            second = await client.get("/index.html")
            assert "first question" in second.text
            log.finish_run(run_id, "done", "finished")
            third = await client.get("/")
            assert 'http-equiv="refresh"' not in third.text
            assert (await client.get("/favicon.ico")).status_code == 404
            assert (await client.post("/")).status_code == 405
            assert (await client.head("/")).content == b""
        nursery.cancel_scope.cancel()
    log.close()


@pytest.mark.anyio
async def test_a_render_failure_is_a_500_and_serving_goes_on() -> None:
    calls = 0

    async def page() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is locked")
        return "<html>ok</html>"

    async with trio.open_nursery() as nursery:
        port = await nursery.start(partial(serve_html, page))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            failed = await client.get("/")
            assert failed.status_code == 500 and "database is locked" in failed.text
            assert (await client.get("/")).text == "<html>ok</html>"
        nursery.cancel_scope.cancel()
