from __future__ import annotations

import pytest
import trio
from lsprotocol import types as lsp

from lsp.published import PublishedDiagnostics

pytestmark = pytest.mark.anyio


def _params(uri: str, version: int | None, *messages: str) -> lsp.PublishDiagnosticsParams:
    zero = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1))
    return lsp.PublishDiagnosticsParams(uri, [lsp.Diagnostic(zero, m) for m in messages], version)


def test_latest_publication_per_document() -> None:
    store = PublishedDiagnostics()
    store.handle(_params("file:///a", 1, "old"))
    store.handle(_params("file:///a", 2, "new"))
    store.handle(_params("file:///b", None))
    latest = store.latest("file:///a")
    assert latest is not None and [d.message for d in latest.diagnostics] == ["new"]
    assert set(store.snapshot()) == {"file:///a", "file:///b"}
    store.clear()
    assert store.latest("file:///a") is None


def test_fresh_respects_version_and_sequence() -> None:
    store = PublishedDiagnostics()
    store.handle(_params("file:///a", 1, "x"))
    mark = store.sequence
    assert store.fresh("file:///a", after=mark) is None
    store.handle(_params("file:///a", 1, "y"))
    assert store.fresh("file:///a", version=2, after=mark) is None
    assert store.fresh("file:///a", version=1, after=mark) is not None


async def test_wait_fresh_returns_the_publication_or_none() -> None:
    store = PublishedDiagnostics()

    async def publish_later() -> None:
        await trio.sleep(0.05)
        store.handle(_params("file:///a", 5, "fresh"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(publish_later)
        publication = await store.wait_fresh("file:///a", version=5, timeout=30)
    assert publication is not None and publication.version == 5
    assert await store.wait_fresh("file:///a", version=6, timeout=0.05) is None
