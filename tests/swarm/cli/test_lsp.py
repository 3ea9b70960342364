"""`swarm lsp` end to end: a pytest-lsp client (the editor) drives a real
`swarm lsp` subprocess on a copy of examples/python_shop with the scripted
model; approvals are answered in the client, the accepted change arrives as
workspace/applyEdit, and the example's failing test passes afterwards."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from lsp.uris import path_to_uri
from tests.swarm.lsp_session import Editor, execute, processes_under, swarm_lsp

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"


def pytest_passes(repo: Path, *selection: str) -> bool:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
                            cwd=repo, capture_output=True, text=True)
    return result.returncode == 0


async def test_fix_issue_is_approved_in_the_editor_and_applied_by_it(python_repo: Path) -> None:
    assert not pytest_passes(python_repo, FAILING)
    # p1 breaks a passing test: the user rejects it (after looking at its diff);
    # p2 and the final acceptance are approved.
    editor = Editor(python_repo, choices=["Show diff", "Reject", "Approve", "Approve"])
    async with swarm_lsp(python_repo, editor) as client:
        result = await execute(client, "swarm.fixIssue", [(python_repo / "ISSUE.md").read_text()])
        assert isinstance(result, dict) or hasattr(result, "get")
        assert result["ok"] is True, result
        assert result["applied"] is True
        run_id = result["run_id"]

        # The prompts: p1 twice (before and after its diff), p2, the final acceptance.
        messages = [p.message for p in editor.prompts]
        assert len(messages) == 4, messages
        assert "BulkDiscount.applies_to" in messages[0] and "(p1)" in messages[0]
        assert messages[1] == messages[0]
        assert "accept the whole patch" in messages[3]
        assert all([a.title for a in p.actions or []] == ["Approve", "Reject", "Show diff"] for p in editor.prompts)
        diff_docs = [d for d in client.shown_documents if d.uri.endswith(".diff")]
        assert len(diff_docs) == 1
        # One applyEdit: the fix (whole-symbol replacement) and the new reproduction test.
        assert len(editor.edits) == 1
        kinds = [type(c).__name__ for c in editor.edits[0].document_changes or ()]
        assert kinds.count("CreateFile") == 1 and kinds.count("TextDocumentEdit") == 2
        assert "quantity >= self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
        assert (python_repo / "tests/test_swarm_repro.py").is_file()
        # Progress was reported under one token, begun and ended.
        reports = [r for rs in client.progress_reports.values() for r in rs]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert any(isinstance(r, types.WorkDoneProgressReport) and "verdict" not in (r.message or "") for r in reports)
        assert any(run_id in (m.message or "") for m in client.messages)

        # Code lenses over the symbols the run touched.
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=path_to_uri(python_repo / "shop/discounts.py"))))
        assert lenses, "no code lens after a run"
        titles = [lens.command.title for lens in lenses if lens.command]
        assert any("2 proposal(s), 1 approved, 1 rejected" in t for t in titles), titles
        assert all(lens.command and lens.command.command == "swarm.showGraph" for lens in lenses)
        assert editor.lens_refreshes >= 1

        # The graph of the run opens as an HTML page.
        graph = await execute(client, "swarm.showGraph", [run_id])
        page = Path(graph["path"])
        assert page.is_file() and page.suffix == ".html" and run_id in page.read_text()
        assert client.shown_documents[-1].uri == path_to_uri(page)
        assert client.shown_documents[-1].external is True

    # The editor applied the change: the example's failing test passes on the user's files.
    assert pytest_passes(python_repo, FAILING)
    assert pytest_passes(python_repo)


async def test_rejecting_the_final_patch_changes_nothing(python_repo: Path) -> None:
    before = (python_repo / "shop/discounts.py").read_text()
    editor = Editor(python_repo, choices=["Reject", "Approve", "Reject"])
    async with swarm_lsp(python_repo, editor) as client:
        result = await execute(client, "swarm.fixIssue", [(python_repo / "ISSUE.md").read_text()])
        assert result["ok"] is False and result["applied"] is True   # nothing to apply
        assert result["status"] != "accepted", result
        assert "accept the whole patch" in editor.prompts[-1].message
        assert editor.edits == []
        assert any(m.type == types.MessageType.Warning for m in client.messages)
    assert (python_repo / "shop/discounts.py").read_text() == before
    assert not (python_repo / "tests/test_swarm_repro.py").exists()


async def test_cancel_mid_run_stops_it_and_leaves_no_processes(python_repo: Path) -> None:
    editor = Editor(python_repo, hold=asyncio.Event())
    async with swarm_lsp(python_repo, editor, servers=True) as client:
        running = asyncio.create_task(execute(client, "swarm.fixIssue", [(python_repo / "ISSUE.md").read_text()]))
        await asyncio.wait_for(editor.prompted.wait(), timeout=600)   # the run waits for the user now
        cancelled = await execute(client, "swarm.cancel", [])
        assert cancelled == {"cancelled": True} or cancelled["cancelled"] is True
        result = await asyncio.wait_for(running, timeout=120)
        assert result["ok"] is False and "cancelled" in result["message"]
        assert "swarm run --resume" in result["message"]
        assert editor.edits == []
        # Nothing of the run is left running: no language server, no test run.
        assert processes_under(python_repo / ".swarm") == []
        again = await execute(client, "swarm.cancel", [])
        assert again["cancelled"] is False
        assert editor.hold is not None
        editor.hold.set()
    assert processes_under(python_repo) == []


async def test_rewrite_symbol_at_a_position_and_bad_positions(python_repo: Path) -> None:
    discounts = python_repo / "shop/discounts.py"
    line = next(i for i, text in enumerate(discounts.read_text().splitlines()) if "quantity > self.min_quantity" in text)
    uri = path_to_uri(discounts)
    editor = Editor(python_repo, choices=["Reject", "Approve", "Approve"])
    async with swarm_lsp(python_repo, editor) as client:
        with pytest.raises(Exception, match=r"line 1000 \(0-based 999\) is not in it"):
            await execute(client, "swarm.rewriteSymbol", [uri, 999, 0, "make it inclusive"])
        with pytest.raises(Exception, match="argument 2 must be the 0-based line"):
            await execute(client, "swarm.rewriteSymbol", [uri, "ten", 0, "make it inclusive"])
        with pytest.raises(Exception, match="not inside a function, method or class"):
            await execute(client, "swarm.rewriteSymbol", [uri, 0, 0, "make it inclusive"])
        outside = python_repo.parent / "outside.py"
        outside.write_text("def f() -> int:\n    return 1\n")
        with pytest.raises(Exception, match="outside the repository"):
            await execute(client, "swarm.rewriteSymbol", [path_to_uri(outside), 1, 4, "return 2"])
        assert editor.prompts == []

        result = await execute(client, "swarm.rewriteSymbol", [uri, line, 8, "Buying exactly min_quantity must count."])
        assert result["ok"] is True, result
        assert "BulkDiscount.applies_to" in editor.prompts[0].message
    assert "quantity >= self.min_quantity" in discounts.read_text()
    assert pytest_passes(python_repo, FAILING)


async def test_show_graph_without_runs_is_a_clear_error(python_repo: Path) -> None:
    async with swarm_lsp(python_repo, Editor(python_repo)) as client:
        with pytest.raises(Exception, match="no runs"):
            await execute(client, "swarm.showGraph", [])
        with pytest.raises(Exception, match="argument 1 must be the issue text"):
            await execute(client, "swarm.fixIssue", [])
