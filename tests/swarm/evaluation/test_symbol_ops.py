from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.edits import EditOp
from editor_harness.errors import SymbolMismatch
from editor_harness.workspace import Workspace
from swarm.evaluation.symbol_ops import OpKind, SymbolOp, apply_op

SOURCE = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "a.py").write_text(SOURCE)
    return Workspace.open(tmp_path)


def test_each_kind_goes_through_the_workspace(workspace: Workspace) -> None:
    rewrite = apply_op(workspace, SymbolOp.rewrite("a.py::A.f", "def f(self):\n    return 10"))
    insert = apply_op(workspace, SymbolOp.insert("a.py::A", "a.py::A.h", "def h(self):\n    return 3", "a.py::A.f"))
    delete = apply_op(workspace, SymbolOp.delete("a.py::A.g"))
    assert [e.op for e in (rewrite, insert, delete)] == [EditOp.REWRITE, EditOp.INSERT, EditOp.DELETE]
    assert workspace.text("a.py") == (
        "class A:\n    def f(self):\n        return 10\n\n    def h(self):\n        return 3\n"
    )


def test_a_refused_op_raises_and_leaves_the_file(workspace: Workspace) -> None:
    with pytest.raises(SymbolMismatch):
        apply_op(workspace, SymbolOp.rewrite("a.py::A.f", "def other(self):\n    return 1"))
    assert workspace.text("a.py") == SOURCE


def test_owner_path_and_json_round_trip() -> None:
    insert = SymbolOp.insert("pkg/a.py::A", "pkg/a.py::A.h", "def h(self): pass", None)
    assert insert.owner == "pkg/a.py::A" and insert.path == "pkg/a.py"
    assert insert.describe() == "insert pkg/a.py::A.h into pkg/a.py::A"
    assert SymbolOp.delete("pkg/a.py::A.f").owner == "pkg/a.py::A.f"
    for op in (insert, SymbolOp.rewrite("x.rs::f", "fn f() {}"), SymbolOp.delete("x.rs::g")):
        assert SymbolOp.from_json(op.to_json()) == op
    assert SymbolOp.from_json(insert.to_json()).kind is OpKind.INSERT
