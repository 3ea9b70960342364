"""Errors of the LSP wire."""


class LspError(Exception):
    """Base for every user-facing error of lsp/."""


class ServerNotFound(LspError):
    """The language server's executable is not installed where we look for it."""


class ServerStartError(LspError):
    """The server process started but did not complete the initialize handshake."""


class ServerCrashed(LspError):
    """The server process exited while a request was outstanding or a document was in sync."""


class RequestTimeout(LspError):
    """A request got no answer within its timeout; it was cancelled on the server."""


class ResponseError(LspError):
    """The server answered a request with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{method}: server error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data


class ProtocolError(LspError):
    """The server sent bytes that are not a well-formed JSON-RPC message."""


class ServerNotReady(LspError):
    """The server did not finish loading the workspace in time."""


class DocumentNotOpen(LspError):
    """A change, save or close for a document this client never opened."""


class UnknownServer(LspError):
    """No server spec is known for the language or file asked about."""
