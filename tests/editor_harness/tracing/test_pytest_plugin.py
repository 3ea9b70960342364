"""The injected plugin's pieces that need no test process: safe reprs and
the argument rendering. (Its tracing runs for real in test_python.py.)"""

from __future__ import annotations

import sys
from types import FrameType

from editor_harness.tracing import _pytest_plugin as plugin


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
