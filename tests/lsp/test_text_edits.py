from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from lsp.text_edits import EditRefused, apply_text_edits, edits_by_uri, resolve_inside, write_atomically


def _edit(l1: int, c1: int, l2: int, c2: int, text: str) -> lsp.TextEdit:
    return lsp.TextEdit(lsp.Range(lsp.Position(l1, c1), lsp.Position(l2, c2)), text)


def test_edits_address_the_original_text_in_any_order() -> None:
    text = "alpha\nbeta\ngamma\n"
    edits = [_edit(2, 0, 2, 5, "GAMMA"), _edit(0, 0, 0, 5, "ALPHA"), _edit(1, 4, 1, 4, "!")]
    assert apply_text_edits(text, edits) == "ALPHA\nbeta!\nGAMMA\n"


def test_inserts_at_one_spot_keep_their_order() -> None:
    assert apply_text_edits("x", [_edit(0, 0, 0, 0, "a"), _edit(0, 0, 0, 0, "b")]) == "abx"


def test_multiline_and_crlf_and_past_the_end() -> None:
    text = "one\r\ntwo\r\nthree"
    assert apply_text_edits(text, [_edit(0, 1, 1, 1, "-")]) == "o-wo\r\nthree"
    assert apply_text_edits(text, [_edit(9, 0, 9, 0, "\nfour")]) == text + "\nfour"


def test_utf16_columns() -> None:
    text = "s = '😀x'\n"
    # x sits after the emoji: code point 6, UTF-16 unit 7.
    assert apply_text_edits(text, [_edit(0, 7, 0, 8, "y")], "utf-16") == "s = '😀y'\n"
    assert apply_text_edits(text, [_edit(0, 9, 0, 10, "y")], "utf-8") == "s = '😀y'\n"


def test_overlapping_edits_are_refused() -> None:
    with pytest.raises(EditRefused, match="overlapping"):
        apply_text_edits("abcdef", [_edit(0, 0, 0, 3, "x"), _edit(0, 2, 0, 4, "y")])
    with pytest.raises(EditRefused, match="ends before it starts"):
        apply_text_edits("abcdef", [_edit(0, 3, 0, 1, "x")])


def test_workspace_edit_grouping_and_refusals() -> None:
    edit = lsp.WorkspaceEdit(
        changes={"file:///a": [_edit(0, 0, 0, 0, "x")]},
        document_changes=[
            lsp.TextDocumentEdit(
                lsp.OptionalVersionedTextDocumentIdentifier(uri="file:///a", version=1), [_edit(1, 0, 1, 0, "y")]
            )
        ],
    )
    assert [e.new_text for e in edits_by_uri(edit)["file:///a"]] == ["x", "y"]
    with pytest.raises(EditRefused, match="file operation"):
        edits_by_uri(lsp.WorkspaceEdit(document_changes=[lsp.CreateFile(uri="file:///new")]))


def test_resolve_inside_refuses_escapes(tmp_path: Path) -> None:
    inside = tmp_path / "pkg" / "a.py"
    assert resolve_inside(tmp_path, inside.as_uri()) == inside.resolve()
    with pytest.raises(EditRefused, match="outside the workspace"):
        resolve_inside(tmp_path, (tmp_path / ".." / "elsewhere.py").as_uri())
    link = tmp_path / "link.py"
    link.symlink_to("/etc/hostname")
    with pytest.raises(EditRefused):
        resolve_inside(tmp_path, link.as_uri())


def test_write_atomically_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old\n")
    os.chmod(target, 0o755)
    write_atomically(target, "new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["script.sh"]


def test_snippet_edits_need_an_editor() -> None:
    snippet = lsp.SnippetTextEdit(
        range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), snippet=lsp.StringValue(value="${1:name}")
    )
    edit = lsp.WorkspaceEdit(
        document_changes=[lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(uri="file:///a", version=1), [snippet])]
    )
    with pytest.raises(EditRefused, match="snippet"):
        edits_by_uri(edit)


def test_write_atomically_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "file.txt"
    with pytest.raises(OSError):
        write_atomically(target, "text")
    assert not target.exists()
