"""The latest `textDocument/publishDiagnostics` per document, with a way to
wait for a fresh one (a given document version, or anything newer than a
sequence number taken before the change)."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types as lsp

from lsp.condition import Changed


@dataclass(frozen=True, slots=True)
class Publication:
    uri: str
    version: int | None
    diagnostics: tuple[lsp.Diagnostic, ...]
    # Position in the order publications arrived, across all documents.
    sequence: int


class PublishedDiagnostics:
    def __init__(self) -> None:
        self._latest: dict[str, Publication] = {}
        self.sequence = 0
        self.changed = Changed()

    def handle(self, params: lsp.PublishDiagnosticsParams) -> Publication:
        self.sequence += 1
        publication = Publication(params.uri, params.version, tuple(params.diagnostics), self.sequence)
        self._latest[params.uri] = publication
        self.changed.notify()
        return publication

    def latest(self, uri: str) -> Publication | None:
        return self._latest.get(uri)

    def snapshot(self) -> dict[str, Publication]:
        return dict(self._latest)

    def clear(self) -> None:
        """Forget everything (the server that published it is gone)."""
        self._latest.clear()
        self.changed.notify()

    def fresh(self, uri: str, *, version: int | None = None, after: int = 0) -> Publication | None:
        """The latest publication for `uri` if it is for `version` (or later) and
        arrived after sequence number `after`; else None."""
        publication = self._latest.get(uri)
        if publication is None or publication.sequence <= after:
            return None
        if version is not None and publication.version is not None and publication.version < version:
            return None
        return publication

    async def wait_fresh(
        self, uri: str, *, version: int | None = None, after: int = 0, timeout: float
    ) -> Publication | None:
        """Like `fresh`, waiting up to `timeout` seconds for it; None on timeout."""
        await self.changed.wait_for(lambda: self.fresh(uri, version=version, after=after) is not None, timeout)
        return self.fresh(uri, version=version, after=after)
