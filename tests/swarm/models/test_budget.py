"""Budgets: each limit, the order they are checked in, wall time, uncosted calls."""

from __future__ import annotations

import pytest

from swarm.models.budget import Budget, Spend, SpendTracker, exceeded_limit
from swarm.models.errors import BudgetExceeded
from swarm.protocols import Usage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_unlimited_budget_never_stops() -> None:
    tracker = SpendTracker(Budget())
    for _ in range(50):
        tracker.add(Usage(10_000, 10_000, 1.0))
    tracker.check()
    assert tracker.spend.steps == 50 and tracker.spend.cost_usd == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("budget", "limit", "hint"),
    [
        (Budget(tokens=1000), "tokens", "SWARM_BUDGET_TOKENS"),
        (Budget(cost_usd=0.05), "cost_usd", "SWARM_BUDGET_COST"),
        (Budget(steps=2), "steps", "SWARM_BUDGET_STEPS"),
    ],
)
def test_each_limit_raises_with_its_name_and_how_to_raise_it(budget: Budget, limit: str, hint: str) -> None:
    tracker = SpendTracker(budget)
    tracker.add(Usage(400, 100, 0.02))
    tracker.check()
    tracker.add(Usage(400, 100, 0.03))
    with pytest.raises(BudgetExceeded, match=hint) as caught:
        tracker.check()
    assert caught.value.limit == limit and caught.value.used >= caught.value.allowed


def test_wall_time_counts_from_the_tracker_start() -> None:
    clock = Clock()
    tracker = SpendTracker(Budget(wall_s=60), clock=clock)
    clock.now += 59.5
    tracker.check()
    clock.now += 1
    with pytest.raises(BudgetExceeded, match="budget exhausted: wall_s used 60.5 of 60") as caught:
        tracker.check()
    assert caught.value.limit == "wall_s"


def test_unpriced_calls_are_counted_apart() -> None:
    tracker = SpendTracker(Budget(cost_usd=1.0))
    tracker.add(Usage(1000, 100, None))
    tracker.add(Usage(1000, 100, 0.5))
    spend = tracker.spend
    assert (spend.cost_usd, spend.uncosted_steps, spend.tokens) == (0.5, 1, 2200)


def test_the_first_limit_reached_is_reported() -> None:
    assert exceeded_limit(Budget(steps=1, tokens=1), Spend(steps=1, input_tokens=5)) == ("steps", 1, 1)
    assert exceeded_limit(Budget(steps=2, tokens=1), Spend(steps=1, input_tokens=5)) == ("tokens", 5, 1)
    assert exceeded_limit(Budget(steps=2), Spend(steps=1)) is None


def test_a_shared_tracker_stops_a_conversation_at_its_token_limit(tmp_path) -> None:
    import trio

    from swarm.config import ModelSettings
    from swarm.models.chat import ChatModel
    from swarm.models.scripted import build
    from swarm.protocols import ChatMessage

    script = tmp_path / "s.toml"
    script.write_text('[[reply]]\ntext = "more"\nrepeat = true\nusage = { input_tokens = 300, output_tokens = 50 }\n')
    tracker = SpendTracker(Budget(tokens=1000))

    async def converse() -> int:
        model = ChatModel(build(ModelSettings(provider="scripted", model=str(script)), None), role="coordinator",
                          tracker=tracker)
        turns = 0
        with pytest.raises(BudgetExceeded, match="tokens used 1050 of 1000"):
            while True:
                await model.complete([ChatMessage("user", "go on")])
                turns += 1
        return turns

    assert trio.run(converse) == 3 and tracker.spend.steps == 3
