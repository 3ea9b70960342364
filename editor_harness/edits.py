"""The record of one change a Workspace made: enough to persist, show and replay it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class EditOp(StrEnum):
    REWRITE = "rewrite"
    INSERT = "insert"
    DELETE = "delete"
    RENAME = "rename"
    UNDO = "undo"


@dataclass(frozen=True, slots=True)
class Edit:
    """One applied change to one symbol of one file.

    `before`/`after` are the symbol's whole text (decorators, attributes and
    doc comments included) before and after: empty `before` for an insert,
    empty `after` for a delete. `symbol_id` is the id after the edit (the new
    id of a renamed or inserted symbol; the deleted id for a delete), and
    `previous_id` the id before a rename. `parent_id`/`after_id` say where an
    insert went. `base_version`/`new_version` are the file's versions, and
    `seq` orders edits within a workspace; an undo names the edit it undid.
    """

    seq: int
    op: EditOp
    symbol_id: str
    path: str
    before: str
    after: str
    base_version: int
    new_version: int
    previous_id: str | None = None
    parent_id: str | None = None
    after_id: str | None = None
    undoes: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["op"] = self.op.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Edit:
        fields = dict(data)
        fields["op"] = EditOp(fields["op"])
        return cls(**fields)
