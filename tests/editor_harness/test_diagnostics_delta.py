from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from editor_harness.diagnostics_delta import LineMap, anchor_text, diagnostics_delta
from editor_harness.diagnostics_types import Diagnostic

BEFORE = """\
import os

def f(x):
    return x + undefined_a

def g():
    return undefined_b
"""


def diag(line: int, column: int, end_column: int, message: str, *, path: str = "m.py", code: str | None = "reportUndefinedVariable", severity: str = "error") -> Diagnostic:
    return Diagnostic(path, line, column, line, end_column, severity, message, code, "pyright")


A = diag(4, 15, 26, '"undefined_a" is not defined')
B = diag(7, 11, 22, '"undefined_b" is not defined')


def test_nothing_changed_means_empty_delta() -> None:
    assert diagnostics_delta([A, B], [A, B], before_text=BEFORE, after_text=BEFORE) == ((), ())


def test_line_shift_above_is_not_a_new_error() -> None:
    after_text = "# header\n# more\n" + BEFORE
    shifted = [diag(6, 15, 26, A.message), diag(9, 11, 22, B.message)]
    assert diagnostics_delta([A, B], shifted, before_text=BEFORE, after_text=after_text) == ((), ())


def test_rewritten_function_keeping_its_error_is_not_new() -> None:
    # f grows two lines; its error moves with it, g's error shifts below.
    after_text = BEFORE.replace("def f(x):\n", "def f(x):\n    y = 1\n    z = 2\n")
    after = [diag(6, 15, 26, A.message), diag(9, 11, 22, B.message)]
    assert diagnostics_delta([A, B], after, before_text=BEFORE, after_text=after_text) == ((), ())


def test_introduced_and_fixed() -> None:
    after_text = BEFORE.replace("return undefined_b", "return 1").replace("x + undefined_a", "x + undefined_a + nope")
    new = diag(4, 29, 33, '"nope" is not defined')
    introduced, fixed = diagnostics_delta([A, B], [A, new], before_text=BEFORE, after_text=after_text)
    assert introduced == (new,)
    assert fixed == (B,)


def test_one_more_identical_error_counts() -> None:
    text = "a = b\nc = b\n"
    first = diag(1, 4, 5, '"b" is not defined')
    second = diag(2, 4, 5, '"b" is not defined')
    after_text = "a = b\nc = b\nd = b\n"
    third = diag(3, 4, 5, '"b" is not defined')
    introduced, fixed = diagnostics_delta([first, second], [first, second, third], before_text=text, after_text=after_text)
    assert introduced == (third,) and fixed == ()


def test_error_whose_line_was_edited_keeps_its_identity() -> None:
    after_text = BEFORE.replace("x + undefined_a", "x * 2 + undefined_a")
    moved = diag(4, 19, 30, A.message)
    assert diagnostics_delta([A], [moved], before_text=BEFORE, after_text=after_text) == ((), ())


def test_wide_error_starting_on_an_unchanged_line_survives_edits_inside() -> None:
    # A range over the whole of f: its text changed, its start did not.
    wide = Diagnostic("m.py", 3, 0, 4, 26, "error", "Function is too complex", "complexity", "linter")
    after_text = BEFORE.replace("x + undefined_a", "x - undefined_a")
    wide_after = Diagnostic("m.py", 3, 0, 4, 26, "error", "Function is too complex", "complexity", "linter")
    assert diagnostics_delta([wide], [wide_after], before_text=BEFORE, after_text=after_text) == ((), ())


def test_changed_message_is_fixed_plus_introduced() -> None:
    other = diag(4, 15, 26, '"undefined_a" is possibly unbound', code="reportPossiblyUnbound")
    introduced, fixed = diagnostics_delta([A], [other], before_text=BEFORE, after_text=BEFORE)
    assert introduced == (other,) and fixed == (A,)


def test_without_texts_matching_falls_back_to_messages() -> None:
    moved = diag(40, 0, 1, A.message)
    assert diagnostics_delta([A], [moved]) == ((), ())
    assert diagnostics_delta([A], [moved, diag(41, 0, 1, A.message)])[0] == (diag(41, 0, 1, A.message),)


def test_files_are_kept_apart_with_a_text_per_file() -> None:
    caller = diag(1, 0, 3, "Expected 1 positional argument", path="caller.py", code="reportCallIssue")
    texts = {"m.py": BEFORE, "caller.py": "f(1, 2)\n"}
    introduced, fixed = diagnostics_delta([A], [A, caller], before_text=texts, after_text=texts)
    assert introduced == (caller,) and fixed == ()


def test_anchor_is_the_covered_text() -> None:
    lines = BEFORE.splitlines()
    assert anchor_text(A, lines) == "undefined_a"
    empty = diag(4, 4, 4, "zero width")
    assert anchor_text(empty, lines) == "return x + undefined_a"
    multi = Diagnostic("m.py", 3, 0, 4, 10, "error", "m", None, "s")
    assert anchor_text(multi, lines) == "def f(x): return"
    assert anchor_text(diag(99, 0, 1, "past the end"), lines) == ""


def test_line_map() -> None:
    line_map = LineMap("a\nb\nc\nd\n", "a\nX\nY\nc\nd\n")
    assert line_map.map(1) == 1
    assert line_map.map(2) is None
    assert line_map.map(3) == 4 and line_map.map(4) == 5


messages = st.sampled_from(["m1", "m2", "m3"])
items = st.builds(lambda line, msg: diag(line, 0, 1, msg), st.integers(1, 30), messages)


@given(st.lists(items, max_size=12))
def test_identical_lists_have_no_delta(diagnostics: list[Diagnostic]) -> None:
    assert diagnostics_delta(diagnostics, list(reversed(diagnostics))) == ((), ())


@given(st.lists(items, max_size=8), st.lists(items, max_size=8))
def test_counts_balance(before: list[Diagnostic], after: list[Diagnostic]) -> None:
    introduced, fixed = diagnostics_delta(before, after)
    # Whatever is paired is paired once: sizes balance exactly.
    assert len(after) - len(introduced) == len(before) - len(fixed)
    for item in introduced:
        assert item in after
    for item in fixed:
        assert item in before


words = st.text(alphabet="abcxyz_ =+()", min_size=1, max_size=12)


@given(st.lists(words, min_size=3, max_size=15), st.data())
def test_inserting_lines_anywhere_moves_nothing_into_the_delta(lines: list[str], data: st.DataObject) -> None:
    text = "\n".join(lines) + "\n"
    spots = data.draw(st.lists(st.integers(1, len(lines)), min_size=1, max_size=6))
    before = []
    for line in spots:
        width = len(lines[line - 1])
        start = data.draw(st.integers(0, width - 1))
        before.append(diag(line, start, data.draw(st.integers(start + 1, width)), data.draw(messages)))
    at = data.draw(st.integers(0, len(lines)))  # new lines go before line at + 1
    inserted = data.draw(st.integers(1, 4))
    after_text = "\n".join([*lines[:at], *["# new"] * inserted, *lines[at:]]) + "\n"
    after = [
        Diagnostic(d.path, d.line + inserted if d.line > at else d.line, d.column, d.line + inserted if d.line > at else d.line, d.end_column, d.severity, d.message, d.code, d.source)
        for d in before
    ]
    assert diagnostics_delta(before, after, before_text=text, after_text=after_text) == ((), ())
