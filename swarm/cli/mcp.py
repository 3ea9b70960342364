"""`swarm mcp`: serve the headless editor over MCP (stdio) for any MCP-capable agent.

  swarm mcp [--repo DIR] [--no-servers] [--python PY]

Register it with an agent as a stdio server, e.g. `{"command": "swarm",
"args": ["mcp", "--repo", "/path/to/checkout"]}`. Rewrites are written to
that checkout. Logs go to stderr; stdout carries only the protocol.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    mcp = subparsers.add_parser("mcp", help="serve the headless editor (read, navigate, rewrite + checks) over MCP on stdio")
    mcp.add_argument("--repo", type=Path, default=Path("."), help="repository to serve (default: .)")
    mcp.add_argument("--no-servers", action="store_true", help="no language servers (no diagnostics, Jedi/index navigation)")
    mcp.add_argument("--python", help="interpreter for tests (default: the repository's .venv, else this one)")
    mcp.set_defaults(handler=_mcp)


def _mcp(args: argparse.Namespace) -> int:
    import trio

    from editor_harness.pytest_runner import default_python
    from swarm.mcp_server import serve_stdio

    repo = args.repo.resolve()
    trio.run(lambda: serve_stdio(repo, servers=not args.no_servers, python=args.python or default_python(repo)))
    return 0
