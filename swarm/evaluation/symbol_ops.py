"""Whole-symbol operations as data: what the oracle turns a gold patch into,
and how one is applied to a Workspace.

    op = SymbolOp.rewrite("src/a.py::A.f", "def f(self):\n    return 2")
    edit = apply_op(workspace, op)

An op names the agent that owns it (`owner`): the symbol itself for a
rewrite or a delete, the parent for an insert (a new symbol has no agent
yet; its container's owner adds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from editor_harness.edits import Edit
from editor_harness.workspace import Workspace
from symbols.model import split_id


class OpKind(StrEnum):
    REWRITE = "rewrite"
    INSERT = "insert"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class SymbolOp:
    kind: OpKind
    symbol_id: str  # rewrite/delete: the symbol; insert: the id the new symbol gets
    source: str = ""  # rewrite/insert: the whole new text
    parent_id: str | None = None  # insert: where it goes
    after_id: str | None = None  # insert: the sibling it follows (None: after the last one)

    @classmethod
    def rewrite(cls, symbol_id: str, source: str) -> SymbolOp:
        return cls(OpKind.REWRITE, symbol_id, source)

    @classmethod
    def insert(cls, parent_id: str, symbol_id: str, source: str, after_id: str | None) -> SymbolOp:
        return cls(OpKind.INSERT, symbol_id, source, parent_id, after_id)

    @classmethod
    def delete(cls, symbol_id: str) -> SymbolOp:
        return cls(OpKind.DELETE, symbol_id)

    @property
    def path(self) -> str:
        return split_id(self.symbol_id)[0]

    @property
    def owner(self) -> str:
        """The bus address that proposes this op."""
        return self.parent_id if self.kind is OpKind.INSERT and self.parent_id else self.symbol_id

    def describe(self) -> str:
        if self.kind is OpKind.INSERT:
            where = f" after {split_id(self.after_id)[1]}" if self.after_id else ""
            return f"insert {self.symbol_id} into {self.parent_id}{where}"
        return f"{self.kind.value} {self.symbol_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "symbol_id": self.symbol_id,
            "source": self.source,
            "parent_id": self.parent_id,
            "after_id": self.after_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SymbolOp:
        return cls(
            OpKind(data["kind"]),
            data["symbol_id"],
            data.get("source", ""),
            data.get("parent_id"),
            data.get("after_id"),
        )


def apply_op(workspace: Workspace, op: SymbolOp) -> Edit:
    """Apply `op` through the workspace's own checked operations (HarnessError when refused)."""
    if op.kind is OpKind.REWRITE:
        return workspace.rewrite_symbol(op.symbol_id, op.source, None)
    if op.kind is OpKind.INSERT:
        assert op.parent_id is not None
        return workspace.insert_symbol(op.parent_id, op.source, op.after_id)
    return workspace.delete_symbol(op.symbol_id)
