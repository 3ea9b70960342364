"""The documents a client has open on a server, with their versions and text.

Kept by the client so it can convert positions against the text the server
sees and re-open everything after restarting a crashed server.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lsp.errors import DocumentNotOpen
from lsp.uris import path_to_uri


@dataclass(frozen=True, slots=True)
class OpenDocument:
    path: Path
    uri: str
    language_id: str
    version: int
    text: str


class DocumentStore:
    def __init__(self) -> None:
        self._by_uri: dict[str, OpenDocument] = {}

    def __len__(self) -> int:
        return len(self._by_uri)

    def __iter__(self):
        return iter(list(self._by_uri.values()))

    def get(self, path: Path) -> OpenDocument | None:
        return self._by_uri.get(path_to_uri(path))

    def require(self, path: Path) -> OpenDocument:
        document = self.get(path)
        if document is None:
            raise DocumentNotOpen(f"{path} is not open on this server: call open_document first")
        return document

    def open(self, path: Path, text: str, language_id: str) -> OpenDocument:
        """Open, or re-open with a higher version if it was open already."""
        previous = self.get(path)
        version = previous.version + 1 if previous is not None else 1
        document = OpenDocument(Path(path).absolute(), path_to_uri(path), language_id, version, text)
        self._by_uri[document.uri] = document
        return document

    def change(self, path: Path, text: str) -> OpenDocument:
        document = replace(self.require(path), text=text)
        document = replace(document, version=document.version + 1)
        self._by_uri[document.uri] = document
        return document

    def close(self, path: Path) -> OpenDocument:
        document = self.require(path)
        del self._by_uri[document.uri]
        return document
