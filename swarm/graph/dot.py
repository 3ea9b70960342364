"""The conversation graph in Graphviz DOT.

Roles and symbols are nodes, symbols clustered by file; an edge is all
messages of one kind from one participant to another, its width growing
with the count and its colour naming the kind. A symbol whose proposal was
approved is green, one whose proposals were all rejected red, one still
waiting amber; its label lists each proposal with ✓ / ✗.

Node `i` of `RunGraph.nodes` is `n<i>` with SVG id `node-<i>`, edge `j`
is `edge-<j>`: the HTML page finds them by these ids.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from swarm.graph.model import ROLES_GROUP, Node, ProposalView, RunGraph
from swarm.messages import MessageKind

KIND_COLORS: Mapping[MessageKind, str] = {
    MessageKind.TASK: "#1f77b4",
    MessageKind.PROBE: "#17becf",
    MessageKind.ANSWER: "#2ca02c",
    MessageKind.EDIT_PROPOSAL: "#9467bd",
    MessageKind.CHECK_REPORT: "#bcbd22",
    MessageKind.APPROVAL_REQUEST: "#e377c2",
    MessageKind.APPROVAL: "#2e7d32",
    MessageKind.REJECTION: "#d62728",
    MessageKind.FOLLOW_UP: "#ff7f0e",
    MessageKind.DONE: "#7f7f7f",
    MessageKind.GIVE_UP: "#8c564b",
}
OUTCOME_FILLS: Mapping[str, str] = {"approved": "#c8e6c9", "rejected": "#ffcdd2", "proposed": "#ffe0b2", "": "#ffffff"}
ROLE_FILL = "#e3f2fd"


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def node_name(index: int) -> str:
    return f"n{index}"


def render_dot(graph: RunGraph) -> str:
    index = {node.id: i for i, node in enumerate(graph.nodes)}
    verdicts = {p.id: p for p in graph.proposals}
    lines = [
        "digraph swarm_run {",
        f"  graph [rankdir=LR, fontname=Helvetica, fontsize=11, labelloc=t, label={quote(_title(graph))},"
        " nodesep=0.35, ranksep=0.9, bgcolor=white];",
        '  node [fontname=Helvetica, fontsize=10, shape=box, style="rounded,filled", penwidth=1.2];',
        "  edge [fontname=Helvetica, fontsize=9, arrowsize=0.7];",
    ]
    for cluster, (group, nodes) in enumerate(graph.groups().items()):
        lines.append(f"  subgraph cluster_{cluster} {{")
        lines.append(f"    label={quote(group)}; style=\"rounded,dashed\"; color=\"#9e9e9e\"; fontcolor=\"#616161\";")
        for node in nodes:
            i = index[node.id]
            lines.append(f"    {node_name(i)} [{_node_attrs(node, i, verdicts)}];")
        lines.append("  }")
    for j, edge in enumerate(graph.edges):
        color = KIND_COLORS.get(edge.kind, "#000000")
        label = edge.kind.value + (f" ×{edge.count}" if edge.count > 1 else "")
        width = 1.0 + 1.5 * math.log2(edge.count)
        tooltip = f"{edge.source} -> {edge.target}: {edge.count} {edge.kind.value} (#" + ", #".join(map(str, edge.seqs)) + ")"
        lines.append(
            f"  {node_name(index[edge.source])} -> {node_name(index[edge.target])} [id={quote(f'edge-{j}')},"
            f" label={quote(label)}, color={quote(color)}, fontcolor={quote(color)}, penwidth={width:.2f},"
            f" weight={edge.count}, tooltip={quote(tooltip)}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(graph: RunGraph) -> str:
    return f"{graph.run.title}\nrun {graph.run.id} · {graph.run.status}"


def _node_attrs(node: Node, i: int, proposals: Mapping[str, ProposalView]) -> str:
    label_lines = [node.label]
    for pid in node.proposals:
        proposal = proposals.get(pid)
        verdict = proposal.verdict if proposal is not None else None
        if verdict is None:
            label_lines.append(f"{pid} … waiting")
        else:
            label_lines.append(f"{pid} {'✓ approved' if verdict.approved else '✗ rejected'}")
    if node.group == ROLES_GROUP:
        shape, fill = "ellipse", ROLE_FILL
    else:
        shape, fill = "box", OUTCOME_FILLS.get(node.outcome, "#ffffff")
    border = {"approved": "#2e7d32", "rejected": "#c62828", "proposed": "#ef6c00"}.get(node.outcome, "#424242")
    return (
        f"id={quote(f'node-{i}')}, label={quote(chr(10).join(label_lines))}, shape={shape}, fillcolor={quote(fill)},"
        f" color={quote(border)}, tooltip={quote(node.id)}"
    )
