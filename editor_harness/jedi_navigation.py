"""Python navigation in-process with Jedi: definitions, references, hover, implementations.

One `jedi.Project` per workspace root (Jedi caches modules per project).
Jedi runs in the calling thread: warm requests take milliseconds, and a
cold `infer` (~1-2 s) is CPU work that a thread would not make faster under
the GIL; the methods are `async` only to share the NavigationSource protocol.

Jedi has no "implementations" request. They come from the index instead:
subclasses of a class (transitively, checked with Jedi that the base name
really resolves to that class), classes that structurally implement a
`typing.Protocol` (define all its methods), and for a method, the methods of
the same name in those classes.
"""

from __future__ import annotations

import re
from pathlib import Path

import jedi
from jedi.api.classes import BaseName

from symbols.index import RepoIndex
from symbols.model import Symbol, SymbolKind

from editor_harness.server_navigation import Location, NavigationError

_BASES = re.compile(r"^class\s+\w+\s*(?:\[[^\]]*\])?\s*\((.*)\)\s*$", re.DOTALL)


def class_bases(signature: str) -> list[str]:
    """Base class names from a class signature (`class A(b.B, C[int], metaclass=M)` -> ["B", "C"])."""
    match = _BASES.match(signature)
    if not match:
        return []
    depth, current, parts = 0, "", []
    for char in match.group(1):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    names = []
    for part in (p.strip() for p in parts):
        if not part or "=" in part.split("[")[0] or part.startswith("*"):
            continue
        names.append(part.split("[")[0].split(".")[-1].strip())
    return names


class JediNavigation:
    """Navigation for the Python files of one workspace."""

    def __init__(self, root: Path, index: RepoIndex, *, python: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.index = index
        try:
            self.project = jedi.Project(self.root, environment_path=python) if python else jedi.Project(self.root)
            if python:
                self.project.get_environment()  # fail now, not at the first request
        except (OSError, jedi.InvalidPythonEnvironment) as exc:
            raise NavigationError(f"cannot use {python} for Python navigation: {exc}") from None

    def _script(self, path: str) -> jedi.Script:
        full = self.root / path
        try:
            code = full.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise NavigationError(f"{path}: cannot read it ({exc})") from None
        return jedi.Script(code=code, path=full, project=self.project)

    def _check(self, script: jedi.Script, path: str, line: int, column: int) -> None:
        lines = script._code_lines  # noqa: SLF001 - Jedi keeps the split lines; no public accessor
        if not 1 <= line <= len(lines):
            raise NavigationError(f"{path}: line {line} is out of range (1..{len(lines)})")
        if not 0 <= column <= len(lines[line - 1].rstrip("\r\n")):
            raise NavigationError(f"{path}:{line}: column {column} is past the end of the line")

    def _location(self, name: BaseName) -> Location | None:
        if name.module_path is None or name.line is None or name.column is None:
            return None  # builtins compiled into the interpreter have no source
        full = Path(name.module_path)
        try:
            shown, external = full.resolve().relative_to(self.root).as_posix(), False
        except ValueError:
            shown, external = str(full), True
        return Location(shown, name.line, name.column, name.line, name.column + len(name.name), external)

    def _locations(self, names: list[BaseName]) -> list[Location]:
        found: list[Location] = []
        for name in names:
            location = self._location(name)
            if location is not None and location not in found:
                found.append(location)
        return found

    async def definition(self, path: str, line: int, column: int) -> list[Location]:
        script = self._script(path)
        self._check(script, path, line, column)
        return self._locations(script.goto(line, column, follow_imports=True))

    async def references(self, path: str, line: int, column: int) -> list[Location]:
        script = self._script(path)
        self._check(script, path, line, column)
        found = self._locations(script.get_references(line, column, include_builtins=False))
        return sorted(found, key=lambda loc: (loc.external, loc.path, loc.line, loc.column))

    async def hover(self, path: str, line: int, column: int) -> str | None:
        script = self._script(path)
        self._check(script, path, line, column)
        for name in script.help(line, column):
            signatures = [s.to_string() for s in name.get_signatures()]
            head = "\n".join(signatures) or name.description
            doc = name.docstring(raw=True).strip()
            kind = name.type
            return "\n\n".join(part for part in (f"{kind} {name.full_name or name.name}", head, doc) if part)
        return None

    async def implementations(self, path: str, line: int, column: int) -> list[Location]:
        targets = await self.definition(path, line, column)
        found: list[Location] = []
        for target in targets:
            if target.external:
                continue
            symbol = self.index.symbol_at(target.path, target.line, target.column)
            for implementer in self.implementers(symbol):
                location = self.name_location(implementer)
                if location not in found:
                    found.append(location)
        return found

    # ------------------------------------------------------------ via the index

    def name_location(self, symbol: Symbol) -> Location:
        """Where a symbol's own name is written (the line of `def`/`class`, after decorators)."""
        script = self._script(symbol.path)
        lines = script._code_lines  # noqa: SLF001
        pattern = re.compile(rf"\b(?:def|class)\s+({re.escape(symbol.name)})\b")
        for number in range(symbol.start_line, min(symbol.end_line, len(lines)) + 1):
            match = pattern.search(lines[number - 1])
            if match:
                start = match.start(1)
                return Location(symbol.path, number, start, number, start + len(symbol.name))
        return Location(symbol.path, symbol.start_line, 0, symbol.start_line, 0)

    def _resolves_to(self, subclass: Symbol, base: str, target: Symbol) -> bool:
        """Whether `base` written in `subclass`'s header is `target` (Jedi decides)."""
        script = self._script(subclass.path)
        lines = script._code_lines  # noqa: SLF001
        for number in range(subclass.start_line, min(subclass.end_line, len(lines)) + 1):
            text = lines[number - 1]
            if re.search(rf"\bclass\s+{re.escape(subclass.name)}\b", text):
                header = text.split(subclass.name, 1)[1]
                match = re.search(rf"\b{re.escape(base)}\b", header)
                if match is None:
                    return True  # bases wrapped onto further lines: trust the name
                column = len(text) - len(header) + match.start()
                names = script.goto(number, column, follow_imports=True)
                if not names:
                    return True  # unresolvable (dynamic import): trust the name
                for name in names:
                    location = self._location(name)
                    if location is None or location.external or location.path not in self.index.paths():
                        continue
                    if self.index.symbol_at(location.path, location.line).id == target.id:
                        return True
                return False
        return True

    def subclasses(self, target: Symbol) -> list[Symbol]:
        """Classes deriving from `target`, directly or not, in index order."""
        classes = [s for s in self.index.symbols() if s.kind is SymbolKind.CLASS and s.language == "python"]
        found: list[Symbol] = []
        frontier = [target]
        while frontier:
            current = frontier.pop()
            for candidate in classes:
                if candidate.id == target.id or candidate in found:
                    continue
                if current.name in class_bases(candidate.signature) and self._resolves_to(candidate, current.name, current):
                    found.append(candidate)
                    frontier.append(candidate)
        return found

    def _methods(self, cls: Symbol) -> dict[str, Symbol]:
        by_id = self.index.file(cls.path).by_id()
        return {by_id[c].name: by_id[c] for c in cls.children if by_id[c].kind is SymbolKind.METHOD}

    def structural_implementers(self, protocol: Symbol) -> list[Symbol]:
        """Classes defining every method a `typing.Protocol` class declares."""
        if "Protocol" not in class_bases(protocol.signature):
            return []
        required = {name for name in self._methods(protocol) if not name.startswith("__")}
        if not required:
            return []
        return [
            s
            for s in self.index.symbols()
            if s.kind is SymbolKind.CLASS and s.id != protocol.id and s.language == "python"
            and required <= set(self._methods(s))
        ]  # fmt: skip

    def implementers(self, symbol: Symbol) -> list[Symbol]:
        """Subclasses / protocol implementers of a class; overriding methods of a method."""
        if symbol.kind is SymbolKind.CLASS:
            found = self.subclasses(symbol)
            return found + [s for s in self.structural_implementers(symbol) if s not in found]
        if symbol.kind is SymbolKind.METHOD and symbol.parent is not None:
            owner = self.index.symbol(symbol.parent)
            methods = [self._methods(cls).get(symbol.name) for cls in self.implementers(owner)]
            return [m for m in methods if m is not None]
        return []
