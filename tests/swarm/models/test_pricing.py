"""Price lookup: exact names, dated snapshots, overrides; unknown is None."""

from __future__ import annotations

import pytest

from swarm.models.pricing import DEFAULT_PRICES, Price, PriceTable


def test_known_models_and_their_snapshots_are_priced() -> None:
    table = PriceTable()
    assert table.cost("claude-opus-4-5", 1_000_000, 0) == 5.0
    assert table.cost("claude-opus-4-5-20251101", 0, 1_000_000) == 25.0
    assert table.cost("gpt-4o-2024-08-06", 1_000_000, 1_000_000) == 12.5
    assert table.cost("claude-3-5-haiku-latest", 1_000_000, 0) == 0.8


def test_the_longest_family_wins_and_other_models_are_not_guessed() -> None:
    table = PriceTable()
    assert table.price_of("gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["gpt-4o-mini"]
    assert table.price_of("gpt-4.1-nano") == Price(0.1, 0.4)
    assert table.price_of("o3-pro") is None  # not o3's price: another model
    assert table.price_of("gpt-4o-audio-preview") is None
    assert table.cost("qwen2.5-coder:1.5b", 10, 10) is None


def test_overrides_add_and_replace_prices() -> None:
    table = PriceTable().with_overrides({"glm-4.6": Price(0.6, 2.2), "gpt-4.1": Price(1.0, 4.0)})
    assert table.cost("glm-4.6", 1_000_000, 1_000_000) == pytest.approx(2.8)
    assert table.cost("gpt-4.1", 1_000_000, 0) == 1.0
    assert PriceTable().cost("gpt-4.1", 1_000_000, 0) == 2.0  # the default table is untouched
