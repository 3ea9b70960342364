"""PythonTracer against real pytest runs: faults, old and new interpreters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from editor_harness.trace import trace_test
from editor_harness.tracing.errors import TraceSetupError
from editor_harness.tracing.python import pytest_args, resolve_python
from tests.conftest import git, make_repo
from tests.editor_harness.tracing.conftest import target_python

pytestmark = pytest.mark.anyio

FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"
FAULTS = "tests/test_faults.py"


@pytest.mark.parametrize(
    ("minor", "tracer"),
    [("3.8", "sys.settrace"), ("3.10", "sys.settrace"), ("3.11", "sys.settrace"),
     ("3.12", "sys.monitoring"), ("3.13", "sys.monitoring")],
)
async def test_each_interpreter_traces_the_failing_example(python_repo: Path, minor: str, tracer: str) -> None:
    result = await trace_test(python_repo, FAILING, timeout=120, python=target_python(minor))

    assert result.tracer.startswith(f"{tracer} (Python {minor}.")
    assert result.outcome == "failed"
    applies_to = result.symbol(APPLIES_TO)
    assert applies_to is not None
    assert [(c.args_repr, c.return_repr) for c in applies_to.first_calls] == [
        ("self=BulkDiscount(min_quantity=10, pct=5), quantity=10", "False")
    ]


async def test_python_3_6_runs_the_injected_plugin(tmp_path: Path) -> None:
    """The oldest interpreter supported: a project with no 3.7+ syntax."""
    python = target_python("3.6")
    repo = tmp_path / "old"
    (repo / "calc").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "calc" / "__init__.py").write_text("")
    (repo / "calc" / "ops.py").write_text(
        "class Adder(object):\n"
        "    def __init__(self, base):\n"
        "        self.base = base\n\n"
        "    def add(self, x, *more, **opts):\n"
        "        return self.base + x + sum(more)\n"
    )
    (repo / "tests" / "test_ops.py").write_text(
        "from calc.ops import Adder\n\n\ndef test_add():\n    assert Adder(1).add(2, 3, scale=1) == 7\n"
    )
    (repo / "setup.cfg").write_text("[tool:pytest]\ntestpaths = tests\n")
    (repo / "conftest.py").write_text("")
    result = await trace_test(repo, "tests/test_ops.py::test_add", timeout=120, python=python)

    assert result.tracer.startswith("sys.settrace (Python 3.6.")
    assert result.outcome == "failed"  # 1 + 2 + 3 == 6
    add = result.symbol("calc/ops.py::Adder.add")
    assert add is not None
    assert add.first_calls[0].args_repr == "self=Adder(base=1), x=2, *more=(3,), **opts={'scale': 1}"
    assert add.first_calls[0].return_repr == "6"


async def test_settrace_and_monitoring_agree_on_calls_generators_and_recursion(python_faults_repo: Path) -> None:
    selection = f"{FAULTS}::test_generators_and_recursion"
    old = await trace_test(python_faults_repo, selection, timeout=120, python=target_python("3.11"))
    new = await trace_test(python_faults_repo, selection, timeout=120, python=target_python("3.12"))

    for result in (old, new):
        assert result.outcome == "passed"
        countdown = result.symbol(f"{FAULTS}::countdown")
        assert countdown is not None and countdown.calls == 1  # resumes are not calls
        assert countdown.first_calls[0].args_repr == "n=3"
        assert countdown.first_calls[0].yielded_repr == "3"
        assert countdown.first_calls[0].return_repr == "'liftoff'"
        parse = result.symbol("shop/money.py::Money.parse")
        assert parse is not None and parse.calls == 10 and len(parse.first_calls) == 3
        deep = result.symbol(f"{FAULTS}::fails_deep")
        assert deep is not None and deep.calls == 3
        assert [c.args_repr for c in deep.first_calls] == ["n=2", "n=1", "n=0"]
        assert all(c.raised_repr == "ValueError('bottom')" for c in deep.first_calls)
    assert [(s.symbol_id, s.calls) for s in old.symbols] == [(s.symbol_id, s.calls) for s in new.symbols]


async def test_a_hanging_test_is_killed_and_says_where_it_hung(python_faults_repo: Path) -> None:
    for minor, selection, where in (("3.12", "test_hangs_in_a_loop", "spin"), ("3.11", "test_sleeps", "test_sleeps")):
        result = await trace_test(python_faults_repo, f"{FAULTS}::{selection}", timeout=4, python=target_python(minor))

        assert result.outcome == "timeout"
        assert result.panic is not None and result.panic.kind == "timeout"
        assert result.panic.symbol_id == f"{FAULTS}::{where}"
        assert result.panic.message.startswith("timed out after 4 s")
        parse = result.symbol("shop/money.py::Money.parse")
        assert parse is not None and parse.first_calls[0].return_repr == "Money(cents=100)"
        assert [t.outcome for t in result.tests] == ["timeout"]
        assert "partial" in result.note


async def test_a_crashing_test_process_leaves_a_partial_trace(python_faults_repo: Path) -> None:
    exited = await trace_test(python_faults_repo, f"{FAULTS}::test_exits_hard", timeout=60)
    assert exited.outcome == "crashed"
    assert exited.panic is not None and exited.panic.kind == "crash"
    assert "exited with status 3" in exited.panic.message
    assert exited.symbol("shop/money.py::Money.parse") is not None
    assert "lower bounds" in exited.note

    crashed = await trace_test(python_faults_repo, f"{FAULTS}::test_segfaults", timeout=60)
    assert crashed.outcome == "crashed"
    assert crashed.panic is not None and "Segmentation fault" in crashed.panic.message
    assert crashed.panic.symbol_id == f"{FAULTS}::test_segfaults"


async def test_a_broken_repr_never_breaks_the_test(python_faults_repo: Path) -> None:
    result = await trace_test(python_faults_repo, f"{FAULTS}::test_bad_repr_does_not_break_the_test", timeout=60)

    assert result.outcome == "passed"
    takes = result.symbol(f"{FAULTS}::takes")
    assert takes is not None
    call = takes.first_calls[0]
    assert call.args_repr == "x=<unreprable Unprintable>, *rest=(1, 2), **options={'key': <unreprable Unprintable>}"
    assert call.return_repr == "<unreprable Unprintable>"


async def test_a_collection_error_is_an_error_outcome_not_a_crash(python_repo: Path) -> None:
    (python_repo / "tests" / "test_broken.py").write_text("import shop.nowhere\n\ndef test_x():\n    pass\n")
    result = await trace_test(python_repo, "tests/test_broken.py", timeout=60)

    assert result.outcome == "error"
    assert result.panic is not None and "shop.nowhere" in result.panic.message


async def test_an_interpreter_without_pytest_is_a_setup_error(python_repo: Path, tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    with pytest.raises(TraceSetupError, match="has no pytest"):
        await trace_test(python_repo, FAILING, timeout=60, python=str(venv / "bin" / "python"))
    with pytest.raises(TraceSetupError, match="no Python interpreter"):
        await trace_test(python_repo, FAILING, timeout=60, python=str(tmp_path / "nope" / "python"))


async def test_caps_on_symbols_calls_and_repr_length(python_faults_repo: Path) -> None:
    result = await trace_test(python_faults_repo, f"{FAULTS}::test_generators_and_recursion", timeout=60,
                              max_symbols=2, max_calls_recorded=1, repr_limit=10)

    assert result.truncated and len(result.symbols) == 2
    assert "the first 2 are listed" in result.note
    assert all(len(s.first_calls) <= 1 for s in result.symbols)
    long_run = await trace_test(python_faults_repo, f"{FAULTS}::test_generators_and_recursion", timeout=60,
                                repr_limit=10)
    countdown = long_run.symbol(f"{FAULTS}::countdown")
    assert countdown is not None and countdown.first_calls[0].return_repr == "'liftoff'"
    (python_faults_repo / "shop" / "big.py").write_text("def big(x):\n    return x\n")
    (python_faults_repo / "tests" / "test_big.py").write_text(
        "from shop.big import big\n\ndef test_big():\n    assert big('y' * 500)\n"
    )
    big = await trace_test(python_faults_repo, "tests/test_big.py", timeout=60, repr_limit=20)
    symbol = big.symbol("shop/big.py::big")
    assert symbol is not None
    assert len(symbol.first_calls[0].args_repr) <= len("x=") + 20
    assert "..." in symbol.first_calls[0].args_repr


def test_the_repository_venv_is_the_default_interpreter(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "python_shop")
    assert resolve_python(repo, None) == sys.executable
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "python").symlink_to(sys.executable)
    assert resolve_python(repo, None) == str(repo / ".venv" / "bin" / "python")
    git(repo, "status")  # still a healthy repository


def test_selections_become_pytest_arguments(python_repo: Path) -> None:
    assert pytest_args(FAILING, python_repo) == [FAILING]
    assert pytest_args("tests/test_cart.py", python_repo) == ["tests/test_cart.py"]
    assert pytest_args("tests", python_repo) == ["tests"]
    assert pytest_args("bulk and not coupon", python_repo) == ["-k", "bulk and not coupon"]


async def test_a_project_running_xdist_is_traced_in_one_process(python_repo: Path) -> None:
    python = target_python("3.12")
    pyproject = python_repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('testpaths = ["tests"]', 'testpaths = ["tests"]\naddopts = "-n 2"'))
    result = await trace_test(python_repo, FAILING, timeout=120, python=python)

    assert result.outcome == "failed"
    assert "pytest-xdist was switched off" in result.note
    applies_to = result.symbol(APPLIES_TO)
    assert applies_to is not None and applies_to.calls == 1
