"""The conversation graph as SVG, laid out by Graphviz (`dot -Tsvg`)."""

from __future__ import annotations

import shutil
import subprocess

import trio

from swarm.graph.dot import render_dot
from swarm.graph.errors import GraphvizFailed, GraphvizMissing
from swarm.graph.model import RunGraph

DOT_TIMEOUT_S = 60.0


def dot_program() -> str:
    found = shutil.which("dot")
    if found is None:
        raise GraphvizMissing(
            "Graphviz's `dot` is not on PATH: install it (Debian/Ubuntu: apt-get install graphviz; "
            "macOS: brew install graphviz) or use --format dot / text"
        )
    return found


def dot_to_svg(dot_source: str, timeout: float = DOT_TIMEOUT_S) -> str:
    """Lay out DOT source with Graphviz and return the SVG document."""
    try:
        result = subprocess.run(
            [dot_program(), "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise GraphvizFailed(f"dot took longer than {timeout:g}s to lay the graph out") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()[-400:]
        raise GraphvizFailed(f"dot failed (exit {result.returncode}): {message}")
    return result.stdout.decode("utf-8")


async def dot_to_svg_async(dot_source: str, timeout: float = DOT_TIMEOUT_S) -> str:
    """`dot_to_svg` for trio code (the page server): the event loop keeps running meanwhile."""
    with trio.move_on_after(timeout) as scope:
        result = await trio.run_process(
            [dot_program(), "-Tsvg"], stdin=dot_source.encode("utf-8"), capture_stdout=True, capture_stderr=True,
            check=False,
        )  # fmt: skip
    if scope.cancelled_caught:
        raise GraphvizFailed(f"dot took longer than {timeout:g}s to lay the graph out")
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()[-400:]
        raise GraphvizFailed(f"dot failed (exit {result.returncode}): {message}")
    return result.stdout.decode("utf-8")


def render_svg(graph: RunGraph) -> str:
    return dot_to_svg(render_dot(graph))
