"""Discounts a cart can apply: coupons and quantity breaks."""

from __future__ import annotations

from typing import Protocol

from shop.money import ZERO, Money


class Discount(Protocol):
    def amount_off(self, unit_price: Money, quantity: int) -> Money:
        """How much to take off a line of `quantity` items at `unit_price`."""
        ...


class PercentOff:
    """A coupon: a percentage off every line."""

    def __init__(self, pct: int) -> None:
        if not 0 < pct <= 100:
            raise ValueError(f"percentage must be in 1..100, got {pct}")
        self.pct = pct

    def amount_off(self, unit_price: Money, quantity: int) -> Money:
        return unit_price.times(quantity).percent(self.pct)


class BulkDiscount:
    """A quantity break: buy at least `min_quantity` of one product, get `pct` off."""

    def __init__(self, min_quantity: int, pct: int) -> None:
        self.min_quantity = min_quantity
        self.pct = pct

    def applies_to(self, quantity: int) -> bool:
        return quantity > self.min_quantity

    def amount_off(self, unit_price: Money, quantity: int) -> Money:
        if not self.applies_to(quantity):
            return ZERO
        return unit_price.times(quantity).percent(self.pct)


def parse_coupon(code: str) -> PercentOff:
    """Turn a coupon code such as "SAVE15" into the discount it grants."""
    code = code.strip().upper()
    if not code.startswith("SAVE") or not code[4:].isdigit():
        raise ValueError(f"unknown coupon {code!r}")
    return PercentOff(int(code[4:]))
