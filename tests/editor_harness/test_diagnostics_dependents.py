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


SIGNATURE = ("def parse_coupon(code: str) -> PercentOff:", "def parse_coupon(code: str, strict: bool = False) -> PercentOff:")


def test_changed_names_are_what_users_can_see(python_repo: Path) -> None:
    text = (python_repo / DISCOUNTS).read_text()
    # A new body under the same annotated signature: callers see nothing new.
    body = text.replace("code = code.strip().upper()", "code = code.strip().lower()")
    assert changed_names(DISCOUNTS, text, body) == frozenset()
    assert changed_names(DISCOUNTS, text, text.replace(*SIGNATURE)) == {"parse_coupon"}
    # Comments and layout are no change at all, even around definitions.
    commented = text.replace("class BulkDiscount:", "# quantity breaks\n\n\nclass BulkDiscount:  # see docs")
    assert changed_names(DISCOUNTS, text, commented) == frozenset()
    # Without a declared return type the body is the type callers see.
    unannotated = text.replace("def applies_to(self, quantity: int) -> bool:", "def applies_to(self, quantity: int):")
    more = unannotated.replace("return quantity > self.min_quantity", "return quantity >= self.min_quantity")
    assert changed_names(DISCOUNTS, unannotated, more) == {"applies_to"}
    # Attributes assigned through self shape the class: users spell them or the class.
    init = text.replace("self.min_quantity = min_quantity", "self.min_quantity = int(min_quantity)")
    assert changed_names(DISCOUNTS, text, init) == {"BulkDiscount", "min_quantity", "pct"}
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
    changed = text.replace(*SIGNATURE)
    found, qualified = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/cart.py" in found and "shop/__init__.py" in found
    assert DISCOUNTS not in found and "shop/money.py" not in found
    assert qualified == len(found)
    limited, total = DependentFinder(python_repo, limit=1).dependents(DISCOUNTS, text, changed)
    assert len(limited) == 1 and total == qualified


def test_direct_importers_come_first(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    old = "def thing() -> int:\n    return 1\n"
    (tmp_path / "pkg" / "mod.py").write_text(old)
    (tmp_path / "a.py").write_text("from pkg import mod\n\nmod.thing()\n")
    (tmp_path / "b.py").write_text("from pkg.mod import thing\n\nthing()\n")
    (tmp_path / "c.py").write_text("import os\n\nthing = 1\n")
    found, _ = DependentFinder(tmp_path).dependents("pkg/mod.py", old, "def thing(x: int) -> int:\n    return x\n")
    assert sorted(found) == ["a.py", "b.py"]  # c.py spells the name but imports nothing of pkg
    package_only = tmp_path / "d.py"
    package_only.write_text("import pkg\n\npkg.mod.thing()\n")
    found, _ = DependentFinder(tmp_path).dependents("pkg/mod.py", old, "def thing(x: int) -> int:\n    return x\n")
    assert found[-1] == "d.py" and set(found) == {"a.py", "b.py", "d.py"}


def test_no_visible_change_no_dependents_and_cache_refresh(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    text = (python_repo / DISCOUNTS).read_text()
    assert finder.dependents(DISCOUNTS, text, text) == ([], 0)
    body = text.replace("code = code.strip().upper()", "code = code.strip().lower()")
    assert finder.dependents(DISCOUNTS, text, body) == ([], 0)
    changed = text.replace(*SIGNATURE)
    before, _ = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/money.py" not in before
    money = python_repo / "shop" / "money.py"
    money.write_text(money.read_text() + "\nfrom shop.discounts import parse_coupon\n\nSAMPLE = parse_coupon('SAVE5')\n")
    stat = money.stat()
    os.utime(money, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after, _ = finder.dependents(DISCOUNTS, text, changed)
    assert "shop/money.py" in after


def test_without_old_text_every_importer_counts(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    text = (python_repo / DISCOUNTS).read_text()
    found, _ = finder.dependents(DISCOUNTS, None, text)
    assert {"shop/cart.py", "shop/__init__.py"} <= set(found)


def test_deleted_and_unparsable_files_are_skipped(python_repo: Path) -> None:
    finder = DependentFinder(python_repo)
    assert "shop/cart.py" in finder.files()
    (python_repo / "shop" / "cart.py").unlink()
    text = (python_repo / DISCOUNTS).read_text()
    found, _ = finder.dependents(DISCOUNTS, text, text.replace(*SIGNATURE))
    assert "shop/cart.py" not in found and found
    # A file the scoper cannot place has no names to compare: all importers count.
    assert changed_names("notes.txt", "a", "b") is None
