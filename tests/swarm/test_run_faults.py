"""Faults in whole runs: malformed tool calls, a proposal for another agent's
symbol, a rejection loop at its bound, a provider that times out, and API
keys that must appear in no database or log."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from swarm.config import parse_config
from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.records import RunStatus
from swarm.run import RunRequest, run_swarm
from tests.swarm.scenario_runs import Events, kinds, open_log, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
AGENT = "shop/discounts.py::BulkDiscount.applies_to"


async def test_malformed_calls_refused_proposals_and_the_revision_bound(python_repo: Path) -> None:
    config = scripted_config("python_faults.toml", swarm={"max_revisions": 2})
    events = Events()
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
        on_event=events,
    )
    assert outcome.status == "gave_up"
    assert outcome.reason == "no different approach: the fix needs a human"
    assert outcome.patch == "" and outcome.patch_path is None
    # The retry pass ran, with the first pass's reason as its lesson.
    assert any("retrying once" in e.text for e in events.of("note"))
    with open_log(python_repo) as log:
        calls = log.model_calls(outcome.run_id)
        malformed = [c for c in calls if c.call.error_kind == "MalformedToolCall"]
        assert len(malformed) == 1 and malformed[0].call.repairs == 1
        messages = log.transcript(outcome.run_id)
        # The proposal for Cart.discount never reached the bus: only applies_to's own proposals did.
        proposals = kinds(messages, MessageKind.EDIT_PROPOSAL)
        assert {p.body["symbol_id"] for p in proposals} == {AGENT}
        # Two rejections (the bound), then the agent stopped and said why.
        assert [a.verdict.value for a in log.approvals(outcome.run_id)] == ["rejected", "rejected"]
        give_up = [m for m in kinds(messages, MessageKind.GIVE_UP) if m.sender == AGENT]
        assert "bound of 2 revisions" in give_up[0].body["reason"]
        assert log.load_run(outcome.run_id).status is RunStatus.GAVE_UP
        # The rejected edits were undone: the worktree holds the base text.
        assert "quantity > self.min_quantity" in (outcome.worktree / "shop/discounts.py").read_text()
        # The first assign came before any reproduction and was refused: one task was sent, not two.
        assert len(kinds(messages, MessageKind.TASK)) == 1


async def _silent_server(ready: trio.Event, port: list[int], task_status: object = None) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen()
    port.append(listener.getsockname()[1])
    ready.set()
    held = []
    try:
        while True:
            connection, _ = await listener.accept()
            held.append(connection)  # read nothing, answer nothing: a provider that hangs
    finally:
        for connection in held:
            connection.close()
        listener.close()


async def test_a_provider_that_times_out_ends_the_run_with_the_reason_and_no_key_is_stored(
    python_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-swarmtest-" + "9f3c1a7e5b2d4c6e8a0b" * 2
    monkeypatch.setenv("SWARM_TEST_API_KEY", secret)
    ready, port = trio.Event(), []
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_silent_server, ready, port)
        await ready.wait()
        config = parse_config(
            {"models": {"provider": "openai-compatible", "model": "hangs", "base_url": f"http://127.0.0.1:{port[0]}/v1",
                        "api_key_env": "SWARM_TEST_API_KEY", "timeout_s": 1.0, "max_attempts": 1}},
            env={"SWARM_TEST_API_KEY": secret},
        )
        outcome = await run_swarm(
            RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text() + f"\nmy key is {secret}\n",
                       config=config),
            proxy=make_proxy("auto", config=config),
        )
        nursery.cancel_scope.cancel()
    assert outcome.status == "gave_up"
    assert "model call failed" in outcome.reason
    with open_log(python_repo) as log:
        failed = [c for c in log.model_calls(outcome.run_id) if not c.call.ok]
        assert len(failed) == 2 and all(c.call.error_kind for c in failed)  # one per pass
    # The key is nowhere on disk: not in the database (WAL included), patches, worktree or logs.
    swarm_dir = python_repo / ".swarm"
    needle = secret.encode()
    for path in swarm_dir.rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path
