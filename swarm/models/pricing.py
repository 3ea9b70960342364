"""Prices of known models and the cost of a call.

Prices are USD per million tokens, list prices as published by the vendors
(checked 2025-11). They change: override or extend them in `swarm.toml`
(`[prices."model"] input = 3.0, output = 15.0`). A model that is not in the
table costs None, never 0, so an unpriced run is visible as such.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input + output_tokens * self.output) / 1_000_000


DEFAULT_PRICES: Mapping[str, Price] = MappingProxyType(
    {
        # Anthropic
        "claude-opus-4-5": Price(5.0, 25.0),
        "claude-opus-4-1": Price(15.0, 75.0),
        "claude-opus-4-0": Price(15.0, 75.0),
        "claude-opus-4": Price(15.0, 75.0),
        "claude-sonnet-4-5": Price(3.0, 15.0),
        "claude-sonnet-4-0": Price(3.0, 15.0),
        "claude-sonnet-4": Price(3.0, 15.0),
        "claude-3-7-sonnet": Price(3.0, 15.0),
        "claude-haiku-4-5": Price(1.0, 5.0),
        "claude-3-5-haiku": Price(0.8, 4.0),
        # OpenAI
        "gpt-5": Price(1.25, 10.0),
        "gpt-5-mini": Price(0.25, 2.0),
        "gpt-5-nano": Price(0.05, 0.4),
        "gpt-4.1": Price(2.0, 8.0),
        "gpt-4.1-mini": Price(0.4, 1.6),
        "gpt-4.1-nano": Price(0.1, 0.4),
        "gpt-4o": Price(2.5, 10.0),
        "gpt-4o-mini": Price(0.15, 0.6),
        "o3": Price(2.0, 8.0),
        "o4-mini": Price(1.1, 4.4),
    }
)

# A dated or "latest" snapshot costs what its family costs
# (claude-sonnet-4-5-20250929, gpt-4o-2024-08-06, claude-3-5-haiku-latest);
# anything else after the name (o3-pro, gpt-4o-audio) is another model.
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest)")


@dataclass(frozen=True, slots=True)
class PriceTable:
    prices: Mapping[str, Price] = field(default_factory=lambda: DEFAULT_PRICES)

    def price_of(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        for name in sorted(self.prices, key=len, reverse=True):
            if model.startswith(name) and _SNAPSHOT_SUFFIX.fullmatch(model[len(name) :]):
                return self.prices[name]
        return None

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        price = self.price_of(model)
        return None if price is None else price.cost(input_tokens, output_tokens)

    def with_overrides(self, overrides: Mapping[str, Price]) -> PriceTable:
        return PriceTable(MappingProxyType({**self.prices, **overrides}))
