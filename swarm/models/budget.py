"""The run's budget (steps, tokens, cost, wall time) and what has been spent.

Callers check before they call (`SpendTracker.check`); every `ChatModel`
sharing a tracker checks before each call and adds what the call cost.
Calls already in flight when a limit is crossed finish and are counted, so
a run may overshoot by the calls it had in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from swarm.models.errors import BudgetExceeded
from swarm.protocols import Usage


@dataclass(frozen=True, slots=True)
class Budget:
    """Limits of one run; None means unlimited. A step is one `complete` call
    (its repair round included)."""

    steps: int | None = None
    tokens: int | None = None
    cost_usd: float | None = None
    wall_s: float | None = None


@dataclass(frozen=True, slots=True)
class Spend:
    """What a run has used so far. `uncosted_steps` counts calls to models
    without a price: their cost is unknown and not in `cost_usd`."""

    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    uncosted_steps: int = 0
    wall_s: float = 0.0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


# Which environment variable / TOML key raises each limit, for the error.
_HOW_TO_RAISE = {
    "steps": "[budget] steps or SWARM_BUDGET_STEPS",
    "tokens": "[budget] tokens or SWARM_BUDGET_TOKENS",
    "cost_usd": "[budget] cost_usd or SWARM_BUDGET_COST",
    "wall_s": "[budget] wall_s or SWARM_BUDGET_WALL",
}


def exceeded_limit(budget: Budget, spend: Spend) -> tuple[str, float, float] | None:
    """The first limit that `spend` has reached: (name, used, allowed)."""
    checks: tuple[tuple[str, float, float | None], ...] = (
        ("steps", spend.steps, budget.steps),
        ("tokens", spend.tokens, budget.tokens),
        ("cost_usd", spend.cost_usd, budget.cost_usd),
        ("wall_s", spend.wall_s, budget.wall_s),
    )
    for name, used, allowed in checks:
        if allowed is not None and used >= allowed:
            return name, used, allowed
    return None


class SpendTracker:
    """Accumulates the spend of one run against its budget. Not thread-safe;
    trio tasks share it safely because updates never await."""

    def __init__(self, budget: Budget, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = budget
        self._clock = clock
        self._started = clock()
        self._spend = Spend()

    @property
    def spend(self) -> Spend:
        s = self._spend
        return Spend(
            s.steps, s.input_tokens, s.output_tokens, s.cost_usd, s.uncosted_steps,
            self._clock() - self._started,
        )

    def check(self) -> None:
        """Raise `BudgetExceeded` if any limit is already reached."""
        hit = exceeded_limit(self.budget, self.spend)
        if hit is None:
            return
        name, used, allowed = hit
        raise BudgetExceeded(
            f"budget exhausted: {name} used {_fmt(used)} of {_fmt(allowed)}; "
            f"raise {_HOW_TO_RAISE[name]} to continue",
            limit=name,
            used=used,
            allowed=allowed,
        )

    def add(self, usage: Usage) -> None:
        """Count one step and its tokens and cost."""
        s = self._spend
        self._spend = Spend(
            steps=s.steps + 1,
            input_tokens=s.input_tokens + usage.input_tokens,
            output_tokens=s.output_tokens + usage.output_tokens,
            cost_usd=s.cost_usd + (usage.cost_usd or 0.0),
            uncosted_steps=s.uncosted_steps + (usage.cost_usd is None),
        )


def _fmt(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
