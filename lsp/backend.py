"""The backend protocol behind the editor-facing server shell (lsp/server_shell.py).

The shell speaks LSP to an editor; a backend does the work (`swarm` implements
it in swarm/lsp_backend.py, and wires it up in `swarm lsp`). What crosses
this line is LSP-neutral: absolute paths, 1-based lines and columns in code
points, whole-line edits. The shell maps them to lsprotocol types.

Both sides are trio code: the shell hosts a trio run inside its asyncio
loop, calls the backend's coroutines there, and gives the backend an
`EditorSide` whose coroutines reach the editor (progress, prompts, documents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lsp.errors import LspError


class BackendError(LspError):
    """A backend refused a command: the shell answers the request with this message."""


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """A place in a file: 1-based line, 1-based column in code points."""

    path: Path
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class LineEdit:
    """Replace lines `first_line`..`last_line` (1-based, inclusive) with `text`.

    `last_line == first_line - 1` inserts `text` before `first_line`. `text`
    holds whole lines (ending with a newline, except possibly at the end of file).
    """

    first_line: int
    last_line: int
    text: str


@dataclass(frozen=True, slots=True)
class FileChange:
    """The edits of one file, against the text the editor holds now.

    `create` is a new file whose whole text is the one edit's text.
    """

    path: Path
    edits: tuple[LineEdit, ...]
    create: bool = False


@dataclass(frozen=True, slots=True)
class Lens:
    """A code lens: `title` shown above `line` of `path`; clicking runs `command` with `arguments`."""

    path: Path
    line: int
    title: str
    command: str = ""
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """A diagnostic for `path`: lines 1-based, columns 1-based code points, end exclusive."""

    path: Path
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str           # "error" | "warning" | "information" | "hint"
    message: str
    source: str = "swarm"
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did, for the editor to show."""

    ok: bool
    message: str                                    # one line for window/showMessage
    changes: tuple[FileChange, ...] = ()            # to apply through workspace/applyEdit
    run_id: str = ""
    details: dict[str, object] = field(default_factory=dict)   # JSON-able, the command's result


class EditorSide(Protocol):
    """What the shell offers a backend while a command runs (trio coroutines)."""

    async def report(self, message: str, percentage: int | None = None) -> None:
        """A line of work-done progress."""
        ...

    async def ask(self, message: str, actions: Sequence[str]) -> str | None:
        """Ask the user to pick one of `actions`; None when the prompt was dismissed."""
        ...

    async def show(self, path: Path, *, external: bool = False) -> bool:
        """Open `path` in the editor (or, `external`, in the system's viewer: a browser for HTML)."""
        ...

    def current_text(self, path: Path) -> str | None:
        """The editor's text of `path` when it is open there, else None (the file on disk is current)."""
        ...


class Backend(Protocol):
    """The work behind the shell's commands. Every method runs in the shell's trio run."""

    async def fix_issue(self, issue: str, editor: EditorSide) -> Outcome:
        """Run on an issue; approved changes come back in `Outcome.changes`."""
        ...

    async def rewrite_symbol(self, position: SourcePosition, instruction: str, editor: EditorSide) -> Outcome:
        """Run on the symbol at `position` with `instruction`."""
        ...

    async def graph_path(self, run_id: str | None) -> Path:
        """A self-contained HTML page of a run's graph (None: the latest run)."""
        ...

    def cancel(self) -> bool:
        """Cancel the command in progress; False when none is."""
        ...

    def lenses(self, path: Path, text: str) -> Sequence[Lens]:
        """Code lenses for `path` whose current text is `text`."""
        ...

    def diagnostics(self, path: Path) -> Sequence[Problem]:
        """What the backend found for `path` (its latest run's new diagnostics)."""
        ...

    async def aclose(self) -> None:
        """Stop everything (runs, servers): the editor is going away."""
        ...
