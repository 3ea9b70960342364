"""Applying a server's `WorkspaceEdit` to text: pure functions, plus the
handler that writes such edits to files inside the workspace root."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from lsp.errors import LspError
from lsp.positions import PositionEncoding, to_codepoints
from lsp.uris import uri_to_path

if TYPE_CHECKING:
    from lsp.client import LanguageClient


class EditRefused(LspError):
    """A server-initiated edit this client will not apply (and why)."""


def _line_starts(text: str) -> list[int]:
    starts = [0]
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\r" and index + 1 < length and text[index + 1] == "\n":
            index += 2
            starts.append(index)
            continue
        index += 1
        if char in "\r\n":
            starts.append(index)
    return starts


def _offset(text: str, starts: list[int], position: lsp.Position, encoding: PositionEncoding) -> int:
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    end = starts[position.line + 1] if position.line + 1 < len(starts) else len(text)
    line = text[start:end].rstrip("\r\n")
    return start + to_codepoints(line, position.character, encoding)


def apply_text_edits(text: str, edits: Sequence[lsp.TextEdit | lsp.AnnotatedTextEdit], encoding: PositionEncoding = "utf-16") -> str:
    """`text` with `edits` applied; edits address the original text, as LSP says."""
    starts = _line_starts(text)
    spans = []
    for order, edit in enumerate(edits):
        begin = _offset(text, starts, edit.range.start, encoding)
        end = _offset(text, starts, edit.range.end, encoding)
        if end < begin:
            raise EditRefused(f"edit range ends before it starts: {edit.range}")
        spans.append((begin, end, order, edit.new_text))
    spans.sort(key=lambda span: (span[0], span[1], span[2]))
    for previous, current in zip(spans, spans[1:]):
        if current[0] < previous[1]:
            raise EditRefused("overlapping text edits in one document: refusing to guess their order")
    pieces: list[str] = []
    cursor = 0
    for begin, end, _, new_text in spans:
        pieces.append(text[cursor:begin])
        pieces.append(new_text)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def edits_by_uri(edit: lsp.WorkspaceEdit) -> dict[str, list[lsp.TextEdit | lsp.AnnotatedTextEdit]]:
    """The text edits of a WorkspaceEdit grouped by document; file operations are refused."""
    grouped: dict[str, list[lsp.TextEdit | lsp.AnnotatedTextEdit]] = {}
    for uri, edits in (edit.changes or {}).items():
        grouped.setdefault(uri, []).extend(edits)
    for change in edit.document_changes or ():
        if not isinstance(change, lsp.TextDocumentEdit):
            raise EditRefused(
                f"{type(change).__name__} is a file operation; only text edits are applied"
            )
        for text_edit in change.edits:
            if isinstance(text_edit, lsp.SnippetTextEdit):
                raise EditRefused("snippet edits need an interactive editor; not applied")
            grouped.setdefault(change.text_document.uri, []).append(text_edit)
    return grouped


def resolve_inside(root: Path, uri: str) -> Path:
    """The file a URI names, refusing anything that resolves outside `root`."""
    path = uri_to_path(uri).resolve()
    try:
        path.relative_to(Path(root).resolve())
    except ValueError:
        raise EditRefused(f"{path} is outside the workspace {root}; not edited") from None
    return path


def write_atomically(path: Path, text: str) -> None:
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


async def apply_edits_to_workspace(client: "LanguageClient", edit: lsp.WorkspaceEdit) -> lsp.ApplyWorkspaceEditResult:
    """An edit handler that applies text edits to files inside the client's root
    (and to the open documents among them); anything else is refused whole."""
    try:
        planned: list[tuple[Path, str]] = []
        for uri, edits in edits_by_uri(edit).items():
            path = resolve_inside(client.root, uri)
            planned.append((path, apply_text_edits(client.text_of(path), edits, client.position_encoding)))
    except (EditRefused, OSError) as exc:
        return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason=str(exc))
    for path, text in planned:
        write_atomically(path, text)
        if client.documents.get(path) is not None:
            await client.change_document(path, text)
    return lsp.ApplyWorkspaceEditResult(applied=True)
