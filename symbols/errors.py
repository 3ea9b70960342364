"""Errors symbols/ raises for bad input; each says what was wrong and where."""


class SymbolsError(Exception):
    """Base for every user-facing error of symbols/."""


class UnsupportedLanguage(SymbolsError):
    """The file's extension belongs to no language symbols/ knows."""


class OutsideRepository(SymbolsError):
    """A path resolves outside the repository it was asked about."""


class UnknownSymbol(SymbolsError, KeyError):
    """No symbol with that id (or no file with that path) is in the index."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown symbol"


class NotADirectory(OutsideRepository):
    """The repository root asked for does not exist or is not a directory."""


class UnreadableFile(SymbolsError):
    """A source file exists but cannot be read (permissions, I/O error)."""
