"""Errors the harness raises for refused operations; each says why and what to do."""

from __future__ import annotations


class HarnessError(Exception):
    """Base for every user-facing error of editor_harness/."""


class OutsideWorkspace(HarnessError):
    """A path resolves outside the workspace root (`..`, an absolute path, a symlink)."""


class SymbolNotFound(HarnessError, KeyError):
    """No symbol with that id (or no indexed file with that path) is in the workspace."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "symbol not found"


class StaleVersion(HarnessError):
    """An edit was based on a file version that is no longer current."""

    def __init__(self, path: str, base_version: int, current_version: int) -> None:
        self.path = path
        self.base_version = base_version
        self.current_version = current_version
        super().__init__(
            f"{path} is at version {current_version}, not {base_version}: it changed since you "
            f"read it; read the symbol again and redo the edit against version {current_version}"
        )


class RewriteRejected(HarnessError):
    """A rewrite, insert, delete or rename was refused; the file is unchanged."""


class SyntaxInvalid(RewriteRejected):
    """The new text does not parse cleanly in the file's language."""

    def __init__(self, message: str, error_lines: tuple[int, ...] = ()) -> None:
        self.error_lines = error_lines
        super().__init__(message)


class SymbolMismatch(RewriteRejected):
    """The new text no longer defines the same symbol, or adds/drops other symbols."""


class EditConflict(HarnessError):
    """An undo (or replay) cannot be applied because the text it expects has changed."""


class UnsupportedFile(HarnessError):
    """The file cannot be edited here (not UTF-8, not a source file the index knows)."""


class NotAGitRepository(HarnessError):
    """The workspace root is not inside a git work tree, so there is no patch to produce."""


class TestRunError(HarnessError):
    """The test runner could not be started, or the selection is malformed."""

    __test__ = False  # not a pytest test class despite the name
