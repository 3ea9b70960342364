from __future__ import annotations

from pathlib import Path

import pytest

from lsp.errors import ProtocolError
from lsp.uris import path_to_uri, uri_to_path


def test_round_trip_with_spaces_and_unicode(tmp_path: Path) -> None:
    path = tmp_path / "dir with space" / "ünï côde.py"
    uri = path_to_uri(path)
    assert uri.startswith("file:///") and " " not in uri
    assert uri_to_path(uri) == path


def test_relative_paths_become_absolute() -> None:
    assert path_to_uri("x.py") == (Path.cwd() / "x.py").as_uri()


def test_non_file_uris_are_refused() -> None:
    with pytest.raises(ProtocolError, match="not a file URI"):
        uri_to_path("untitled:Untitled-1")
