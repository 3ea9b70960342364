"""A tiny shop: products, money, carts and discounts."""

from shop.cart import Cart, LineItem
from shop.catalog import Catalog, Product
from shop.discounts import BulkDiscount, Discount, PercentOff, parse_coupon
from shop.money import Money

__all__ = [
    "BulkDiscount",
    "Cart",
    "Catalog",
    "Discount",
    "LineItem",
    "Money",
    "PercentOff",
    "Product",
    "parse_coupon",
]
