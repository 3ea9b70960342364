"""swarm.patch_edits: a run's change carried onto the user's current text."""

from __future__ import annotations

import pytest

from lsp.backend import LineEdit
from swarm.patch_edits import StaleText, file_edits

BASE = '''import os


class Discount:
    def applies_to(self, quantity: int) -> bool:
        return quantity > self.min_quantity

    def amount(self) -> int:
        return 5


def helper() -> int:
    return 1
'''

NEW = BASE.replace("quantity > self.min_quantity", "quantity >= self.min_quantity")


def apply(text: str, edits: tuple[LineEdit, ...]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: e.first_line, reverse=True):
        lines[edit.first_line - 1:edit.last_line] = edit.text.splitlines(keepends=True)
    return "".join(lines)


def test_a_method_change_is_one_whole_symbol_replacement() -> None:
    edits = file_edits("shop/d.py", BASE, NEW, BASE)
    assert edits == (LineEdit(5, 6, "    def applies_to(self, quantity: int) -> bool:\n"
                                    "        return quantity >= self.min_quantity\n"),)
    assert apply(BASE, edits) == NEW


def test_the_symbol_is_found_where_the_user_moved_it() -> None:
    current = "# a comment the user added\n\n" + BASE.replace("def helper() -> int:\n    return 1\n",
                                                            "def helper() -> int:\n    return 2\n")
    edits = file_edits("shop/d.py", BASE, NEW, current)
    assert [(e.first_line, e.last_line) for e in edits] == [(7, 8)]
    assert apply(current, edits) == "# a comment the user added\n\n" + NEW.replace("return 1\n", "return 2\n")


def test_a_symbol_the_user_edited_meanwhile_is_refused() -> None:
    current = BASE.replace("quantity > self.min_quantity", "quantity > self.min_quantity + 0")
    with pytest.raises(StaleText, match=r"you edited shop/d.py::Discount.applies_to"):
        file_edits("shop/d.py", BASE, NEW, current)


def test_a_symbol_the_user_deleted_is_refused() -> None:
    current = BASE.replace("    def applies_to(self, quantity: int) -> bool:\n        return quantity > self.min_quantity\n\n", "")
    with pytest.raises(StaleText, match="no longer in your text"):
        file_edits("shop/d.py", BASE, NEW, current)


def test_module_level_changes_are_carried_as_lines_with_context() -> None:
    new = BASE.replace("import os\n", "import os\nimport sys\n")
    current = BASE + "\n\nEXTRA = 1\n"
    edits = file_edits("shop/d.py", BASE, new, current)
    assert edits == (LineEdit(2, 1, "import sys\n"),)
    assert apply(current, edits) == new + "\n\nEXTRA = 1\n"


def test_module_level_lines_the_user_changed_are_refused() -> None:
    new = BASE.replace("import os\n", "import os\nimport sys\n")
    current = BASE.replace("import os\n", "import os.path\n")
    with pytest.raises(StaleText, match="around line"):
        file_edits("shop/d.py", BASE, new, current)


def test_a_new_method_is_inserted_without_touching_its_neighbours() -> None:
    new = BASE.replace("    def amount(self) -> int:\n        return 5\n",
                       "    def amount(self) -> int:\n        return 5\n\n    def extra(self) -> int:\n        return 6\n")
    edits = file_edits("shop/d.py", BASE, new, BASE)
    assert len(edits) == 1 and edits[0].last_line == edits[0].first_line - 1   # a pure insertion
    assert apply(BASE, edits) == new
    # ... which lands even when the user edited the methods around it.
    current = BASE.replace("return 5\n", "return 50\n")
    assert apply(current, file_edits("shop/d.py", BASE, new, current)) == new.replace("return 5\n", "return 50\n")


def test_several_symbols_and_files_without_symbols() -> None:
    new = NEW.replace("return 1\n", "return 3\n")
    edits = file_edits("shop/d.py", BASE, new, BASE)
    assert len(edits) == 2 and apply(BASE, edits) == new
    text = "a = 1\nb = 2\nc = 3\n"
    assert apply(text, file_edits("notes.txt", text, "a = 1\nb = 20\nc = 3\n", text)) == "a = 1\nb = 20\nc = 3\n"


def test_no_change_no_edits() -> None:
    assert file_edits("shop/d.py", BASE, BASE, BASE + "# more\n") == ()


def test_appending_at_the_end_of_the_file() -> None:
    new = BASE + "\n\ndef more() -> None:\n    pass\n"
    edits = file_edits("shop/d.py", BASE, new, BASE)
    assert apply(BASE, edits) == new
