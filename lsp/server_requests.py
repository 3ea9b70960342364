"""Answers to the requests a server sends its client.

Servers stall when these go unanswered (pyright waits for its configuration
before analysing anything), so every request gets a reply: a real answer
where the client has one, `null` where the spec allows it, and a
MethodNotFound error for anything unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from lsp import jsonrpc
from lsp.errors import LspError
from lsp.uris import path_to_uri

if TYPE_CHECKING:
    from lsp.client import LanguageClient

EditHandler = Callable[["LanguageClient", lsp.WorkspaceEdit], Awaitable[lsp.ApplyWorkspaceEditResult]]

# Requests asking the client to re-pull something: nothing is cached on our
# side, so acknowledging is all there is to do.
REFRESH_REQUESTS = frozenset(
    {
        "workspace/semanticTokens/refresh",
        "workspace/inlayHint/refresh",
        "workspace/inlineValue/refresh",
        "workspace/codeLens/refresh",
        "workspace/foldingRange/refresh",
        "workspace/diagnostic/refresh",
    }
)


def configuration_answer(settings: object, items: list[dict[str, Any]]) -> list[object]:
    """One value per requested item: the settings at its dotted section, else null."""
    answers: list[object] = []
    for item in items:
        section = item.get("section") if isinstance(item, dict) else None
        value: object = settings
        if section:
            for part in str(section).split("."):
                value = value.get(part) if isinstance(value, dict) else None
        elif not isinstance(settings, dict):
            value = None
        answers.append(value)
    return answers


class UnknownServerRequest(LspError):
    """The server asked for something this client does not implement."""


async def refuse_edits(client: LanguageClient, edit: lsp.WorkspaceEdit) -> lsp.ApplyWorkspaceEditResult:
    return lsp.ApplyWorkspaceEditResult(
        applied=False,
        failure_reason=(
            "this client applies no server-initiated edits; "
            "open it with an edit_handler (e.g. lsp.client.apply_edits_to_workspace) to allow them"
        ),
    )


async def answer(client: LanguageClient, method: str, params: Any) -> object:
    """The result for one server request; raises UnknownServerRequest for unknown methods."""
    if method == "workspace/configuration":
        items = params.get("items", []) if isinstance(params, dict) else []
        return configuration_answer(client.spec.settings, items)
    if method == "client/registerCapability":
        for registration in (params or {}).get("registrations", []):
            client.registrations[registration["id"]] = lsp.Registration(
                id=registration["id"],
                method=registration["method"],
                register_options=registration.get("registerOptions"),
            )
        return None
    if method == "client/unregisterCapability":
        # The spec's field name really is misspelled "unregisterations".
        for registration in (params or {}).get("unregisterations", []):
            client.registrations.pop(registration.get("id"), None)
        return None
    if method == "window/workDoneProgress/create":
        client.progress.create(str((params or {}).get("token")))
        return None
    if method == "workspace/applyEdit":
        converted = client.converter.structure(params, lsp.ApplyWorkspaceEditParams)
        outcome = await client.edit_handler(client, converted.edit)
        return client.converter.unstructure(outcome)
    if method == "workspace/workspaceFolders":
        root = Path(client.root)
        return [{"uri": path_to_uri(root), "name": root.name}]
    if method == "window/showMessageRequest":
        client.remember_message("request", (params or {}).get("message", ""))
        return None
    if method == "window/showDocument":
        return {"success": False}
    if method in REFRESH_REQUESTS:
        client.note_refresh(method)
        return None
    raise UnknownServerRequest(f"{method} is not implemented by this client")


def error_reply(request_id: object, exc: Exception) -> jsonrpc.Message:
    code = jsonrpc.METHOD_NOT_FOUND if isinstance(exc, UnknownServerRequest) else jsonrpc.INTERNAL_ERROR
    return jsonrpc.error(request_id if isinstance(request_id, (int, str)) else None, code, str(exc))
