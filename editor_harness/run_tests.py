"""The run-tests endpoint: pick the repository's test runner and run a selection.

    run = await run_tests(root, ["tests/test_x.py::test_a"], timeout=120)

pytest for Python repositories, `cargo test` for Rust ones; a selection of
`.py` node ids or `.rs` target ids decides for mixed repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from editor_harness.cargo_runner import DOC_PREFIX, CargoRunner
from editor_harness.errors import TestRunError
from editor_harness.network_guard import GuardMode
from editor_harness.pytest_runner import PytestRunner
from editor_harness.testrun import TestRun, TestRunner

DEFAULT_TIMEOUT_S = 300.0
_PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini", "conftest.py")


def _kind_of(item: str) -> str | None:
    path = item.split("::", 1)[0]
    if path.endswith((".py", ".pyi")):
        return "pytest"
    if path.endswith(".rs") or item.startswith(DOC_PREFIX):
        return "cargo"
    return None


def runner_name(root: Path, selection: Sequence[str] = ()) -> str:
    """"pytest" or "cargo" for this repository and selection."""
    kinds = {k for k in map(_kind_of, selection) if k}
    if len(kinds) > 1:
        raise TestRunError("the selection mixes Python and Rust tests; run them separately")
    if kinds:
        return kinds.pop()
    has_cargo = (root / "Cargo.toml").is_file()
    has_python = any((root / marker).exists() for marker in _PYTHON_MARKERS)
    return "cargo" if has_cargo and not has_python else "pytest"


def runner_for(root: Path, selection: Sequence[str] = (), *, runner: str | None = None, python: str | None = None) -> TestRunner:
    name = runner or runner_name(root, selection)
    if name == "pytest":
        return PytestRunner(root, python=python)
    if name == "cargo":
        return CargoRunner(root)
    raise TestRunError(f"unknown test runner {name!r}; use 'pytest' or 'cargo'")


async def run_tests(
    root: Path | str,
    selection: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    runner: str | None = None,
    python: str | None = None,
    network: GuardMode | str = GuardMode.AUTO,
) -> TestRun:
    """Run `selection` (empty: the whole suite) with a hard timeout, off the network."""
    resolved = Path(root).resolve()
    if isinstance(selection, str):
        selection = [selection]
    chosen = runner_for(resolved, selection, runner=runner, python=python)
    return await chosen.run(list(selection), timeout=timeout, network=network)
