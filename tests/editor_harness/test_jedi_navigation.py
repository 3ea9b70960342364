"""JediNavigation's index-side helpers: base classes from signatures, implementers."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.jedi_navigation import JediNavigation, class_bases
from editor_harness.server_navigation import NavigationError
from symbols.index import RepoIndex

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("signature", "bases"),
    [
        ("class A", []),
        ("class A()", []),
        ("class A(B)", ["B"]),
        ("class A(pkg.mod.B, C[int, str], metaclass=abc.ABCMeta)", ["B", "C"]),
        ("class A[T](Generic[T], Protocol)", ["Generic", "Protocol"]),
        ("class A(*bases, **kw)", []),
        ("class A(Mapping[str, tuple[int, int]], B)", ["Mapping", "B"]),
    ],
)
def test_class_bases(signature: str, bases: list[str]) -> None:
    assert class_bases(signature) == bases


def test_protocol_implementers_are_structural(python_repo: Path) -> None:
    index = RepoIndex.build(python_repo)
    jedi_nav = JediNavigation(python_repo, index)
    protocol = index.symbol("shop/discounts.py::Discount")
    assert [s.id for s in jedi_nav.structural_implementers(protocol)] == [
        "shop/discounts.py::PercentOff",
        "shop/discounts.py::BulkDiscount",
    ]
    assert jedi_nav.structural_implementers(index.symbol("shop/discounts.py::PercentOff")) == []
    assert jedi_nav.implementers(index.symbol("shop/discounts.py::parse_coupon")) == []


async def test_external_and_compiled_definitions(python_repo: Path) -> None:
    (python_repo / "shop" / "uses_builtins.py").write_text("import os\n\nx = len([1])\ny = os.path.join('a', 'b')\n")
    jedi_nav = JediNavigation(python_repo, RepoIndex.build(python_repo))
    joined = await jedi_nav.definition("shop/uses_builtins.py", 4, 12)
    assert joined and joined[0].external and joined[0].path.endswith(".py")
    with pytest.raises(NavigationError, match="past the end"):
        await jedi_nav.definition("shop/uses_builtins.py", 3, 40)


def test_bad_interpreter_is_a_clear_error(python_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(NavigationError, match="cannot use"):
        JediNavigation(python_repo, RepoIndex.build(python_repo), python=str(tmp_path / "no-python"))
