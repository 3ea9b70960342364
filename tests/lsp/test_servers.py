from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from lsp.errors import ServerNotFound, UnknownServer
from lsp.servers import PYRIGHT, RUST_ANALYZER, pyright_for, spec_for_language, spec_for_path


def test_specs_by_language_and_path() -> None:
    assert spec_for_language("Python") is PYRIGHT
    assert spec_for_language("rust") is RUST_ANALYZER
    assert spec_for_path("src/lib.rs") is RUST_ANALYZER
    assert spec_for_path("pkg/stub.pyi") is PYRIGHT
    with pytest.raises(UnknownServer, match="known: python, rust"):
        spec_for_language("cobol")
    with pytest.raises(UnknownServer):
        spec_for_path("README.md")


def test_pyright_resolves_inside_our_environment() -> None:
    command = PYRIGHT.resolve_command()
    assert command[1:] == ["--stdio"]
    assert Path(command[0]).name == "pyright-langserver" and os.access(command[0], os.X_OK)
    # pyright-python must never look for updates on PyPI at run time.
    assert PYRIGHT.process_env()["PYRIGHT_PYTHON_IGNORE_WARNINGS"] == "1"


def test_rust_analyzer_is_the_debian_binary_with_its_path_first() -> None:
    assert RUST_ANALYZER.resolve_command() == ["/usr/bin/rust-analyzer"]
    env = RUST_ANALYZER.process_env()
    assert env["PATH"].startswith("/usr/bin:/bin:")
    assert env["CARGO_NET_OFFLINE"] == "true"


def test_missing_executable_says_how_to_install() -> None:
    spec = replace(PYRIGHT, command=("no-such-langserver",), search_dirs=())
    with pytest.raises(ServerNotFound, match=r"no-such-langserver.*scripts/setup"):
        spec.resolve_command()
    with pytest.raises(ServerNotFound):
        replace(PYRIGHT, command=("/nonexistent/bin/server",)).resolve_command()


def test_modes_and_language_ids() -> None:
    assert PYRIGHT.diagnostics == "pull" and RUST_ANALYZER.diagnostics == "pull"
    # cargo check runs beside the server, not as its flycheck.
    assert RUST_ANALYZER.initialization_options["checkOnSave"] is False  # type: ignore[index]
    assert PYRIGHT.language_id == "python" and RUST_ANALYZER.language_id == "rust"
    changed = PYRIGHT.with_settings({"python": {}})
    assert changed.settings == {"python": {}} and PYRIGHT.settings != changed.settings


def test_pyright_for_another_interpreter() -> None:
    spec = pyright_for("/opt/venv/bin/python")
    assert spec.settings["python"]["pythonPath"] == "/opt/venv/bin/python"  # type: ignore[index]
    assert "pythonPath" not in PYRIGHT.settings["python"]  # type: ignore[index]
    assert spec.command == PYRIGHT.command


def test_paths_and_environment(tmp_path: Path) -> None:
    spec = replace(PYRIGHT, env=(("EXTRA_FLAG", "1"),), path_prepend=(str(tmp_path),))
    env = spec.process_env()
    assert env["EXTRA_FLAG"] == "1" and env["PATH"].split(os.pathsep)[0] == str(tmp_path)
    assert spec.handles_path("a/b.py") and spec.handles_path(Path("c.pyi")) and not spec.handles_path("d.rs")
    # An executable found first in a search directory wins over PATH.
    fake = tmp_path / "pyright-langserver"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert replace(spec, search_dirs=(str(tmp_path),)).resolve_command()[0] == str(fake)
