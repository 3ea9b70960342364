"""LSP wire: a trio client for language servers, and (later) a server shell
for editors that talks to a backend protocol (never to swarm/ directly).

    servers.py         ServerSpec per server (PYRIGHT, RUST_ANALYZER): command, env, settings, readiness
    client.py          LanguageClient / open_client: handshake, requests, documents, restarts
    session.py         one server process: pipe, pending requests, stderr tail
    server_requests.py answers to the server's requests (configuration, registrations, applyEdit, ...)
    jsonrpc.py         Content-Length framing, pure
    capabilities.py    what the client announces
    documents.py       open documents and their versions
    progress.py        $/progress bookkeeping (readiness, long tasks)
    published.py       textDocument/publishDiagnostics, latest per document
    positions.py       UTF-16 / UTF-8 columns <-> code points
    text_edits.py      applying WorkspaceEdits; the opt-in handler that writes them
    uris.py, condition.py, nurseries.py, errors.py
"""
