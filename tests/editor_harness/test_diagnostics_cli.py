"""The command-line fallbacks, run for real: pyright --outputjson and cargo check."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import trio

from editor_harness.diagnostics_cli import (
    CliDiagnostics,
    cargo_check,
    cargo_workspace,
    parse_cargo_messages,
    parse_pyright_json,
    pyright_cli,
    run_tool,
)
from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_types import DiagnosticsUnavailable

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CART = "shop/cart.py"
LEDGER = "src/ledger.rs"


def _break_cart(repo: Path) -> tuple[str, str]:
    old = (repo / CART).read_text()
    new = old.replace("return self.subtotal() - self.discount()", "return self.subtotal() - self.discount() + 1")
    (repo / CART).write_text(new)
    return old, new


def _break_ledger(repo: Path) -> tuple[str, str]:
    old = (repo / LEDGER).read_text()
    new = old.replace("if balance <= amount {", 'if balance <= "x" {')
    (repo / LEDGER).write_text(new)
    return old, new


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


async def test_pyright_cli_reports_repo_relative_positions(python_repo: Path) -> None:
    _, new = _break_cart(python_repo)
    found = await pyright_cli(python_repo)
    (error,) = found[CART]
    assert error.line == _line_of(new, "self.discount() + 1")
    assert error.severity == "error" and error.code == "reportOperatorIssue" and error.source == "pyright"
    assert new.splitlines()[error.line - 1][error.column :].startswith("self.subtotal()")
    only = await pyright_cli(python_repo, ["shop/money.py"])
    assert CART not in only


def test_pyright_json_garbage_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticsUnavailable, match="no JSON report"):
        parse_pyright_json("Traceback: node exploded", tmp_path)


def test_pyright_json_outside_files_and_missing_ranges_are_skipped(tmp_path: Path) -> None:
    report = {
        "generalDiagnostics": [
            {"file": "/usr/lib/python3/x.py", "severity": "error", "message": "m", "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}},
            {"file": str(tmp_path / "a.py"), "severity": "warning", "message": "config problem"},
        ]
    }
    assert parse_pyright_json(json.dumps(report), tmp_path) == {}


async def test_cargo_check_reports_primary_spans(rust_repo: Path) -> None:
    assert await cargo_check(rust_repo) == {}
    _, new = _break_ledger(rust_repo)
    found = await cargo_check(rust_repo)
    (error,) = found[LEDGER]  # the lib and its test build report it once
    assert error.code == "E0308" and error.severity == "error" and error.source == "rustc"
    assert error.line == _line_of(new, 'if balance <= "x"')
    assert new.splitlines()[error.line - 1][error.column : error.end_column] == '"x"'


def test_cargo_messages_parser_skips_noise(tmp_path: Path) -> None:
    record = {
        "reason": "compiler-message",
        "message": {
            "level": "warning",
            "message": "unused variable: `q`",
            "code": {"code": "unused_variables"},
            "spans": [
                {"file_name": "src/a.rs", "line_start": 2, "line_end": 2, "column_start": 9, "column_end": 10, "is_primary": True},
            ],
        },
    }
    failure = {"reason": "compiler-message", "message": {"level": "failure-note", "message": "x", "spans": []}}
    output = "\n".join(["Compiling...", json.dumps(record), json.dumps(record), json.dumps(failure), "{not json", json.dumps({"reason": "build-finished"})])
    found = parse_cargo_messages(output, tmp_path, tmp_path)
    (warning,) = found["src/a.rs"]
    assert (warning.line, warning.column, warning.end_column, warning.severity) == (2, 8, 9, "warning")


def test_no_cargo_manifest(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticsUnavailable, match="no Cargo.toml"):
        cargo_workspace(tmp_path)


async def test_python_fallback_change_computes_before_in_a_copy(python_repo: Path) -> None:
    backend = CliDiagnostics("python", python_repo, "server missing", dependents=DependentFinder(python_repo))
    old, new = _break_cart(python_repo)
    outcome = await backend.change(CART, new, old)
    assert outcome.before[CART] == ()
    assert [d.code for d in outcome.after[CART]] == ["reportOperatorIssue"]
    assert outcome.checked[0] == CART
    assert "server missing" in outcome.note
    # The next change starts from what the last run saw: no copy needed.
    (python_repo / CART).write_text(old)
    again = await backend.change(CART, old, new)
    assert [d.code for d in again.before[CART]] == ["reportOperatorIssue"] and again.after[CART] == ()
    assert backend.scratch_checks == 1


async def test_rust_fallback_change(rust_repo: Path) -> None:
    backend = CliDiagnostics("rust", rust_repo, "no rust-analyzer")
    old, new = _break_ledger(rust_repo)
    # Started after the tree changed: the "before" is checked in a copy.
    outcome = await backend.change(LEDGER, new, old)
    assert outcome.before.get(LEDGER, ()) == ()
    assert [d.code for d in outcome.after[LEDGER]] == ["E0308"]
    assert backend.scratch_checks == 1 and "scratch copy" in outcome.note
    (rust_repo / LEDGER).write_text(old)
    fixed = await backend.change(LEDGER, old, new)
    assert [d.code for d in fixed.before[LEDGER]] == ["E0308"] and fixed.after[LEDGER] == ()
    # The whole crate is known now: clean files need no copy either.
    (rust_repo / "src" / "lib.rs").write_text((rust_repo / "src" / "lib.rs").read_text() + "\n// touched\n")
    again = await backend.change("src/lib.rs", (rust_repo / "src" / "lib.rs").read_text(), None)
    assert backend.scratch_checks == 1 and again.after.get("src/lib.rs", ()) == ()


async def test_rust_start_takes_the_baseline_in_place(rust_repo: Path) -> None:
    backend = CliDiagnostics("rust", rust_repo, None)
    await backend.start()
    old, new = _break_ledger(rust_repo)
    outcome = await backend.change(LEDGER, new, old)
    assert backend.scratch_checks == 0 and outcome.note == ""
    assert [d.code for d in outcome.after[LEDGER]] == ["E0308"]


def test_unknown_language_has_no_cli(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticsUnavailable, match="no command-line checker"):
        CliDiagnostics("cobol", tmp_path, "no server")


async def test_a_hung_checker_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = "3117.5"  # an unusual duration, to find our sleepers again
    with pytest.raises(DiagnosticsUnavailable, match="did not finish within 0.5 s"):
        await run_tool(["sh", "-c", f"sleep {marker} & sleep {marker}"], tmp_path, dict(os.environ), 0.5)
    await trio.sleep(0.2)
    leftovers = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout.split()
    assert leftovers == []


async def test_a_missing_checker_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticsUnavailable, match="cannot run no-such-checker"):
        await run_tool(["no-such-checker"], tmp_path, dict(os.environ), 5)


async def test_cargo_failing_without_compiler_messages(rust_repo: Path) -> None:
    (rust_repo / "Cargo.toml").write_text("[package\nthis is not toml\n")
    with pytest.raises(DiagnosticsUnavailable, match="cargo check failed without compiler messages"):
        await cargo_check(rust_repo)
