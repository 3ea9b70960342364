"""What this client tells servers it can do (the `initialize` request)."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types as lsp

from lsp.servers import ServerSpec
from lsp.uris import path_to_uri

CLIENT_NAME = "symbol-swarm"


def client_capabilities(spec: ServerSpec) -> lsp.ClientCapabilities:
    markup = [lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]
    return lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(
            # utf-8 first: servers that can (rust-analyzer) then count bytes,
            # which is cheaper to convert than utf-16 units; others use utf-16.
            position_encodings=[lsp.PositionEncodingKind.Utf8, lsp.PositionEncodingKind.Utf16],
            stale_request_support=lsp.StaleRequestSupportOptions(
                cancel=True, retry_on_content_modified=[]
            ),
        ),
        window=lsp.WindowClientCapabilities(
            work_done_progress=True,
            show_message=lsp.ShowMessageRequestClientCapabilities(),
        ),
        workspace=lsp.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True),
            configuration=True,
            workspace_folders=True,
            did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(dynamic_registration=True),
            diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True),
        ),
        text_document=lsp.TextDocumentClientCapabilities(
            synchronization=lsp.TextDocumentSyncClientCapabilities(dynamic_registration=True, did_save=True),
            hover=lsp.HoverClientCapabilities(content_format=markup),
            definition=lsp.DefinitionClientCapabilities(link_support=True),
            declaration=lsp.DeclarationClientCapabilities(link_support=True),
            type_definition=lsp.TypeDefinitionClientCapabilities(link_support=True),
            implementation=lsp.ImplementationClientCapabilities(link_support=True),
            references=lsp.ReferenceClientCapabilities(),
            document_symbol=lsp.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(
                version_support=True, related_information=True, code_description_support=True
            ),
            # Announced only to servers we use in pull mode: pyright stops
            # pushing (and its ~260 ms publish delay) once pull is possible.
            diagnostic=lsp.DiagnosticClientCapabilities(dynamic_registration=True, related_document_support=False)
            if spec.diagnostics == "pull"
            else None,
        ),
        experimental=spec.experimental_capabilities,
    )


def initialize_params(spec: ServerSpec, root: Path) -> lsp.InitializeParams:
    root = Path(root).absolute()
    return lsp.InitializeParams(
        process_id=os.getpid(),
        client_info=lsp.ClientInfo(name=CLIENT_NAME),
        root_uri=path_to_uri(root),
        root_path=str(root),
        workspace_folders=[lsp.WorkspaceFolder(uri=path_to_uri(root), name=root.name)],
        initialization_options=spec.initialization_options,
        capabilities=client_capabilities(spec),
    )
