"""`swarm graph`: the conversation graph of a run.

  swarm graph RUN [--format text|dot|svg|html] [-o FILE] [--width N]
  swarm graph RUN --format html --serve [--port N] [--refresh S]
  (RUN: a run id, a unique prefix, or `last`; --repo DIR / --runlog FILE choose the log)

text (default) is the terminal view; dot is Graphviz source; svg is laid
out by Graphviz (`dot`); html is one self-contained page (needs -o FILE, or
--serve to serve it on 127.0.0.1, regenerated on every request so a run in
progress shows its new messages on refresh; its page reloads itself every
--refresh seconds while the run is running).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from swarm.cli.runs import add_runlog_location, open_runlog

FORMATS = ("text", "dot", "svg", "html")
DEFAULT_REFRESH_S = 3.0


def register(subparsers: Any) -> None:
    graph = subparsers.add_parser(
        "graph",
        help="draw a run's conversation graph: text, DOT, SVG or an HTML page",
        description="Who asked whom what, each proposal with its checks and verdict, and the spend of one run.",
    )
    graph.add_argument("run", metavar="RUN", help="run id, unique prefix of one, or `last`")
    add_runlog_location(graph)
    graph.add_argument("--format", "-f", choices=FORMATS, default="text", help="output format (default: text)")
    graph.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")
    graph.add_argument("--width", type=int, default=80, metavar="N", help="text width in columns (default 80)")
    graph.add_argument("--serve", action="store_true", help="html: serve the page on 127.0.0.1, fresh on every load")
    graph.add_argument("--port", type=int, default=0, metavar="N", help="--serve port (default: any free one)")
    graph.add_argument(
        "--refresh", type=float, default=DEFAULT_REFRESH_S, metavar="S",
        help=f"--serve: while the run is running the page reloads every S seconds (default {DEFAULT_REFRESH_S:g}; 0: never)",
    )  # fmt: skip
    graph.set_defaults(handler=_graph)


def _graph(args: argparse.Namespace) -> int:
    from swarm.errors import SwarmError

    if args.serve and args.format != "html":
        raise SwarmError("--serve serves the HTML page: add --format html")
    if args.format == "html" and args.output is None and not args.serve:
        raise SwarmError("--format html writes a page: give -o FILE (or --serve to open it in a browser)")
    with open_runlog(args) as log:
        run_id = log.resolve_run(args.run)
        if args.serve:
            return _serve(log, run_id, args)
        text = render(log, run_id, args.format, width=args.width)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({args.format}, run {run_id})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def load_graph(log: Any, run_id: str) -> Any:
    from swarm.graph.model import build_graph
    from swarm.runlog import observed_status

    snapshot = log.snapshot(run_id)
    return build_graph(snapshot, observed_status(snapshot.run))


def render(log: Any, run_id: str, fmt: str, *, width: int = 80, refresh_s: float | None = None) -> str:
    """The run's graph in `fmt` (one of FORMATS), read fresh from the log."""
    from swarm.graph.dot import render_dot
    from swarm.graph.html import render_html
    from swarm.graph.svg import render_svg
    from swarm.graph.text import render_text

    graph = load_graph(log, run_id)
    if fmt == "text":
        return render_text(graph, width)
    if fmt == "dot":
        return render_dot(graph)
    if fmt == "svg":
        return render_svg(graph)
    return render_html(graph, _svg_or_none(graph), refresh_s=refresh_s if graph.running else None)


def _svg_or_none(graph: Any) -> str | None:
    from swarm.graph.errors import GraphvizMissing
    from swarm.graph.svg import render_svg

    try:
        return render_svg(graph)
    except GraphvizMissing as exc:
        print(f"swarm: note: {exc}; the page lays the graph out itself", file=sys.stderr)
        return None


def _serve(log: Any, run_id: str, args: argparse.Namespace) -> int:
    from functools import partial

    import trio

    from swarm.graph.dot import render_dot
    from swarm.graph.errors import GraphvizMissing
    from swarm.graph.html import render_html
    from swarm.graph.serve import serve_html
    from swarm.graph.svg import dot_to_svg_async

    async def page() -> str:
        graph = load_graph(log, run_id)
        try:
            svg: str | None = await dot_to_svg_async(render_dot(graph))
        except GraphvizMissing:
            svg = None
        return render_html(graph, svg, refresh_s=args.refresh if graph.running and args.refresh > 0 else None)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve_html, page, port=args.port))
            print(f"serving run {run_id} at http://127.0.0.1:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)

    trio.run(main)
    return 0
