"""The human policy: a real rich Console recording what it drew, injected
input, and one real pseudo-terminal for the default terminal read."""

from __future__ import annotations

import io
import os
import pty
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from rich.console import Console

from editor_harness.session import open_session
from editor_harness.testrun import Outcome
from swarm.config import parse_config
from swarm.proxy import ProxyError, ProxyQuit, make_proxy
from swarm.proxy.human import HumanProxy
from tests.swarm.proxy.evidence import (
    APPLIES_TO,
    ASSERT_MESSAGE,
    BELOW,
    FAILING,
    diagnostic,
    hand_built,
    lines,
    passing_report,
    request,
    run,
)

pytestmark = pytest.mark.anyio

ALWAYS = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= 0\n"


def console() -> Console:
    return Console(file=io.StringIO(), record=True, width=140, color_system="truecolor")


async def test_approve_after_seeing_the_evidence() -> None:
    screen = console()
    before = run((FAILING, Outcome.FAILED, ASSERT_MESSAGE))
    after = run((FAILING, Outcome.PASSED))
    proxy = HumanProxy(screen, lines("a"))
    verdict = await proxy.decide(request(passing_report(), reproduction_before=before, reproduction_after=after))
    assert (verdict.approved, verdict.reason, verdict.policy) == (True, "approved at the terminal", "human")
    text = screen.export_text(clear=False)
    assert f"Proposal p1: rewrite of {APPLIES_TO}" in text
    assert "BulkDiscount does not apply at exactly min_quantity" in text
    assert "+        return quantity >= self.min_quantity" in text
    assert "│ syntax      │ passed │ 0.00s │ parses; rewrite of BulkDiscount.applies_to accepted" in text
    assert "│ tests       │ passed │ 0.52s │ 2 passed" in text
    assert f"│ {FAILING} │ failed │ passed │" in text
    assert "The automatic rules would approve:" in text
    assert "[a]pprove / [r]eject / [d]iff again / [q]uit: a" in text
    # The diff is syntax-highlighted: an added line in its own colour.
    html = screen.export_html()
    added = re.search(r'<span class="(r\d+)">\+ +return quantity &gt;= self.min_quantity', html)
    removed = re.search(r'<span class="(r\d+)">- +return quantity &gt; self.min_quantity', html)
    assert added and removed and added.group(1) != removed.group(1)


async def test_reject_asks_for_a_reason_until_given() -> None:
    screen = console()
    proxy = HumanProxy(screen, lines("R", "  ", "The threshold should come from the catalog."))
    verdict = await proxy.decide(request(passing_report(), attempt=3))
    assert not verdict.approved and verdict.reason == "The threshold should come from the catalog."
    text = screen.export_text()
    assert "(attempt 3)" in text
    assert text.count("Why reject it? (the agent sees this):") == 2
    assert "A rejection needs a reason" in text


async def test_diff_again_shows_the_whole_diff() -> None:
    diff = "".join(f"+line {n}\n" for n in range(200))
    screen = console()
    verdict = await HumanProxy(screen, lines("d", "approve")).decide(request(passing_report(), diff=diff))
    assert verdict.approved
    text = screen.export_text()
    assert "… 120 more diff lines: answer d to see them all" in text
    first, _, second = text.partition("[a]pprove / [r]eject / [d]iff again / [q]uit: d")
    assert "+line 199" not in first and "+line 199" in second


async def test_unknown_answers_ask_again() -> None:
    screen = console()
    verdict = await HumanProxy(screen, lines("yes", "a")).decide(request(passing_report()))
    assert verdict.approved and "Please answer a, r, d or q (you typed 'yes')." in screen.export_text()


async def test_quit_and_end_of_input_cancel_the_run() -> None:
    with pytest.raises(ProxyQuit, match="resume it with `swarm run --resume 20261112-153012-a1b2c3`"):
        await HumanProxy(console(), lines("q")).decide(request(passing_report()))
    with pytest.raises(ProxyQuit, match="the terminal closed"):
        await HumanProxy(console(), lines()).decide(request(passing_report()))


async def test_async_input_and_a_failing_proposal() -> None:
    report = hand_built(diagnostics=("failed", "1 new error(s)"),
                        introduced=(diagnostic("error", 'Cannot access attribute "min_quantityy"'),),
                        tests=("failed", "1 failed"), test_run=run((FAILING, Outcome.FAILED, ASSERT_MESSAGE)))
    screen = console()
    answers = iter(["r", "new error"])

    async def reader() -> str:
        await trio.sleep(0)
        return next(answers)

    verdict = await HumanProxy(screen, reader).decide(request(report, final=True, symbol_id=""))
    assert not verdict.approved and verdict.reason == "new error"
    text = screen.export_text()
    assert "Final acceptance of run 20261112-153012-a1b2c3: the whole patch" in text
    assert '│             │ + error │       │ shop/discounts.py:36 Cannot access attribute "min_quantityy" │' in text
    assert "The automatic rules would reject:" in text and "✗ [diagnostics] 1 new error(s)" in text
    assert "Reproduction: no reproduction test for this proposal" in text


async def test_a_real_regression_is_marked_in_the_failing_tests(python_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    async with open_session(python_repo, servers=False, test_timeout=120) as session:
        await session.pipeline.baseline([FAILING, BELOW])
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, ALWAYS, 1)
    assert report.regressions == (BELOW,)
    screen = console()
    verdict = await HumanProxy(screen, lines("r", "breaks the lower bound")).decide(request(report))
    assert not verdict.approved
    text = screen.export_text()
    assert f"│ {BELOW} │ failed  │ passed (regression) │ assert not True" in text


def test_without_a_terminal_it_says_what_to_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\n"))
    with pytest.raises(ProxyError, match="^the human proxy needs a terminal; use --proxy auto or llm$"):
        HumanProxy(console())
    with pytest.raises(ProxyError, match="needs a terminal"):
        make_proxy("human", config=parse_config({}, env={}), console=console())


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """stdin on a real pseudo-terminal; yields the master end to type into."""
    master, follower = pty.openpty()
    stdin = os.fdopen(follower, "r", closefd=True)
    monkeypatch.setattr(sys, "stdin", stdin)
    try:
        yield master
    finally:
        os.close(master)  # an abandoned read sees the terminal hang up and ends
        stdin.close()


async def test_the_real_terminal_read(terminal: int) -> None:
    screen = console()
    proxy = make_proxy("human", config=parse_config({}, env={}), console=screen)
    assert isinstance(proxy, HumanProxy)
    os.write(terminal, b"r\nnot like this\n")
    verdict = await proxy.decide(request(passing_report()))
    assert not verdict.approved and verdict.reason == "not like this"


async def test_a_cancelled_run_stops_waiting_for_the_terminal(terminal: int) -> None:
    proxy = HumanProxy(console())
    with trio.move_on_after(0.5) as scope:
        await proxy.decide(request(passing_report()))
    assert scope.cancelled_caught
