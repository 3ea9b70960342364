from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lsprotocol import converters

from lsp.capabilities import client_capabilities, initialize_params
from lsp.servers import PYRIGHT, RUST_ANALYZER


def test_pull_diagnostics_are_announced_only_to_pull_servers() -> None:
    assert client_capabilities(PYRIGHT).text_document.diagnostic is not None  # type: ignore[union-attr]
    push = replace(RUST_ANALYZER, diagnostics="push")
    assert client_capabilities(push).text_document.diagnostic is None  # type: ignore[union-attr]


def test_capabilities_cover_what_servers_stall_without(tmp_path: Path) -> None:
    raw = converters.get_converter().unstructure(initialize_params(RUST_ANALYZER, tmp_path))
    capabilities = raw["capabilities"]
    assert capabilities["workspace"]["configuration"] is True
    assert capabilities["window"]["workDoneProgress"] is True
    assert capabilities["general"]["positionEncodings"] == ["utf-8", "utf-16"]
    assert capabilities["textDocument"]["publishDiagnostics"]["versionSupport"] is True
    assert capabilities["experimental"] == {"serverStatusNotification": True}
    assert raw["rootUri"] == tmp_path.absolute().as_uri()
    assert raw["workspaceFolders"][0]["name"] == tmp_path.name
    assert raw["initializationOptions"]["files"]["watcher"] == "server"
