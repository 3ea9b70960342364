from shop import Cart, Money


def test_subtotal(catalog) -> None:
    cart = Cart(catalog)
    cart.add("PEN", 3)
    cart.add("MUG")
    assert cart.subtotal() == Money.parse("14.50")


def test_coupon_discount(catalog) -> None:
    cart = Cart(catalog)
    cart.add("BAG", 2)
    cart.apply_coupon("SAVE10")
    assert cart.total() == Money.parse("27.00")


def test_bulk_break_above_threshold(catalog) -> None:
    cart = Cart(catalog)
    cart.add("PEN", 12)
    assert cart.total() == Money.parse("22.80")
