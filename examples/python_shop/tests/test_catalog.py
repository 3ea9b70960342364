import pytest

from shop.catalog import UnknownProduct


def test_find_and_search(catalog) -> None:
    assert catalog.find("MUG").name == "Coffee mug"
    assert [p.sku for p in catalog.search("KITCHEN")] == ["MUG"]


def test_unknown_sku(catalog) -> None:
    with pytest.raises(UnknownProduct):
        catalog.find("NOPE")
