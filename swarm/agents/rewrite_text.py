"""Repairs of how a small model wraps the text of a whole-symbol rewrite.

    new_source = unwrap_container(text, workspace.symbol(symbol_id))

A 1.5B model asked for the new text of a method often answers with the
method inside its class (`class Cart:` + `def add`), or inside its `impl`
block in Rust. The harness rightly refuses that (it would define a second
`Cart`), so the model's only fix is lost to a formality. When the wrapper
holds the very symbol asked for (alone, or with the rest of the class
re-sent around it), that symbol's text is the answer.
"""

from __future__ import annotations

import textwrap

from symbols.errors import SymbolsError
from symbols.model import Symbol
from symbols.scope import scope_source

# Rust joins path segments with "::", Python with ".".
_SEPARATORS = (".", "::")


def unwrap_container(code: str, symbol: Symbol) -> str:
    """The member's own text (dedented) when `code` is one container holding
    `symbol`'s definition once; `code` unchanged otherwise."""
    source = code.encode("utf-8")
    try:
        scoped = scope_source(symbol.path, source)
    except SymbolsError:
        return code
    if scoped.has_errors:
        return code
    module = scoped.module.id
    tops = [s for s in scoped.symbols[1:] if s.parent == module]
    if len(tops) != 1 or not tops[0].children:
        return code
    by_id = scoped.by_id()
    # The whole class re-sent with the method in it: the method is the answer
    # (the agent owns nothing else; the harness says so if it changed nothing).
    named = [by_id[c] for c in tops[0].children if by_id[c].name == symbol.name]
    if len(named) != 1 or not _same_definition(named[0].qualname, symbol.qualname):
        return code  # absent, or defined twice (which one would the model mean?)
    member = named[0]
    line_start = source.rfind(b"\n", 0, member.start_byte) + 1
    return textwrap.dedent(source[line_start:member.end_byte].decode("utf-8")).rstrip() + "\n"


def _same_definition(found: str, wanted: str) -> bool:
    """`found` names `wanted`, perhaps without `wanted`'s outer containers."""
    return found == wanted or any(wanted.endswith(sep + found) for sep in _SEPARATORS)
