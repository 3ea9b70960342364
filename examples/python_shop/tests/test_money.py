from shop.money import Money


def test_parse_and_format() -> None:
    assert Money.parse("$12.34") == Money(1234)
    assert str(Money.parse("0.5")) == "$0.50"
    assert str(Money(-250)) == "-$2.50"


def test_percent_rounds_half_up() -> None:
    assert Money(250).percent(10) == Money(25)
    assert Money(5).percent(10) == Money(1)
