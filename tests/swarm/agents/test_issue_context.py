from __future__ import annotations

from pathlib import Path

from swarm.agents.issue_context import (
    code_blocks,
    definitions_text,
    example_test,
    issue_names,
    reproduction_path,
    unfence,
)
from symbols.index import RepoIndex

ISSUE = """# Totals are off

`Cart.total` ignores the threshold:

```python
cart = Cart(catalog)
cart.add("PEN", 10)
print(cart.total())   # expected $19.00
```

```
Traceback: nothing here
```
"""


def test_code_blocks_keep_their_language() -> None:
    blocks = code_blocks(ISSUE)
    assert [b.language for b in blocks] == ["python", ""]
    assert blocks[0].text.startswith("cart = Cart(catalog)") and blocks[0].text.endswith("# expected $19.00")


def test_issue_names_come_from_code_first_seen_first_without_noise() -> None:
    names = issue_names(ISSUE)
    assert names[:5] == ("cart", "Cart", "catalog", "add", "PEN")
    assert "total" in names and "print" not in names and "Traceback" in names
    assert issue_names("no code at all") == ()


def test_definitions_of_the_named_code_leave_tests_out(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo, use_cache=False, workers=1)
    text = definitions_text(index, issue_names(ISSUE))
    assert "- shop/cart.py::Cart: class Cart" in text
    assert "shop/cart.py::Cart.add" in text and "shop/cart.py::Cart.total" in text
    assert "tests/conftest.py::catalog: def catalog() -> Catalog" in text   # a fixture the test can use
    assert "::test_" not in text                                             # tests themselves are not


def test_example_test_is_the_file_using_most_names(python_repo: Path, rust_repo: Path) -> None:
    index = RepoIndex.build(python_repo, use_cache=False, workers=1)
    path, head = example_test(python_repo, index, ["Cart", "add", "total", "catalog"], "python")
    assert path == "tests/test_cart.py"
    assert "import" in head
    rust_index = RepoIndex.build(rust_repo, use_cache=False, workers=1)
    path, head = example_test(rust_repo, rust_index, ["Ledger", "transfer"], "rust")
    assert path == "tests/transfers.rs" and "use ledger" in head


def test_reproduction_path_is_new_and_collected(tmp_path: Path) -> None:
    assert reproduction_path(tmp_path, "python") == "test_swarm_repro.py"
    (tmp_path / "tests").mkdir()
    assert reproduction_path(tmp_path, "python") == "tests/test_swarm_repro.py"
    (tmp_path / "tests" / "test_swarm_repro.py").write_text("")
    assert reproduction_path(tmp_path, "python") == "tests/test_swarm_repro2.py"
    assert reproduction_path(tmp_path, "rust") == "tests/swarm_repro.rs"


def test_unfence_strips_only_a_wrapping_fence() -> None:
    assert unfence("```python\ndef f():\n    return 1\n```") == "def f():\n    return 1"
    assert unfence("Here is the fix:\n```rust\nfn f() {}\n```\nThis compiles.") == "fn f() {}"
    assert unfence("```\nx = 1\n") == "x = 1"
    assert unfence("def f():\n    return 1\n") == "def f():\n    return 1\n"
    inner = 'def f():\n    """Example:\n    ```\n    f()\n    ```\n    """\n'
    assert unfence(inner) == inner
