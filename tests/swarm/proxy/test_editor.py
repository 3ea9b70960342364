"""The editor policy: prompts through the shell's ask/show coroutines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from editor_harness.testrun import Outcome
from swarm.proxy.editor import ACTIONS, EditorProxy, prompt_text
from tests.swarm.proxy.evidence import APPLIES_TO, BELOW, FAILING, hand_built, passing_report, request, run

pytestmark = pytest.mark.anyio


class Prompts:
    """The shell's side, as an editor would answer: a script of choices."""

    def __init__(self, *choices: str | None) -> None:
        self.choices = list(choices)
        self.asked: list[tuple[str, tuple[str, ...]]] = []
        self.shown: list[Path] = []

    async def ask(self, message: str, actions: Sequence[str]) -> str | None:
        self.asked.append((message, tuple(actions)))
        return self.choices.pop(0)

    async def show(self, path: Path) -> bool:
        self.shown.append(path)
        return True


def proxy(prompts: Prompts, tmp_path: Path) -> EditorProxy:
    return EditorProxy(prompts.ask, prompts.show, diff_dir=tmp_path / "diffs")


async def test_approve(tmp_path: Path) -> None:
    prompts = Prompts("Approve")
    verdict = await proxy(prompts, tmp_path).decide(request(passing_report()))
    assert verdict.approved and verdict.policy == "editor" and verdict.reason
    assert prompts.asked[0][1] == ACTIONS == ("Approve", "Reject", "Show diff")
    assert APPLIES_TO in prompts.asked[0][0]


async def test_show_diff_opens_the_diff_file_then_asks_again(tmp_path: Path) -> None:
    prompts = Prompts("Show diff", "Reject")
    req = request(passing_report())
    verdict = await proxy(prompts, tmp_path).decide(req)
    assert not verdict.approved and "rejected in the editor" in verdict.reason
    assert len(prompts.asked) == 2 and prompts.asked[0] == prompts.asked[1]
    [shown] = prompts.shown
    assert shown.suffix == ".diff" and shown.parent == tmp_path / "diffs"
    assert shown.read_text() == req.diff and req.run_id in shown.name


async def test_a_dismissed_prompt_is_a_rejection_that_says_so(tmp_path: Path) -> None:
    verdict = await proxy(Prompts(None), tmp_path).decide(request(passing_report()))
    assert not verdict.approved and "dismissed" in verdict.reason


def test_the_prompt_carries_checks_and_the_rules_view() -> None:
    failing = hand_built(test_run=run((FAILING, Outcome.PASSED), (BELOW, Outcome.FAILED, "E assert not True")),
                         regressions=(BELOW,))
    text = prompt_text(request(failing, attempt=2, proposal_id="p2"))
    assert "(p2, attempt 2)" in text
    assert "Checks: syntax passed" in text
    assert "Rules: rejected: [tests]" in text and BELOW in text


def test_the_final_prompt_names_the_files_of_the_whole_patch() -> None:
    final = replace(request(passing_report()), final=True, symbol_id="", proposal_id="final-1")
    text = prompt_text(final)
    assert text.startswith(f"swarm run {final.run_id}: accept the whole patch (1 file(s): shop/discounts.py)?")


def test_long_rationales_are_shortened_to_one_bubble() -> None:
    text = prompt_text(request(passing_report(), rationale="word " * 500))
    assert len(text.splitlines()[0]) < 400 and "…" in text
