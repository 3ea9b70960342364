"""Money as integer cents, so sums never drift."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Money:
    """An amount of money in cents."""

    cents: int

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse "12.34" or "$12.34" into Money."""
        cleaned = text.strip().lstrip("$")
        whole, _, frac = cleaned.partition(".")
        frac = (frac + "00")[:2]
        sign = -1 if whole.startswith("-") else 1
        return cls(sign * (abs(int(whole or "0")) * 100 + int(frac)))

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)

    def times(self, quantity: int) -> Money:
        return Money(self.cents * quantity)

    def percent(self, pct: int) -> Money:
        """`pct` percent of this amount, rounded half up to the cent."""
        return Money((self.cents * pct + 50) // 100)

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        return f"{sign}${abs(self.cents) // 100}.{abs(self.cents) % 100:02d}"


ZERO = Money(0)
