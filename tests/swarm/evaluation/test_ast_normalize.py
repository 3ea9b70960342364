from __future__ import annotations

from swarm.evaluation.ast_normalize import fingerprint, normalized, text_form, tree_sitter_form

PY = "def f(a, b):\n    return a + b\n"


def test_python_comments_whitespace_and_layout_do_not_count() -> None:
    reformatted = "# adds\ndef f( a,b ):  # two numbers\n\n    return (a\n            + b)\n"
    assert normalized("m.py", reformatted) == normalized("m.py", PY)
    assert normalized("m.py", PY).startswith("python-ast:")


def test_python_meaning_counts() -> None:
    assert normalized("m.py", PY.replace("a + b", "b + a")) != normalized("m.py", PY)
    assert normalized("m.py", PY.replace("def f", "def g")) != normalized("m.py", PY)
    # A docstring is code, not a comment.
    assert normalized("m.py", 'def f(a, b):\n    "doc"\n    return a + b\n') != normalized("m.py", PY)


def test_python_cpython_cannot_parse_falls_back_to_tree_sitter() -> None:
    py2 = "print 'hi'  # old\n"
    assert normalized("old.py", py2).startswith("tree-sitter:")
    assert normalized("old.py", py2) == normalized("old.py", "print   'hi'\n")


def test_rust_keeps_leaf_text_and_drops_comments() -> None:
    rust = "fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n"
    commented = "/// Adds.\nfn add(a: i64,\n       b: i64) -> i64 { // sum\n    a + b /* here */\n}\n"
    assert normalized("src/lib.rs", commented) == normalized("src/lib.rs", rust)
    assert normalized("src/lib.rs", rust.replace("a + b", "a - b")) != normalized("src/lib.rs", rust)
    form = tree_sitter_form("src/lib.rs", rust)
    assert form is not None and "'add'" in form


def test_other_files_compare_as_collapsed_lines() -> None:
    assert normalized("README.md", "a  b\n\n c\n") == normalized("README.md", "a b\nc")
    assert text_form("x\t y\n") == "x y"
    assert tree_sitter_form("README.md", "x") is None


def test_fingerprint_ignores_files_only_reformatted() -> None:
    before = {"m.py": PY, "n.py": "X = 1\n"}
    fixed = {"m.py": PY.replace("a + b", "a * b"), "n.py": "X = 1\n"}
    fixed_and_reformatted = {"m.py": PY.replace("a + b", "a*b") + "# end\n", "n.py": "X = (1)  # one\n"}
    assert fingerprint(before, fixed) == fingerprint(before, fixed_and_reformatted)
    assert fingerprint(before, fixed) != fingerprint(before, {"m.py": PY.replace("a + b", "a - b")})
    assert fingerprint({"m.py": PY}, {"m.py": PY + "\n# comment\n"}) == fingerprint({}, {})


def test_fingerprint_sees_new_and_deleted_files() -> None:
    assert fingerprint({}, {"new.py": "X = 1\n"}) != fingerprint({}, {})
    assert fingerprint({"old.py": "X = 1\n"}, {}) != fingerprint({}, {})
