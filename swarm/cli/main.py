"""Entry point of the `swarm` command: builds the parser from the command-group
modules and turns known errors into one clear line instead of a traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module registers its subcommands with `register(subparsers)` and keeps
# heavy imports inside its handlers, so `swarm --help` stays fast.
COMMAND_GROUPS: tuple[str, ...] = (
    "bench", "config", "graph", "harness", "lsp", "mcp", "model", "replay", "run", "runs", "symbols", "trace",
)


def user_errors() -> tuple[type[BaseException], ...]:
    from editor_harness.errors import HarnessError
    from lsp.errors import LspError
    from swarm.errors import SwarmError
    from symbols.errors import SymbolsError

    return (SymbolsError, HarnessError, LspError, SwarmError, OSError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swarm",
        description="Fix issues in real repositories with a swarm of agents, one per code symbol.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_GROUPS:
        importlib.import_module(f"swarm.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("swarm: interrupted", file=sys.stderr)
        return 130
    except user_errors() as exc:
        print(f"swarm: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
