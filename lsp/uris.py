"""file:// URIs <-> filesystem paths, the way language servers spell them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsp.errors import ProtocolError


def path_to_uri(path: Path | str) -> str:
    return Path(path).absolute().as_uri()


def uri_to_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise ProtocolError(f"not a file URI: {uri!r} (only file:// documents are supported)")
    return Path(unquote(parsed.path))
