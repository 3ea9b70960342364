import pytest

from shop.discounts import BulkDiscount, parse_coupon
from shop.money import Money


def test_coupon_parsing() -> None:
    assert parse_coupon("save15").pct == 15
    with pytest.raises(ValueError):
        parse_coupon("FREE")


def test_bulk_discount_applies_at_threshold() -> None:
    bulk = BulkDiscount(min_quantity=10, pct=5)
    assert bulk.applies_to(10)
    assert bulk.amount_off(Money.parse("2.00"), 10) == Money.parse("1.00")


def test_bulk_discount_not_below_threshold() -> None:
    assert not BulkDiscount(min_quantity=10, pct=5).applies_to(9)
