"""lsp.server_shell: backend results mapped to LSP (edits, diagnostics, positions).

The whole server, over stdio with a real backend, is tested end to end in
tests/swarm/cli/test_lsp.py (lsp/ must not import swarm/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp.backend import FileChange, LineEdit, Problem
from lsp.server_shell import COMMANDS, SwarmShell, _argument, _diagnostic, _text_edit
from lsp.text_edits import apply_text_edits
from lsp.uris import path_to_uri


def shell_for(capabilities: types.ClientCapabilities) -> SwarmShell:
    shell = SwarmShell(lambda root: None)  # type: ignore[arg-type, return-value]
    shell.server.protocol.client_capabilities = capabilities
    shell.server.protocol._workspace = None  # noqa: SLF001 - set by initialize in a real session
    from pygls.workspace import Workspace

    shell.server.protocol._workspace = Workspace(None)  # noqa: SLF001
    return shell


FULL = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
    workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True, resource_operations=[types.ResourceOperationKind.Create])))


def test_whole_line_edits_replace_insert_and_reach_the_end_of_file() -> None:
    text = "a\nb\nc\n"
    assert apply_text_edits(text, [_text_edit(text, 2, 2, "B\n", "utf-16")]) == "a\nB\nc\n"
    assert apply_text_edits(text, [_text_edit(text, 2, 1, "x\n", "utf-16")]) == "a\nx\nb\nc\n"
    assert apply_text_edits(text, [_text_edit(text, 3, 3, "C\n", "utf-16")]) == "a\nb\nC\n"
    no_newline = "a\nb\nc"
    assert apply_text_edits(no_newline, [_text_edit(no_newline, 3, 3, "C", "utf-16")]) == "a\nb\nC"
    wide = "x = '😀😀'"
    edit = _text_edit(wide, 1, 1, "y = 1", "utf-16")
    assert edit.range.end == types.Position(0, 10)   # two surrogate pairs


def test_diagnostics_use_the_editor_encoding() -> None:
    problem = Problem(Path("/r/a.py"), 1, 7, 1, 9, "error", "bad", "swarm (pyright)", "E1")
    found = _diagnostic("x = '😀😀'\n", problem, "utf-16")
    assert found.range.start == types.Position(0, 7) and found.range.end == types.Position(0, 10)
    assert found.severity == types.DiagnosticSeverity.Error and found.code == "E1"


def test_workspace_edit_creates_new_files_when_the_client_can(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a\nb\n")
    changes = [FileChange(tmp_path / "a.py", (LineEdit(1, 1, "A\n"),)),
               FileChange(tmp_path / "new.py", (LineEdit(1, 0, "new\n"),), create=True)]
    edit, skipped = shell_for(FULL).workspace_edit(changes)
    kinds = [type(c).__name__ for c in edit.document_changes or ()]
    assert kinds == ["TextDocumentEdit", "CreateFile", "TextDocumentEdit"] and skipped == []
    plain, skipped = shell_for(types.ClientCapabilities()).workspace_edit(changes)
    assert list((plain.changes or {}).keys()) == [path_to_uri(tmp_path / "a.py")]
    assert skipped == [tmp_path / "new.py"]


def test_positions_are_checked_before_the_backend_sees_them(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 'é'\n")
    shell = shell_for(FULL)
    position = shell._position(path_to_uri(tmp_path / "a.py"), 1, 12)  # noqa: SLF001
    assert (position.line, position.column) == (2, 13)
    with pytest.raises(JsonRpcInvalidParams, match="line 10 .* is not in it"):
        shell._position(path_to_uri(tmp_path / "a.py"), 9, 0)  # noqa: SLF001
    with pytest.raises(JsonRpcInvalidParams, match="cannot be read"):
        shell._position(path_to_uri(tmp_path / "missing.py"), 0, 0)  # noqa: SLF001


def test_arguments_are_checked_by_type() -> None:
    assert _argument(["text"], 0, "the issue text", str) == "text"
    with pytest.raises(JsonRpcInvalidParams, match="argument 1 must be the issue text"):
        _argument([], 0, "the issue text", str)
    with pytest.raises(JsonRpcInvalidParams, match="argument 2 must be the line"):
        _argument(["u", True], 1, "the line", int)


def test_the_commands_are_registered() -> None:
    shell = shell_for(FULL)
    assert set(COMMANDS) <= set(shell.server.protocol.fm.commands)
