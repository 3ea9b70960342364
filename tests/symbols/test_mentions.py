"""Mentions found in issue texts: frames, panics, paths, dotted names, code identifiers, messages."""

from __future__ import annotations

from symbols.mentions import MentionKind, find_mentions

TRACEBACK = '''Calling it fails:

```python
from shop import Cart
cart = Cart(catalog)
cart.add("PEN", 10)
```

```
Traceback (most recent call last):
  File "/home/me/.venv/lib/python3.11/site-packages/shop/cart.py", line 40, in add
    line.quantity += quantity
  File "shop/discounts.py", line 37, in applies_to
    return quantity > self.min_quantity
ValueError: quantity must be positive for every line item
```
See also shop/money.py and `shop.discounts.BulkDiscount.amount_off`.
'''


def by_kind(text: str, kind: MentionKind):
    return [m for m in find_mentions(text) if m.kind is kind]


def test_python_frames_with_lines_and_functions_later_ones_weigh_more():
    frames = by_kind(TRACEBACK, MentionKind.FRAME)
    assert [(m.path, m.line, m.name) for m in frames] == [
        ("/home/me/.venv/lib/python3.11/site-packages/shop/cart.py", 40, "add"),
        ("shop/discounts.py", 37, "applies_to"),
    ]
    assert frames[1].weight > frames[0].weight


def test_rust_panic_locations():
    text = "thread 'main' panicked at src/ledger.rs:62:9:\nattempt to subtract with overflow\n"
    old_style = "thread 'main' panicked at 'boom', src/lib.rs:10:5"
    assert [(m.path, m.line) for m in by_kind(text, MentionKind.FRAME)] == [("src/ledger.rs", 62)]
    assert [(m.path, m.line) for m in by_kind(old_style, MentionKind.FRAME)] == [("src/lib.rs", 10)]


def test_paths_not_already_in_frames():
    assert [m.path for m in by_kind(TRACEBACK, MentionKind.PATH)] == ["shop/money.py"]


def test_dotted_names_in_code_weigh_more_than_in_prose():
    dotted = {m.name: m.weight for m in by_kind(TRACEBACK, MentionKind.DOTTED)}
    assert dotted["cart.add"] == 1.0
    assert dotted["shop.discounts.BulkDiscount.amount_off"] == 1.0
    rust = {m.name for m in by_kind("The docs for `Ledger::transfer` say", MentionKind.DOTTED)}
    assert rust == {"Ledger::transfer"}


def test_identifiers_in_code_and_code_like_words_in_prose():
    names = {m.name: m.weight for m in by_kind(TRACEBACK + "\nThe min_quantity check and plain words.", MentionKind.IDENTIFIER)}
    assert names["Cart"] == 1.0 and names["catalog"] == 1.0
    assert names["min_quantity"] == 1.0 or names["min_quantity"] == 0.6
    assert "plain" not in names and "words" not in names
    assert "import" not in names


def test_error_messages_become_literal_pieces():
    messages = [m.text for m in by_kind(TRACEBACK, MentionKind.MESSAGE)]
    assert messages == ["quantity must be positive for every line item"]


def test_plain_prose_mentions_nothing_exact():
    assert find_mentions("The total is wrong when I buy ten pens.") == []
