from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.workspace import Workspace
from swarm.evaluation.gold_plan import normalized_lines, plan_file, plan_patch, same_text
from swarm.evaluation.patch_images import images
from swarm.evaluation.symbol_ops import OpKind, apply_op
from tests.conftest import git

BASE = '''\
"""A module."""
import os

LIMIT = 3


def helper(x):
    return x + 1


class Shop:
    """A shop."""

    rate = 1

    def price(self, n):
        return n * self.rate

    def old(self):
        return None


def last():
    return helper(1)
'''


def _ops(plan) -> list[str]:
    return [op.describe() for op in plan.ops]


def _replayed(tmp_path: Path, path: str, pre: str, plan) -> str:
    """The ops applied again on a real checkout with a full index: what the oracle does."""
    root = tmp_path / "replay"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(pre)
    workspace = Workspace.open(root)
    for op in plan.ops:
        apply_op(workspace, op)
    return workspace.text(path)


def test_a_changed_function_body_is_one_rewrite(tmp_path: Path) -> None:
    post = BASE.replace("return x + 1", "return x + 2")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["rewrite shop.py::helper"]
    assert plan.ops[0].source == "def helper(x):\n    return x + 2"
    assert plan.expressible and plan.exact
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_a_method_is_rewritten_not_its_class(tmp_path: Path) -> None:
    post = BASE.replace("return n * self.rate", "return n * self.rate * 2")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["rewrite shop.py::Shop.price"]
    assert plan.ops[0].owner == "shop.py::Shop.price"
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_a_class_attribute_makes_the_class_the_innermost_symbol(tmp_path: Path) -> None:
    post = BASE.replace("    rate = 1\n", "    rate = 2\n")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["rewrite shop.py::Shop"]
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_new_removed_and_changed_methods(tmp_path: Path) -> None:
    post = BASE.replace(
        "    def old(self):\n        return None\n",
        "    def fresh(self):\n        return 1\n",
    ).replace("return n * self.rate", "return n + self.rate")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == [
        "delete shop.py::Shop.old",
        "rewrite shop.py::Shop.price",
        "insert shop.py::Shop.fresh into shop.py::Shop after Shop.price",
    ]
    insert = plan.ops[2]
    assert insert.kind is OpKind.INSERT and insert.owner == "shop.py::Shop"
    assert plan.exact
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_module_level_lines_come_first_so_symbols_can_use_them(tmp_path: Path) -> None:
    post = BASE.replace("import os\n", "import os\nimport sys\n").replace("return helper(1)", "return sys.maxsize")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["rewrite shop.py::<module>", "rewrite shop.py::last"]
    # The module's rewrite changes its own lines only: every symbol keeps its old text.
    assert plan.ops[0].source == BASE.replace("import os\n", "import os\nimport sys\n")
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_module_lines_new_and_removed_top_level_symbols(tmp_path: Path) -> None:
    post = (
        BASE.replace("LIMIT = 3\n", "LIMIT = 4\n")
        .replace("\n\ndef last():\n    return helper(1)\n", "\n\ndef first():\n    return 0\n")
    )
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == [
        "delete shop.py::last",
        "rewrite shop.py::<module>",
        "insert shop.py::first into shop.py::<module> after Shop",
    ]
    assert "def first" not in plan.ops[1].source and "LIMIT = 4" in plan.ops[1].source
    assert plan.exact
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_a_new_top_level_function_is_inserted_into_the_module(tmp_path: Path) -> None:
    post = BASE.replace("\n\nclass Shop:", "\n\ndef extra():\n    return 5\n\n\nclass Shop:")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["insert shop.py::extra into shop.py::<module> after helper"]
    assert plan.exact
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_a_new_nested_function_is_part_of_its_function(tmp_path: Path) -> None:
    post = BASE.replace("    return x + 1\n", "    def inner():\n        return 1\n\n    return x + inner()\n")
    plan = plan_file("shop.py", BASE, post)
    assert _ops(plan) == ["rewrite shop.py::helper"]
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_whitespace_only_lines_do_not_make_a_change() -> None:
    post = BASE.replace("    return x + 1\n\n", "    return x + 1\n    \n", 1)
    plan = plan_file("shop.py", BASE, post)
    assert plan.expressible and plan.ops == ()
    assert not plan.exact  # the Workspace writes blank lines empty: no op can make this one
    assert same_text(post, BASE + "\n")
    assert normalized_lines("a  \n\n\n") == ["a"]


def test_rust_functions_and_impl_methods(tmp_path: Path) -> None:
    pre = (
        "pub struct Ledger { total: i64 }\n\n"
        "impl Ledger {\n    pub fn add(&mut self, n: i64) {\n        self.total -= n;\n    }\n}\n\n"
        "pub fn zero() -> i64 {\n    0\n}\n"
    )
    post = pre.replace("self.total -= n;", "self.total += n;").replace(
        "    }\n}\n", "    }\n\n    pub fn get(&self) -> i64 {\n        self.total\n    }\n}\n"
    )
    plan = plan_file("src/lib.rs", pre, post)
    assert _ops(plan) == [
        "rewrite src/lib.rs::Ledger::add",
        "insert src/lib.rs::Ledger::get into src/lib.rs::impl Ledger after Ledger::add",
    ]
    assert _replayed(tmp_path, "src/lib.rs", pre, plan) == post


@pytest.mark.parametrize(
    ("path", "pre", "post", "why"),
    [
        ("README.md", "a\n", "b\n", "not a Python or Rust source file"),
        ("pkg/new.py", None, "x = 1\n", "a new file"),
        ("pkg/gone.py", "x = 1\n", None, "a deleted file"),
    ],
)
def test_changes_that_cannot_be_expressed_say_why(path: str, pre: str | None, post: str | None, why: str) -> None:
    plan = plan_file(path, pre, post)
    assert not plan.expressible and why in plan.problem and plan.ops == ()


def test_an_op_the_workspace_refuses_makes_the_file_inexpressible() -> None:
    # The post-image does not parse: no rewrite of it can be accepted.
    post = BASE.replace("return x + 1", "return x +")
    plan = plan_file("shop.py", BASE, post)
    assert not plan.expressible
    assert "refused" in plan.problem


def test_no_change_no_ops() -> None:
    plan = plan_file("shop.py", BASE, BASE)
    assert plan.ops == () and plan.expressible and plan.exact


def test_plan_patch_over_a_real_git_diff(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "shop.py").write_text(BASE)
    (repo / "NOTES.txt").write_text("notes\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "pkg" / "shop.py").write_text(BASE.replace("return x + 1", "return x - 1"))
    (repo / "NOTES.txt").write_text("more notes\n")
    patch = git(repo, "diff", "--no-color")
    git(repo, "checkout", "-q", ".")

    def read(path: str) -> str | None:
        full = repo / path
        return full.read_text() if full.is_file() else None

    before, after = images(patch, read)
    plan = plan_patch(patch, before.get, after.get)
    assert [op.describe() for op in plan.ops] == ["rewrite pkg/shop.py::helper"]
    assert not plan.expressible
    assert plan.problems == ("NOTES.txt: not a Python or Rust source file: the Workspace edits those only",)
    assert plan.post_images["pkg/shop.py"].count("return x - 1") == 1
    assert [f.to_json()["path"] for f in plan.files] == ["NOTES.txt", "pkg/shop.py"]


def test_an_editor_without_anchored_inserts_or_deletes(tmp_path: Path) -> None:
    post = BASE.replace("    def price(self, n):", "    def first(self):\n        return 0\n\n    def price(self, n):")
    plan = plan_file("shop.py", BASE, post, anchored_inserts=False)
    # It would be appended last: the class's rewrite brings it, in its place.
    assert _ops(plan) == ["rewrite shop.py::Shop"]
    assert plan.exact and _replayed(tmp_path, "shop.py", BASE, plan) == post
    removed = BASE.replace("    def old(self):\n        return None\n", "").replace("return n * self.rate\n\n", "return n * self.rate\n")
    plan = plan_file("shop.py", BASE, removed, deletes=False)
    assert not plan.expressible and "no delete operation" in plan.problem


def test_module_lines_that_use_changed_symbols_go_last(tmp_path: Path) -> None:
    pre = "def debug(on=True):\n    return on\n\n\ndebug(False)\n"
    post = "def debug(on=True, handler=False):\n    return on and handler\n\n\ndebug(False, False)\n"
    plan = plan_file("config.py", pre, post)
    # The call with the new signature must not run before the new signature exists.
    assert _ops(plan) == ["rewrite config.py::debug", "rewrite config.py::<module>"]
    assert _replayed(tmp_path, "config.py", pre, plan) == post


def test_several_new_members_arrive_with_their_class(tmp_path: Path) -> None:
    post = BASE.replace(
        "    def old(self):", "    def a(self):\n        return self.b()\n\n    def b(self):\n        return 1\n\n    def old(self):"
    )
    plan = plan_file("shop.py", BASE, post, anchored_inserts=False, max_inserts=1)
    assert _ops(plan) == ["rewrite shop.py::Shop"]
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post


def test_fold_takes_member_changes_into_the_whole_rewrite(tmp_path: Path) -> None:
    post = BASE.replace("    rate = 1\n", "    rate = 2\n").replace("return n * self.rate", "return n * self.rate + 1")
    assert _ops(plan_file("shop.py", BASE, post)) == ["rewrite shop.py::Shop.price", "rewrite shop.py::Shop"]
    plan = plan_file("shop.py", BASE, post, fold=True)
    assert _ops(plan) == ["rewrite shop.py::Shop"]
    assert _replayed(tmp_path, "shop.py", BASE, plan) == post
