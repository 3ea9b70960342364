from __future__ import annotations

from pathlib import Path

import pytest
import trio

from lsp import jsonrpc
from lsp.client import LanguageClient
from lsp.server_requests import UnknownServerRequest, answer, configuration_answer, error_reply
from lsp.servers import PYRIGHT

pytestmark = pytest.mark.anyio

SETTINGS = {"python": {"analysis": {"diagnosticMode": "openFilesOnly"}}, "pyright": {"x": 1}}


def test_configuration_by_dotted_section() -> None:
    items = [{"section": "python"}, {"section": "python.analysis.diagnosticMode"}, {"section": "nope.deeper"}, {}]
    assert configuration_answer(SETTINGS, items) == [
        SETTINGS["python"],
        "openFilesOnly",
        None,
        SETTINGS,
    ]


def test_configuration_without_settings_is_all_nulls() -> None:
    assert configuration_answer(None, [{"section": "python"}, {"scopeUri": "file:///x"}]) == [None, None]


def test_error_reply_codes() -> None:
    assert error_reply(3, UnknownServerRequest("x"))["error"]["code"] == jsonrpc.METHOD_NOT_FOUND
    assert error_reply({"weird": "id"}, ValueError("boom")) == jsonrpc.error(None, jsonrpc.INTERNAL_ERROR, "boom")


async def test_answers_without_a_running_server(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        client = LanguageClient(PYRIGHT, tmp_path, nursery)
        assert await answer(client, "workspace/configuration", {"items": [{"section": "python.analysis"}]}) == [
            PYRIGHT.settings["python"]["analysis"]  # type: ignore[index]
        ]
        assert await answer(client, "window/workDoneProgress/create", {"token": 7}) is None
        assert "7" in client.progress.created
        assert await answer(client, "window/showMessageRequest", {"message": "pick one", "actions": []}) is None
        assert client.messages[-1] == "request: pick one"
        assert await answer(client, "window/showDocument", {"uri": "file:///x"}) == {"success": False}
        with pytest.raises(UnknownServerRequest, match="client/unheardOf"):
            await answer(client, "client/unheardOf", {})
