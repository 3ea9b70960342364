"""Errors of the conversation graph renderers."""

from __future__ import annotations

from swarm.errors import SwarmError


class GraphError(SwarmError):
    """Base of graph rendering errors."""


class GraphvizMissing(GraphError):
    """The `dot` program (Graphviz) is not installed."""


class GraphvizFailed(GraphError):
    """`dot` ran but could not lay the graph out."""
