"""DOT output: nodes per file cluster, weighted coloured edges, verdict marks; Graphviz accepts it."""

from __future__ import annotations

import re
import subprocess

import pytest

from swarm.graph.dot import KIND_COLORS, quote, render_dot
from swarm.graph.model import build_graph
from swarm.messages import MessageKind
from swarm.runlog import RunLog
from tests.swarm.recorded_run import RecordedRun


@pytest.fixture
def dot(recorded: RecordedRun) -> str:
    with RunLog.open(recorded.runlog, create=False) as log:
        return render_dot(build_graph(log.snapshot(recorded.run_id)))


def test_clusters_nodes_and_marks(dot: str) -> None:
    assert dot.startswith("digraph swarm_run {")
    for label in ("roles", "shop/discounts.py", "shop/cart.py"):
        assert f"label={quote(label)};" in dot
    assert 'label="BulkDiscount.applies_to\\np1 ✗ rejected\\np2 ✓ approved"' in dot
    assert len(re.findall(r'id="node-\d+"', dot)) == 5


def test_edges_weighted_by_count_and_coloured_by_kind(dot: str) -> None:
    proposals = next(line for line in dot.splitlines() if 'label="edit_proposal ×2"' in line)
    assert f'color="{KIND_COLORS[MessageKind.EDIT_PROPOSAL]}"' in proposals
    assert "penwidth=2.50" in proposals and "weight=2" in proposals
    assert len(re.findall(r'id="edge-\d+"', dot)) == 8


def test_quote_escapes() -> None:
    assert quote('a "b"\\\nc') == '"a \\"b\\"\\\\\\nc"'


def test_graphviz_parses_it(dot: str) -> None:
    result = subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "cluster_2" in result.stdout
