"""Errors of the LSP wire."""


class LspError(Exception):
    """Base for every user-facing error of lsp/."""
