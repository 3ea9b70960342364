"""SVG through Graphviz: ids survive for the page, and a missing `dot` is a clear error."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import trio

from swarm.graph.errors import GraphvizFailed, GraphvizMissing
from swarm.graph.model import build_graph
from swarm.graph.svg import dot_to_svg, dot_to_svg_async, render_svg
from swarm.runlog import RunLog
from tests.swarm.recorded_run import RecordedRun


def test_svg_has_the_nodes_and_edges(recorded: RecordedRun) -> None:
    with RunLog.open(recorded.runlog, create=False) as log:
        svg = render_svg(build_graph(log.snapshot(recorded.run_id)))
    root = ElementTree.fromstring(svg.encode())  # Graphviz writes `-` in ids as &#45;
    ids = {g.get("id"): g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert {f"node-{i}" for i in range(5)} <= {k for k, v in ids.items() if v == "node"}
    assert {f"edge-{j}" for j in range(8)} == {k for k, v in ids.items() if v == "edge"}
    assert "BulkDiscount.applies_to" in svg


def test_missing_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        dot_to_svg("digraph { a -> b }")


def test_bad_dot_source_is_reported() -> None:
    with pytest.raises(GraphvizFailed, match="dot failed"):
        dot_to_svg("digraph { a -> }")


def test_async_layout_matches() -> None:
    source = "digraph { a -> b }"
    assert trio.run(dot_to_svg_async, source) == dot_to_svg(source)
