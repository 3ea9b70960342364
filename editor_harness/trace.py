"""The trace tool: run ONE test selection and return the symbols of the
repository it executed, so agents localize from behaviour, not only text.

    result = await trace_test(repo, "tests/test_x.py::test_y", timeout=60)
    result.symbols        # in order of first call, test functions flagged
    result.panic          # where and why it stopped (exception, panic, hang, crash)

Python: every call of repository code counted in the test's own interpreter
(sys.monitoring on 3.12+, sys.settrace below, 3.6 and up), with the
arguments and result of the first calls. Rust: the test binary (built
offline with cargo) runs under gdb, a breakpoint on every function of the
crate counting calls and reading the first calls' arguments and return
values from debug info; without gdb, the panic's backtrace and the
functions called on the panicking line. Details: editor_harness/tracing/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Protocol

from editor_harness.tracing.errors import BadTraceOptions, TraceSetupError
from editor_harness.tracing.model import TraceOptions, TraceResult
from symbols.index import RepoIndex

Language = Literal["python", "rust"]
_PYTHON_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini", "conftest.py")


class Tracer(Protocol):
    """Runs one selection of one language's tests and traces it."""

    language: str

    async def trace(self, index: RepoIndex, selection: str, options: TraceOptions) -> TraceResult: ...


def tracer_for(language: Language) -> Tracer:
    if language == "python":
        from editor_harness.tracing.python import PythonTracer

        return PythonTracer()
    if language == "rust":
        from editor_harness.tracing.rust import RustTracer

        return RustTracer()
    raise BadTraceOptions(f"no tracer for language {language!r}: use 'python' or 'rust'")


def language_of(root: Path, selection: str) -> Language:
    """Which language's tests a selection names: by its file, else by the project."""
    head = selection.split("::", 1)[0]
    if head.endswith(".py"):
        return "python"
    if head.endswith(".rs"):
        return "rust"
    cargo = (root / "Cargo.toml").is_file()
    python = any((root / marker).exists() for marker in _PYTHON_MARKERS)
    if cargo and not python:
        return "rust"
    if python and not cargo:
        return "python"
    if cargo and python:
        raise TraceSetupError(
            f"{root} has both Cargo.toml and Python project files: name the test by its file "
            "(tests/test_x.py::test_y, tests/x.rs::name) or pass language='python' / 'rust'"
        )
    raise TraceSetupError(f"{root}: no Cargo.toml and no Python project files; which tests should run?")


def index_of(workspace_or_root: Any) -> RepoIndex:
    """Accepts a RepoIndex, anything holding one as `.index` (a Workspace), or a path."""
    if isinstance(workspace_or_root, RepoIndex):
        return workspace_or_root
    held = getattr(workspace_or_root, "index", None)
    if isinstance(held, RepoIndex):
        return held
    root = Path(workspace_or_root)
    if not root.is_dir():
        raise TraceSetupError(f"{root}: not a directory; give the repository's root")
    return RepoIndex.build(root)


async def trace_test(
    workspace_or_root: Any,
    selection: str,
    *,
    timeout: float,
    max_calls_recorded: int = 3,
    repr_limit: int = 120,
    max_symbols: int = 200,
    python: str | None = None,
    language: Language | None = None,
    build_timeout: float = 900.0,
    rust_debugger: bool = True,
) -> TraceResult:
    """Run one test selection (a pytest node id / path / -k expression, or a
    cargo test filter / Rust test symbol id) and return what it executed.
    `timeout` bounds the test run; Rust tests are compiled first, within
    `build_timeout`. `python` is the target's interpreter (default: the
    repository's .venv/venv, else this one). `rust_debugger=False` skips gdb
    for Rust (backtraces only).

    Raises TestNotFound when the selection matches no test and
    TraceSetupError when the tests cannot be run at all; a failing, hanging
    or crashing test is a result (`outcome`, `panic`), not an error.
    """
    selection = selection.strip()
    if not selection:
        raise BadTraceOptions("empty test selection: give a test id such as tests/test_x.py::test_y")
    options = TraceOptions(timeout, max_calls_recorded, repr_limit, max_symbols, python, build_timeout,
                           rust_debugger)
    index = index_of(workspace_or_root)
    tracer = tracer_for(language or language_of(index.root, selection))
    return await tracer.trace(index, selection, options)
