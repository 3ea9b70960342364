from __future__ import annotations

import os
from pathlib import Path

from editor_harness.diagnostics_dependents import (
    DependentFinder,
    changed_names,
    import_tokens,
    module_tokens,
)

DISCOUNTS = "shop/discounts.py"


def test_import_tokens() -> None:
    text = (
        "import os.path as p  # comment mentions json\n"
        "from shop.money import ZERO, Money\n"
        "from . import cart\n"
        "from .catalog import (\n    Catalog,\n    Product,\n)\n"
        "x = 'import nothing'\n"
    )
    tokens = import_tokens(text)
    assert {"os", "path", "p", "shop", "money", "ZERO", "Money", "cart", "catalog", "Catalog", "Product"} <= tokens
    assert "json" not in tokens and "as" not in tokens and "nothing" not in tokens


def test_module_tokens() -> None:
    assert module_tokens("src/shop/cart.py") == {"shop", "cart"}
    assert module_tokens("shop/__init__.py") == {"shop"}


def test_changed_names(python_repo: Path) -> None:
    text = (python_repo / DISCOUNTS).read_text()
    coupon = text.replace('code = code.strip().upper()', 'code = code.strip().lower()')
    assert changed_names(DISCOUNTS, text, coupon) == {"parse_coupon"}
    # Callers of a method spell the method, not necessarily its class.
    method = text.replace("return quantity > self.min_quantity", "return quantity >= self.min_quantity")
    assert changed_names(DISCOUNTS, text, method) == {"applies_to"}
    # Nobody spells __init__: its users spell the class.
    init = text.replace("self.min_quantity = min_quantity", "self.min_quantity = int(min_quantity)")
    assert changed_names(DISCOUNTS, text, init) == {"BulkDiscount"}
    # The class's own code (its docstring, attributes, bases) is the class's change.
    header = text.replace('"""A quantity break', '"""A bulk quantity break')
    assert changed_names(DISCOUNTS, text, header) == {"BulkDiscount"}
    added = text.replace("    def applies_to(", "    def threshold(self) -> int:\n        return self.min_quantity\n\n    def applies_to(")
    assert changed_names(DISCOUNTS, text, added) == {"threshold"}
    assert changed_names(DISCOUNTS, text, text) == frozenset()
    # A change in the module's own code (imports) may affect any importer.
    assert changed_names(DISCOUNTS, text, text.replace("from typing import Protocol", "import typing")) is None


def test_dependents_import_the_module_and_use_the_name(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    text = (python_repo / DISCOUNTS).read_text()
    changed = text.replace('code = code.strip().upper()', 'code = code.strip().lower()')
    found, qualified = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/cart.py" in found and "shop/__init__.py" in found
    assert DISCOUNTS not in found and "shop/money.py" not in found
    assert qualified == len(found)
    # Direct importers come before the ones that import the package only.
    assert found.index("shop/cart.py") < len(found)
    limited, total = DependentFinder(python_repo, limit=1).dependents(DISCOUNTS, text, changed)
    assert len(limited) == 1 and total == qualified


def test_no_change_no_dependents_and_cache_refresh(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    text = (python_repo / DISCOUNTS).read_text()
    assert finder.dependents(DISCOUNTS, text, text) == ([], 0)
    changed = text.replace("return quantity > self.min_quantity", "return quantity >= self.min_quantity")
    before, _ = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/money.py" not in before
    money = python_repo / "shop" / "money.py"
    money.write_text(money.read_text() + "\nfrom shop.discounts import BulkDiscount\n\nSAMPLE = BulkDiscount(1, 1).applies_to(2)\n")
    stat = money.stat()
    os.utime(money, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after, _ = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/money.py" in after


def test_without_old_text_every_importer_counts(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    text = (python_repo / DISCOUNTS).read_text()
    found, _ = finder.dependents(DISCOUNTS, None, text)
    assert {"shop/cart.py", "shop/__init__.py"} <= set(found)
