import pytest

from shop import Catalog, Money, Product


@pytest.fixture
def catalog() -> Catalog:
    cat = Catalog()
    cat.add(Product("PEN", "Gel pen", Money.parse("2.00"), frozenset({"office"})))
    cat.add(Product("MUG", "Coffee mug", Money.parse("8.50"), frozenset({"kitchen"})))
    cat.add(Product("BAG", "Tote bag", Money.parse("15.00")))
    return cat
