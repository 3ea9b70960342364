"""The shopping cart."""

from __future__ import annotations

from dataclasses import dataclass

from shop.catalog import Catalog, Product
from shop.discounts import BulkDiscount, Discount, parse_coupon
from shop.money import ZERO, Money

# Store-wide quantity break: 10 or more of one product, 5% off that line.
DEFAULT_BULK = BulkDiscount(min_quantity=10, pct=5)


@dataclass
class LineItem:
    product: Product
    quantity: int

    def gross(self) -> Money:
        return self.product.price.times(self.quantity)


class Cart:
    """Line items, one per product, plus an optional coupon."""

    def __init__(self, catalog: Catalog, bulk: Discount = DEFAULT_BULK) -> None:
        self.catalog = catalog
        self.bulk = bulk
        self.lines: dict[str, LineItem] = {}
        self.coupon: Discount | None = None

    def add(self, sku: str, quantity: int = 1) -> LineItem:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        product = self.catalog.find(sku)
        line = self.lines.get(sku)
        if line is None:
            line = self.lines[sku] = LineItem(product, 0)
        line.quantity += quantity
        return line

    def apply_coupon(self, code: str) -> None:
        self.coupon = parse_coupon(code)

    def subtotal(self) -> Money:
        total = ZERO
        for line in self.lines.values():
            total = total + line.gross()
        return total

    def discount(self) -> Money:
        off = ZERO
        for line in self.lines.values():
            price, qty = line.product.price, line.quantity
            off = off + self.bulk.amount_off(price, qty)
            if self.coupon is not None:
                off = off + self.coupon.amount_off(price, qty)
        return off

    def total(self) -> Money:
        return self.subtotal() - self.discount()
