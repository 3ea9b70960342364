from __future__ import annotations

import pytest
import trio

from lsp.progress import ProgressTracker

pytestmark = pytest.mark.anyio


def _event(token: str, kind: str, **value: object) -> dict[str, object]:
    return {"token": token, "value": {"kind": kind, **value}}


def test_begin_report_end_are_counted_per_title() -> None:
    tracker = ProgressTracker()
    tracker.create("t")
    tracker.handle(_event("t", "begin", title="cargo check", percentage=0))
    tracker.handle(_event("t", "report", message="ledger (lib)", percentage=50))
    assert tracker.is_running("cargo")
    assert "cargo check: ledger (lib) (50%)" in tracker.describe()
    tracker.handle(_event("t", "end"))
    assert not tracker.is_running("cargo")
    assert tracker.begun_count("cargo check") == 1 and tracker.ended_count("cargo check") == 1
    assert tracker.describe() == "no work in progress"
    assert "t" not in tracker.created


def test_malformed_and_unknown_events_are_ignored() -> None:
    tracker = ProgressTracker()
    tracker.handle(None)
    tracker.handle({"token": "x", "value": "partial result"})
    tracker.handle(_event("x", "report", message="never begun"))
    tracker.handle(_event("x", "end"))
    assert not tracker.running and not tracker.ended


def test_reset_ends_everything_running() -> None:
    tracker = ProgressTracker()
    tracker.handle(_event("a", "begin", title="Indexing"))
    tracker.reset()
    assert not tracker.running and tracker.ended_count("Indexing") == 1


async def test_wait_idle_needs_a_quiet_period() -> None:
    tracker = ProgressTracker()
    events: list[str] = []

    async def work() -> None:
        tracker.handle(_event("a", "begin", title="Loading"))
        tracker.handle(_event("a", "end"))
        # A second task right after the first: "idle" must not be seen between them.
        tracker.handle(_event("b", "begin", title="Indexing"))
        await trio.sleep(1)
        events.append("ended")
        tracker.handle(_event("b", "end"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(work)
        await tracker.changed.wait_for(lambda: bool(tracker.running), timeout=30)
        assert await tracker.wait_idle(quiet=0.5, timeout=60)
        events.append("idle")
    assert events == ["ended", "idle"]


async def test_wait_idle_gives_up_after_timeout() -> None:
    tracker = ProgressTracker()
    tracker.handle(_event("a", "begin", title="Forever"))
    assert await tracker.wait_idle(quiet=0.1, timeout=0.3) is False
