"""What an issue names, found in the repository: the material a small model
needs to draft a reproduction test without exploring on its own.

    blocks = code_blocks(issue)                  # fenced code, with its language tag
    names = issue_names(issue)                   # identifiers the issue's code uses
    defs = definitions_text(index, names)        # "id: signature" of their definitions
    path, head = example_test(root, index, names, language)   # an existing test to copy imports from
    target = reproduction_path(root, language)   # where the drafted test goes

Pure functions of the issue text and the index (plus reads of test files).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from editor_harness.selection import is_python_test_file
from swarm.local_model.prompt_budget import fit_lines
from symbols.index import RepoIndex

_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INLINE = re.compile(r"`([^`\n]+)`")
MAX_NAMES = 24
EXAMPLE_TEST_TOKENS = 450
_NOISE = frozenset(keyword.kwlist) | {
    "self", "print", "let", "mut", "fn", "unwrap", "new", "expected", "assert", "assert_eq", "true", "false",
    "i32", "i64", "u32", "u64", "usize", "str", "String", "int", "float", "list", "dict", "main", "thread",
    "panicked", "called", "Result", "Err", "Ok", "value", "src", "rs", "py",
}


@dataclass(frozen=True, slots=True)
class CodeBlock:
    language: str   # the fence's tag ("python", "rust", "" when none)
    text: str


def code_blocks(issue: str) -> tuple[CodeBlock, ...]:
    return tuple(CodeBlock(m.group(1).lower(), m.group(2).strip("\n")) for m in _FENCE.finditer(issue))


_OPEN_FENCE = re.compile(r"^```[A-Za-z0-9_+-]*\s*$")
_CLOSE_FENCE = re.compile(r"^```\s*$")


def unfence(code: str) -> str:
    """The code inside the first markdown fence a small model wrapped its
    answer in (```python ... ```, with or without prose around it); `code`
    unchanged when no line opens a fence at column 0 (a fence inside a
    docstring or a doc comment is indented or prefixed, so it stays)."""
    lines = code.splitlines()
    for start, line in enumerate(lines):
        if _OPEN_FENCE.match(line):
            for end in range(start + 1, len(lines)):
                if _CLOSE_FENCE.match(lines[end]):
                    return "\n".join(lines[start + 1:end])
            return "\n".join(lines[start + 1:])
    return code


def issue_names(issue: str) -> tuple[str, ...]:
    """Identifiers of the issue's code blocks and `inline code`, first seen first."""
    texts = [b.text for b in code_blocks(issue)] + _INLINE.findall(issue)
    seen: dict[str, None] = {}
    for text in texts:
        for name in _IDENT.findall(text):
            if len(name) > 1 and name not in _NOISE:
                seen.setdefault(name, None)
    return tuple(seen)[:MAX_NAMES]


def _is_test_path(path: str) -> bool:
    parts = Path(path).parts
    return is_python_test_file(path) or (path.endswith(".rs") and bool(parts) and parts[0] == "tests")


def definitions_text(index: RepoIndex, names: Iterable[str], limit: int = 10) -> str:
    """One line per repository definition of the names (tests left out)."""
    lines: list[str] = []
    seen: set[str] = set()
    for name in names:
        for symbol in index.definitions(name)[:2]:
            if symbol.id in seen or symbol.is_module or _is_test_path(symbol.path):
                continue
            seen.add(symbol.id)
            lines.append(f"- {symbol.id}: {symbol.signature or symbol.kind.value}")
    return "\n".join(lines[:limit])


def test_files(index: RepoIndex, language: str) -> list[str]:
    suffix = ".rs" if language == "rust" else ".py"
    paths = {s.path for s in index.symbols() if s.path.endswith(suffix) and _is_test_path(s.path)}
    return sorted(paths)


def example_test(root: Path, index: RepoIndex, names: Sequence[str], language: str) -> tuple[str, str]:
    """(path, opening lines) of the existing test file that uses most of the
    names: its imports, fixtures and helpers show how a new test must start.
    ("", "") when the repository has no test file."""
    best, best_score = "", -1
    for path in test_files(index, language):
        try:
            text = (root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        words = set(_IDENT.findall(text))
        score = sum(1 for n in names if n in words)
        if score > best_score:
            best, best_score = path, score
    if not best:
        return "", ""
    text = (root / best).read_text(encoding="utf-8", errors="replace")
    return best, fit_lines(text.strip(), EXAMPLE_TEST_TOKENS)


def reproduction_path(root: Path, language: str) -> str:
    """A new test file's path that the language's runner collects, not taken yet."""
    if language == "rust":
        stem, folder, suffix = "swarm_repro", "tests", ".rs"
    else:
        stem, suffix = "test_swarm_repro", ".py"
        folder = "tests" if (root / "tests").is_dir() else ""
    for n in range(1, 100):
        name = f"{stem}{'' if n == 1 else n}{suffix}"
        rel = f"{folder}/{name}" if folder else name
        if not (root / rel).exists():
            return rel
    raise FileExistsError(f"no free reproduction file name under {root / folder}")
