"""`swarm symbols`, `swarm map`, `swarm locate` end to end, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def swarm(*args: str, cwd: Path | None = None, stdin: str | None = None, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "swarm.cli.main", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, env=env, timeout=300,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "xdg-cache"


def test_symbols_outline_of_a_file(rust_repo: Path, cache: Path):
    result = swarm("symbols", str(rust_repo / "src/report.rs"), cache=cache)
    assert result.returncode == 0, result.stderr
    assert "method   <Ledger as Render>::render  [39-45]  fn render(&self) -> String" in result.stdout


def test_symbols_json_of_a_tree(python_repo: Path, cache: Path):
    result = swarm("symbols", str(python_repo), "--json", cache=cache)
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)
    by_path = {f["path"]: f for f in files}
    symbols = {s["id"]: s for s in by_path["shop/discounts.py"]["symbols"]}
    applies = symbols["shop/discounts.py::BulkDiscount.applies_to"]
    assert applies["kind"] == "method" and applies["parent"] == "shop/discounts.py::BulkDiscount"
    assert applies["start_line"] <= applies["end_line"]
    assert (cache / "symbol-swarm" / "index").is_dir()  # cached outside the repo


def test_symbols_marks_syntax_errors(tmp_path: Path, cache: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("def ok():\n    pass\n\ndef broken(:\n    pass\n")
    result = swarm("symbols", str(bad), cache=cache)
    assert result.returncode == 0
    assert "syntax errors on lines 4" in result.stdout and "function ok" in result.stdout


def test_symbols_warns_about_undecodable_files(tmp_path: Path, cache: Path):
    odd = tmp_path / "latin.py"
    odd.write_bytes(b"def caf\xe9():\n    pass\n")
    result = swarm("symbols", str(odd), cache=cache)
    assert result.returncode == 0 and "not valid UTF-8" in result.stderr


def test_locate_json_and_text(python_repo: Path, rust_repo: Path, cache: Path):
    result = swarm("locate", "--repo", str(rust_repo), "--issue", str(rust_repo / "ISSUE.md"), "-k", "3", "--json", cache=cache)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert len(found) == 3
    assert set(found[0]) == {"symbol_id", "path", "start_line", "end_line", "score"}
    assert found[0]["symbol_id"] == "src/ledger.rs::Ledger::transfer"
    text = swarm("locate", "--repo", str(rust_repo), "--issue", "-", stdin="Ledger::transfer is broken", cache=cache)
    assert text.returncode == 0 and text.stdout.splitlines()[0].split()[2] == "src/ledger.rs::Ledger::transfer"


def test_map(python_repo: Path, cache: Path):
    result = swarm("map", "--repo", str(python_repo), "--focus", "coupon codes", "--tokens", "150", cache=cache)
    assert result.returncode == 0, result.stderr
    assert "shop/discounts.py:" in result.stdout and "parse_coupon" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["locate", "--repo", "{missing}", "--issue", "{issue}"], "not a directory"),
        (["locate", "--repo", "{repo}", "--issue", "{missing}"], "cannot read the issue"),
        (["locate", "--repo", "{repo}", "--issue", "{empty}"], "the issue is empty"),
        (["locate", "--repo", "{repo}", "--issue", "{issue}", "-k", "0"], "-k must be positive"),
        (["map", "--repo", "{repo}", "--tokens", "-5"], "--tokens must be positive"),
        (["symbols", "{missing}"], "no such file or directory"),
        (["symbols", "{repo}/README.txt"], "no tree-sitter language"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str, python_repo: Path, tmp_path: Path, cache: Path):
    (tmp_path / "empty.md").write_text("  \n")
    (python_repo / "README.txt").write_text("hello")
    values = {
        "missing": str(tmp_path / "missing"),
        "issue": str(python_repo / "ISSUE.md"),
        "repo": str(python_repo),
        "empty": str(tmp_path / "empty.md"),
    }
    result = swarm(*(a.format(**values) for a in args), cache=cache)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("swarm: error: ") and message in result.stderr


def test_non_git_directory_and_empty_repo(tmp_path: Path, cache: Path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "m.py").write_text("def compute():\n    return 1\n")
    result = swarm("locate", "--repo", str(plain), "--issue", "-", "--json", stdin="compute() returns 1", cache=cache)
    assert result.returncode == 0 and json.loads(result.stdout)[0]["symbol_id"] == "m.py::compute"
    empty = tmp_path / "empty"
    empty.mkdir()
    result = swarm("symbols", str(empty), cache=cache)
    assert result.returncode == 0 and "no Python or Rust source files" in result.stderr
