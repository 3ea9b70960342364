from __future__ import annotations

from pathlib import Path

import pytest

from lsp.documents import DocumentStore
from lsp.errors import DocumentNotOpen


def test_versions_grow_with_every_change(tmp_path: Path) -> None:
    store = DocumentStore()
    path = tmp_path / "a.py"
    assert store.open(path, "1", "python").version == 1
    assert store.change(path, "2").version == 2
    assert store.open(path, "3", "python").version == 3  # re-open keeps counting up
    assert store.require(path).text == "3"
    assert len(store) == 1 and [d.path for d in store] == [path]
    closed = store.close(path)
    assert closed.version == 3 and store.get(path) is None


def test_unknown_documents_are_refused(tmp_path: Path) -> None:
    store = DocumentStore()
    with pytest.raises(DocumentNotOpen, match="open_document first"):
        store.change(tmp_path / "b.py", "x")
    with pytest.raises(DocumentNotOpen):
        store.close(tmp_path / "b.py")
