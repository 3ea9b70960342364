"""The conversation graph as one self-contained HTML page.

Everything is inline: the CSS, the script, the run's data as JSON and the
graph as Graphviz's SVG laid out now, so the page opens from a file with no
network. Clicking a node shows its messages and its proposals' diffs and
checks; the page also has the timeline, the spend and the patch. Without
Graphviz (`svg=None`) the script draws a simple column layout itself.

A run in progress: `refresh_s` adds a meta refresh. It only helps when what
serves the page regenerates it, which `swarm graph RUN --format html
--serve` does on every request (`swarm.graph.serve`); a file written with
`-o` is a snapshot.
"""

from __future__ import annotations

import html
import json
from importlib import resources

from swarm.graph.model import RunGraph

_PACKAGE = "swarm.graph"


def _asset(name: str) -> str:
    return resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def json_for_script(data: object) -> str:
    """JSON safe inside a <script> element: no `</script>`, `<!--` or line separators can end it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def inline_svg(svg: str) -> str:
    """Graphviz's SVG document without its XML declaration and doctype, to embed in HTML."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def render_html(graph: RunGraph, svg: str | None, *, refresh_s: float | None = None) -> str:
    """The page for `graph`; `svg` is `svg.render_svg(graph)` (None: the page lays the graph out itself)."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_s:g}">' if refresh_s else ""
    replacements = {
        "{{REFRESH}}": refresh,
        "{{TITLE}}": html.escape(f"swarm run {graph.run.id}: {graph.run.title}"),
        "{{STYLE}}": _asset("page.css"),
        "{{SVG}}": inline_svg(svg) if svg else "",
        "{{DATA}}": json_for_script(graph.to_json()),
        "{{SCRIPT}}": _asset("page.js"),
    }
    page = _asset("page.html")
    # One pass over the template, so text inside the data can never be taken for a placeholder.
    out: list[str] = []
    rest = page
    while True:
        at = rest.find("{{")
        if at < 0:
            out.append(rest)
            break
        end = rest.find("}}", at)
        key = rest[at : end + 2]
        out.append(rest[:at])
        out.append(replacements.get(key, key))
        rest = rest[end + 2 :]
    return "".join(out)
