"""Source text reduced to what it means: comments, whitespace and layout gone.

    normalized("a.py", text)      # Python: ast.dump of the module
    fingerprint(before, after)    # one key per patch's effect, for deduplication

Python goes through CPython's own parser (`ast.dump` without positions), so
two spellings of the same code agree exactly; text CPython cannot parse
(Python 2, a newer grammar) falls back to the tree-sitter form. Rust (and
any language symbols/ knows) is a tree-sitter S-expression with the text of
every leaf and without comment nodes (tree-sitter's own `sexp` omits leaf
text, which would make `a + b` equal `c + d`). Other files: their
non-blank lines with whitespace runs collapsed.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
from collections.abc import Mapping

import tree_sitter as ts

from symbols.languages import language_for_path
from symbols.scope import parse

_SPACES = re.compile(r"\s+")
DELETED = "<deleted>"


def _python_ast(text: str) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _sexp(node: ts.Node, out: list[str]) -> None:
    if "comment" in node.type:
        return
    if node.child_count == 0:
        text = (node.text or b"").decode("utf-8", "replace")
        out.append(f"({node.type} {text!r})")
        return
    out.append(f"({node.type}")
    for child in node.children:
        _sexp(child, out)
    out.append(")")


def tree_sitter_form(path: str, text: str) -> str | None:
    """The S-expression with leaf text and no comments; None for a language symbols/ lacks."""
    language = language_for_path(path)
    if language is None:
        return None
    out: list[str] = []
    _sexp(parse(language, text.encode("utf-8")).root_node, out)
    return " ".join(out)


def text_form(text: str) -> str:
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines() if line.strip())


def normalized(path: str, text: str) -> str:
    """`text` (the contents of `path`) with comments, whitespace and layout removed."""
    if path.endswith((".py", ".pyi")):
        dumped = _python_ast(text)
        if dumped is not None:
            return "python-ast:" + dumped
    form = tree_sitter_form(path, text)
    if form is not None:
        return "tree-sitter:" + form
    return "text:" + text_form(text)


def fingerprint(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """A key for what a patch does: the normalized post-image of every file it
    changes in meaning. Files a patch only reformats drop out, so two patches
    that differ only in comments, whitespace or formatting get the same key."""
    parts: list[str] = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        new_form = normalized(path, new) if new is not None else DELETED
        old_form = normalized(path, old) if old is not None else DELETED
        if new_form != old_form:
            parts.append(f"{path}\0{new_form}")
    return hashlib.sha256("\0\0".join(parts).encode("utf-8")).hexdigest()
