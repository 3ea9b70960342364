"""Personalized PageRank over the definition/reference graph (numpy power iteration)."""

from __future__ import annotations

import numpy as np

DAMPING = 0.85


def pagerank(
    graph: tuple[np.ndarray, np.ndarray, np.ndarray],
    size: int,
    personalization: np.ndarray | None = None,
    *,
    damping: float = DAMPING,
    iterations: int = 40,
    tolerance: float = 1e-9,
) -> np.ndarray:
    """Stationary scores (summing to 1) of a random walk that restarts at `personalization`.

    `graph` is (source, target, weight) arrays; a node with no out-edges
    sends its mass back to the restart distribution.
    """
    if size == 0:
        return np.zeros(0)
    sources, targets, weights = graph
    if personalization is None or not personalization.any():
        restart = np.full(size, 1.0 / size)
    else:
        restart = personalization / personalization.sum()
    out = np.bincount(sources, weights=weights, minlength=size)
    share = weights / out[sources] if len(sources) else weights
    dangling = out == 0
    rank = restart.copy()
    for _ in range(iterations):
        spread = np.bincount(targets, weights=rank[sources] * share, minlength=size)
        new = (1 - damping) * restart + damping * (spread + rank[dangling].sum() * restart)
        if np.abs(new - rank).sum() < tolerance:
            return new
        rank = new
    return rank
