"""Which tests exercise a symbol: found through the index, no test run needed.

A test is a pytest function/method (`test*` functions in test files, `test*`
methods of `Test*` classes) or a Rust `#[test]` function. A test is
selected for symbol S when its own text names S ("direct"), or names a
non-test symbol whose text names S ("one-hop": the test calls a helper that
calls S). When nothing matches, the tests of S's module's conventional test
file are used ("naming": `shop/cart.py` -> `tests/test_cart.py`,
`src/ledger.rs` -> `tests/ledger.rs` and the file's own `mod tests`).

Node ids are what the runners take: pytest node ids, and
`TARGET_SOURCE::module::path::test_name` for Rust (see cargo_runner).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from symbols.index import RepoIndex
from symbols.model import Symbol, SymbolKind

from editor_harness.cargo_runner import package_dir

_RUST_TEST_ATTRIBUTE = re.compile(rb"#\[\s*(?:[A-Za-z_][\w]*::)*test\s*[\](]")
_TEST_DIRS = frozenset({"tests", "test", "testing"})


@dataclass(frozen=True, slots=True)
class SelectedTest:
    node_id: str
    symbol_id: str
    reason: str  # "direct" | "one-hop" | "naming"


def is_python_test_file(path: str) -> bool:
    pure = PurePosixPath(path)
    if pure.suffix != ".py" or pure.name == "conftest.py":
        return False
    return pure.name.startswith("test_") or pure.stem.endswith("_test") or bool(_TEST_DIRS & set(pure.parts[:-1]))


def _is_python_test(symbol: Symbol, by_id: dict[str, Symbol]) -> bool:
    if not symbol.name.startswith("test") or symbol.kind not in (SymbolKind.FUNCTION, SymbolKind.METHOD):
        return False
    if symbol.kind is SymbolKind.FUNCTION:
        return symbol.parent is not None and by_id[symbol.parent].is_module
    parent = by_id.get(symbol.parent or "")
    return parent is not None and parent.kind is SymbolKind.CLASS and parent.name.startswith("Test")


def _rust_module_path(source: str) -> tuple[str, str] | None:
    """(target root file, module path) for a package-relative Rust file, if it is in a target."""
    parts = PurePosixPath(source).parts
    if len(parts) >= 2 and parts[0] == "tests":
        return f"tests/{PurePosixPath(parts[1]).stem}.rs", ""
    if not parts or parts[0] != "src":
        return None
    if len(parts) >= 3 and parts[1] == "bin":
        return f"src/bin/{PurePosixPath(parts[2]).stem}.rs", ""
    inner = list(parts[1:])
    if inner and inner[-1] in ("lib.rs", "main.rs"):
        return None if len(inner) > 1 else (f"src/{inner[0]}", "")
    if inner and inner[-1] == "mod.rs":
        inner.pop()
    elif inner:
        inner[-1] = PurePosixPath(inner[-1]).stem
    return "", "::".join(inner)


class _TestFinder:
    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.root = Path(index.root)
        self._sources: dict[str, bytes] = {}

    def _source(self, path: str) -> bytes:
        if path not in self._sources:
            try:
                self._sources[path] = (self.root / path).read_bytes()
            except OSError:
                self._sources[path] = b""
        return self._sources[path]

    def node_id(self, symbol: Symbol) -> str | None:
        """The runner's id for a test symbol, or None when it is not a test."""
        file = self.index.file(symbol.path)
        by_id = file.by_id()
        if symbol.language == "python":
            if is_python_test_file(symbol.path) and _is_python_test(symbol, by_id):
                return f"{symbol.path}::{symbol.qualname.replace('.', '::')}"
            return None
        if symbol.language != "rust" or symbol.kind is not SymbolKind.FUNCTION:
            return None
        head = self._source(symbol.path)[symbol.start_byte : symbol.end_byte].split(b"fn ", 1)[0]
        if not _RUST_TEST_ATTRIBUTE.search(head):
            return None
        package = package_dir(self.root, symbol.path)
        inside = symbol.path[len(package) + 1 :] if package else symbol.path
        located = _rust_module_path(inside)
        if located is None:
            return None
        target, module = located
        if not target:
            target = "src/lib.rs" if (self.root / package / "src/lib.rs").is_file() else "src/main.rs"
        name = "::".join(filter(None, [module, symbol.qualname]))
        return f"{package + '/' if package else ''}{target}::{name}"

    def tests(self) -> list[tuple[Symbol, str]]:
        found: list[tuple[Symbol, str]] = []
        for symbol in self.index.symbols():
            if symbol.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD):
                node = self.node_id(symbol)
                if node is not None:
                    found.append((symbol, node))
        return found


def _search_names(index: RepoIndex, symbol: Symbol) -> set[str]:
    """The identifiers a caller of `symbol` would write."""
    if symbol.kind is SymbolKind.IMPL:
        return {symbol.name.split(" for ")[-1].removeprefix("impl ").strip()}
    if symbol.name.startswith("__") and symbol.name.endswith("__") and symbol.parent:
        return {index.symbol(symbol.parent).name}  # constructors and operators: the class is named
    return {symbol.name}


def _conventional_test_paths(path: str) -> set[str]:
    pure = PurePosixPath(path)
    stem = pure.stem
    if pure.suffix == ".py":
        return {f"test_{stem}.py", f"{stem}_test.py", f"tests_{stem}.py"}
    return {f"{stem}.rs", f"{stem}_test.rs", f"test_{stem}.rs"}


def select_tests(index: RepoIndex, symbol_id: str, *, limit: int = 50) -> tuple[SelectedTest, ...]:
    """Tests likely to exercise `symbol_id`, best first (direct, one-hop, naming)."""
    target = index.symbol(symbol_id)
    finder = _TestFinder(index)
    tests = finder.tests()
    test_ids = {symbol.id for symbol, _ in tests}
    if target.is_module:
        names = {index.symbol(c).name for c in target.children}
    else:
        names = _search_names(index, target)
    helpers = {
        s.name
        for s in index.symbols()
        if not s.is_module and s.id not in test_ids and s.id != target.id and names & set(s.references)
    }
    chosen: list[SelectedTest] = []
    for reason, wanted in (("direct", names), ("one-hop", helpers)):
        for symbol, node in tests:
            if symbol.id != target.id and wanted & set(symbol.references) and node not in {c.node_id for c in chosen}:
                chosen.append(SelectedTest(node, symbol.id, reason))
    if not chosen:
        conventional = _conventional_test_paths(target.path)
        for symbol, node in tests:
            if PurePosixPath(symbol.path).name in conventional or symbol.path == target.path:
                chosen.append(SelectedTest(node, symbol.id, "naming"))
    return tuple(chosen[:limit])


def node_ids_of_tests(index: RepoIndex) -> dict[str, str]:
    """Every test symbol id mapped to its runner node id."""
    return {symbol.id: node for symbol, node in _TestFinder(index).tests()}
