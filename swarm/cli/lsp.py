"""`swarm lsp`: the swarm as a language server for editors (stdio).

  swarm lsp [--repo DIR] [--config FILE] [--python PY] [--no-servers]

Editors start it as a stdio server (see docs/editors.md). Commands:
swarm.fixIssue, swarm.rewriteSymbol, swarm.showGraph, swarm.cancel. Without
--repo the editor's workspace root is served. stdout carries only the
protocol; logs go to stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    lsp = subparsers.add_parser(
        "lsp",
        help="serve the swarm to an editor as a language server on stdio (fix issues, rewrite symbols, approve in the editor)",
        description="A language server for any LSP editor: commands swarm.fixIssue, swarm.rewriteSymbol, "
        "swarm.showGraph, swarm.cancel; approvals as editor prompts; accepted changes applied by the editor.",
    )
    lsp.add_argument("--repo", type=Path, help="repository to serve (default: the editor's workspace root)")
    lsp.add_argument("--config", type=Path, metavar="FILE", help="swarm.toml to use (default: searched from the repository)")
    lsp.add_argument("--runlog", type=Path, metavar="FILE", help="run log database (default: <repo>/.swarm/runs.sqlite3)")
    lsp.add_argument("--python", type=Path, metavar="PATH", help="interpreter that runs the repository's pytest")
    lsp.add_argument("--no-servers", action="store_true", help="no pyright / rust-analyzer in the checks (faster, no diagnostics)")
    lsp.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="stderr log level")
    lsp.set_defaults(handler=_lsp)


def _lsp(args: argparse.Namespace) -> int:
    from lsp.server_shell import serve_stdio
    from swarm.config import load_config
    from swarm.lsp_backend import SwarmBackend

    logging.basicConfig(level=args.log_level, format="swarm lsp: %(levelname)s %(name)s: %(message)s")
    config_path: Path | None = args.config.resolve() if args.config else None

    def make_backend(root: Path) -> SwarmBackend:
        repo = (args.repo or root).resolve()
        config = load_config(config_path, repo=repo, env=dict(os.environ))
        return SwarmBackend(repo, config, runlog=args.runlog, interpreter=args.python,
                            language_servers=not args.no_servers)

    return serve_stdio(make_backend, root=args.repo.resolve() if args.repo else None)
