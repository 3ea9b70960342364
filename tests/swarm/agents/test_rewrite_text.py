"""unwrap_container on real tree-sitter scoping of Python and Rust text."""

from __future__ import annotations

from symbols.scope import scope_source
from swarm.agents.rewrite_text import unwrap_container

SHOP = b'''class BulkDiscount:
    """Money off above a quantity."""

    def applies_to(self, quantity: int) -> bool:
        return quantity > self.min_quantity


class Outer:
    class Inner:
        def go(self) -> int:
            return 1
'''
LEDGER = b'''impl Ledger {
    /// The balance.
    pub fn balance(&self, id: u32) -> i64 {
        0
    }
}
'''


def symbol(path: str, source: bytes, qualname: str):  # noqa: ANN201 - a Symbol
    return next(s for s in scope_source(path, source).symbols if s.qualname == qualname)


APPLIES_TO = symbol("shop/discounts.py", SHOP, "BulkDiscount.applies_to")
FIXED = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"


def indented(text: str) -> str:
    return "".join("    " + line if line.strip() else line for line in text.splitlines(keepends=True))


def test_a_method_wrapped_in_its_class_is_unwrapped() -> None:
    wrapped = "class BulkDiscount:\n" + indented(FIXED)
    assert unwrap_container(wrapped, APPLIES_TO) == FIXED


def test_the_wrapper_may_keep_a_docstring_and_decorators_stay_with_the_method() -> None:
    method = "@property\ndef applies_to(self) -> bool:\n    return True\n"
    wrapped = 'class BulkDiscount:\n    """Money off."""\n\n' + indented(method)
    assert unwrap_container(wrapped, APPLIES_TO) == method


def test_a_nested_method_wrapped_in_its_innermost_class_only() -> None:
    go = symbol("shop/discounts.py", SHOP, "Outer.Inner.go")
    body = "def go(self) -> int:\n    return 2\n"
    assert unwrap_container("class Inner:\n" + indented(body), go) == body
    assert unwrap_container("class Outer:\n    class Inner:\n" + indented(indented(body)), go).startswith("class Outer")


def test_a_rust_method_wrapped_in_its_impl_block_is_unwrapped() -> None:
    balance = symbol("src/ledger.rs", LEDGER, "Ledger::balance")
    method = "/// The balance.\npub fn balance(&self, id: u32) -> i64 {\n    42\n}\n"
    assert unwrap_container("impl Ledger {\n" + indented(method) + "}\n", balance) == method


def test_the_whole_class_re_sent_around_the_method_gives_the_method() -> None:
    other = "def __init__(self, min_quantity: int) -> None:\n    self.min_quantity = min_quantity\n"
    wrapped = "class BulkDiscount:\n" + indented(other) + "\n" + indented(FIXED) + "\n" + indented("def more(self):\n    pass\n")
    assert unwrap_container(wrapped, APPLIES_TO) == FIXED


def test_text_that_is_not_one_wrapper_of_the_symbol_stays_as_it_is() -> None:
    cases = [
        FIXED,                                                             # the plain method
        "class BulkDiscount:\n" + indented(FIXED) + indented(FIXED),      # the method twice
        "class Cart:\n" + indented(FIXED.replace("applies_to", "total")),  # another method
        "class BulkDiscount:\n" + indented(FIXED) + "\nX = 1\ndef f():\n    pass\n",  # more at the top level
        "class BulkDiscount:\n    def applies_to(self:\n",                 # does not parse
    ]
    for text in cases:
        assert unwrap_container(text, APPLIES_TO) == text
