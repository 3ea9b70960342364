"""Products and the catalog they are sold from."""

from __future__ import annotations

from dataclasses import dataclass, field

from shop.money import Money


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Money
    tags: frozenset[str] = field(default_factory=frozenset)


class UnknownProduct(KeyError):
    """Raised when a SKU is not in the catalog."""


class Catalog:
    """Products by SKU."""

    def __init__(self) -> None:
        self._products: dict[str, Product] = {}

    def add(self, product: Product) -> None:
        if product.sku in self._products:
            raise ValueError(f"duplicate SKU {product.sku!r}")
        self._products[product.sku] = product

    def find(self, sku: str) -> Product:
        try:
            return self._products[sku]
        except KeyError:
            raise UnknownProduct(sku) from None

    def search(self, word: str) -> list[Product]:
        """Products whose name or tags contain `word`, case-insensitively."""
        needle = word.lower()
        return [
            p
            for p in self._products.values()
            if needle in p.name.lower() or needle in {t.lower() for t in p.tags}
        ]
