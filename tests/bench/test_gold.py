"""Gold locations of a patch: changed lines and insertions map to the right symbols."""

from __future__ import annotations

from pathlib import Path

from bench.gold import gold_symbols, parse_patch
from symbols.index import RepoIndex

PATCH = """diff --git a/shop/discounts.py b/shop/discounts.py
--- a/shop/discounts.py
+++ b/shop/discounts.py
@@ -33,7 +33,7 @@ class BulkDiscount:
         self.pct = pct
 
     def applies_to(self, quantity: int) -> bool:
-        return quantity > self.min_quantity
+        return quantity >= self.min_quantity
 
     def amount_off(self, unit_price: Money, quantity: int) -> Money:
         if not self.applies_to(quantity):
"""


def test_parse_patch_old_line_numbers():
    (change,) = parse_patch(PATCH)
    assert change.path == "shop/discounts.py"
    assert change.removed == [36] and change.inserted == [(36, 8)]


def test_changed_line_maps_to_the_innermost_symbol(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    source = (python_repo / "shop/discounts.py").read_text().splitlines()
    assert source[35].strip() == "return quantity > self.min_quantity"
    assert gold_symbols(index, parse_patch(PATCH)) == {"shop/discounts.py::BulkDiscount.applies_to"}


def test_insertions_land_in_the_body_they_extend_or_at_module_level(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    lines = (python_repo / "shop/discounts.py").read_text().splitlines()
    end = index.symbol("shop/discounts.py::parse_coupon").end_line
    appended = f"""--- a/shop/discounts.py
+++ b/shop/discounts.py
@@ -{end},1 +{end},2 @@
 {lines[end - 1]}
+    print("still inside parse_coupon")
"""
    assert gold_symbols(index, parse_patch(appended)) == {"shop/discounts.py::parse_coupon"}
    new_function = f"""--- a/shop/discounts.py
+++ b/shop/discounts.py
@@ -{end},1 +{end},4 @@
 {lines[end - 1]}
+
+def added():
+    pass
"""
    assert gold_symbols(index, parse_patch(new_function)) == {"shop/discounts.py::<module>"}
