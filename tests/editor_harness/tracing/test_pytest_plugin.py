"""The injected plugin's pieces that need no test process: safe reprs and
the argument rendering. (Its tracing runs for real in test_python.py.)"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType

import pytest

from editor_harness.trace import trace_test
from editor_harness.tracing import _pytest_plugin as plugin
from tests.editor_harness.tracing.conftest import target_python


class Loud:
    def __repr__(self) -> str:
        raise KeyError("nope")


class Plain:
    def __init__(self, name: str = "x" * 50) -> None:
        self.a = 1
        self.name = name
        self.me = self


class Weird:
    def __repr__(self) -> str:
        return 42  # type: ignore[return-value]


def test_safe_repr_never_raises_and_stays_short() -> None:
    reprs = plugin._SafeRepr(40)

    assert reprs.safe(Loud()) == "<unreprable Loud>"
    assert reprs.safe(Weird()) == "<unreprable Weird>"
    assert reprs.safe(10 ** 5000) == "<unreprable int>"  # past int's max str digits
    assert len(reprs.safe(list(range(1000)))) <= 40
    assert len(reprs.safe("y" * 1000)) <= 40
    plain = reprs.safe(Plain())
    assert plain.startswith("Plain(a=1, name='xxx") and len(plain) <= 40
    nested: list = []
    nested.append(nested)
    assert len(reprs.safe(nested)) <= 40


def test_plain_objects_show_their_fields_to_a_bounded_depth() -> None:
    reprs = plugin._SafeRepr(200)
    assert reprs.safe(Plain("xy")) == (
        "Plain(a=1, name='xy', me=Plain(a=1, name='xy', me=Plain(a=1, name='xy', me=Plain(...))))"
    )


def test_shorten_keeps_both_ends() -> None:
    assert plugin._shorten("abcdefghij", 20) == "abcdefghij"
    short = plugin._shorten("a" * 50 + "END", 20)
    assert len(short) == 20 and short.endswith("END") and "..." in short


def test_arguments_in_signature_order() -> None:
    recorder = plugin._Recorder.__new__(plugin._Recorder)
    recorder.reprs = plugin._SafeRepr(50)
    captured: list[FrameType] = []

    def f(a, b=2, *rest, c, d=4, **options):  # noqa: ANN001, ANN002, ANN003
        captured.append(sys._getframe())

    f(1, 2, 3, c=5, e=6)
    assert recorder.arguments(captured[0]) == "a=1, b=2, *rest=(3,), c=5, d=4, **options={'e': 6}"
    f(1, c=5)
    assert recorder.arguments(captured[1]) == "a=1, b=2, c=5, d=4"


# The plugin inside real pytest runs (default interpreter: ours, settrace;
# 3.12: sys.monitoring), on test shapes projects really have.

CASES = '''\
import os
import threading

import pytest

from shop.money import Money


def decorate(fn):
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    wrapper.__wrapped__ = fn
    return wrapper


@decorate
def doubled(x):
    return x * 2


def test_decorated_and_nested():
    def inner(y):
        return doubled(y) + 1
    assert inner(2) == 5


class TestMoney:
    def test_in_a_class(self):
        assert Money.parse("1.50").cents == 150


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def test_setup_fails(broken):
    pass


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_expected_to_fail():
    assert doubled(1) == 3


def test_in_a_thread():
    results = []
    worker = threading.Thread(target=lambda: results.append(doubled(21)))
    worker.start()
    worker.join()
    assert results == [42]


def test_changes_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import shop.late_import  # noqa: F401
    assert doubled(4) == 8
'''


@pytest.fixture
def cases_repo(python_repo: Path) -> Path:
    (python_repo / "tests" / "test_cases.py").write_text(CASES)
    (python_repo / "shop" / "late_import.py").write_text("from shop.money import Money\n\nONE = Money.parse('1')\n")
    return python_repo


@pytest.mark.anyio
@pytest.mark.parametrize("minor", [None, "3.12"])
async def test_decorated_nested_and_class_based_tests_map_to_their_symbols(cases_repo: Path, minor: str | None) -> None:
    python = target_python(minor) if minor else None
    nested = await trace_test(cases_repo, "tests/test_cases.py::test_decorated_and_nested", timeout=120, python=python)
    ids = [s.symbol_id for s in nested.symbols]
    assert ids == [
        "tests/test_cases.py::test_decorated_and_nested",
        "tests/test_cases.py::test_decorated_and_nested.inner",
        "tests/test_cases.py::decorate.wrapper",
        "tests/test_cases.py::doubled",
    ]
    assert [s.symbol_id for s in nested.symbols if s.is_test] == ["tests/test_cases.py::test_decorated_and_nested"]

    in_class = await trace_test(cases_repo, "tests/test_cases.py::TestMoney::test_in_a_class", timeout=120,
                                python=python)
    test = in_class.symbol("tests/test_cases.py::TestMoney.test_in_a_class")
    assert test is not None and test.is_test
    assert test.first_calls[0].args_repr.startswith("self=")


@pytest.mark.anyio
async def test_setup_errors_skips_and_xfails_have_their_own_outcomes(cases_repo: Path) -> None:
    setup = await trace_test(cases_repo, "tests/test_cases.py::test_setup_fails", timeout=120)
    assert setup.outcome == "error"
    assert setup.panic is not None and setup.panic.message == "RuntimeError: fixture exploded"
    assert setup.panic.symbol_id == "tests/test_cases.py::broken"
    assert setup.symbol("tests/test_cases.py::test_setup_fails") is None  # never called

    skipped = await trace_test(cases_repo, "tests/test_cases.py::test_skipped", timeout=120)
    assert skipped.outcome == "skipped" and skipped.symbols == () and skipped.panic is None

    xfail = await trace_test(cases_repo, "tests/test_cases.py::test_expected_to_fail", timeout=120)
    assert xfail.outcome == "skipped"  # an expected failure is not a failure
    doubled = xfail.symbol("tests/test_cases.py::doubled")
    assert doubled is not None and doubled.first_calls[0].return_repr == "2"


@pytest.mark.anyio
@pytest.mark.parametrize("minor", [None, "3.12"])
async def test_threads_and_a_changed_directory_are_still_traced(cases_repo: Path, minor: str | None) -> None:
    python = target_python(minor) if minor else None
    threaded = await trace_test(cases_repo, "tests/test_cases.py::test_in_a_thread", timeout=120, python=python)
    doubled = threaded.symbol("tests/test_cases.py::doubled")
    assert doubled is not None and doubled.first_calls[0].args_repr == "x=21"

    moved = await trace_test(cases_repo, "tests/test_cases.py::test_changes_directory", timeout=120, python=python)
    assert moved.outcome == "passed"
    module = moved.symbol("shop/late_import.py::<module>")
    assert module is not None and module.calls == 1  # imported during the test: its body ran
    assert moved.symbol("shop/money.py::Money.parse") is not None


@pytest.mark.anyio
async def test_a_keyword_selection_traces_every_test_it_picks(cases_repo: Path) -> None:
    result = await trace_test(cases_repo, "doubled or thread or decorated", timeout=120)

    assert {t.test_id for t in result.tests} == {
        "tests/test_cases.py::test_decorated_and_nested", "tests/test_cases.py::test_in_a_thread"}
    doubled = result.symbol("tests/test_cases.py::doubled")
    assert doubled is not None and doubled.calls == 2
