"""Personalized PageRank: a proper distribution that leans toward its restart set."""

from __future__ import annotations

import numpy as np
import pytest

from symbols.rank import pagerank


def chain(edges: list[tuple[int, int]]):
    sources = np.array([a for a, _ in edges], dtype=np.int64)
    targets = np.array([b for _, b in edges], dtype=np.int64)
    return sources, targets, np.ones(len(edges))


def test_uniform_cycle_is_uniform():
    ranks = pagerank(chain([(0, 1), (1, 2), (2, 0)]), 3)
    assert ranks == pytest.approx([1 / 3] * 3)


def test_most_referenced_node_ranks_first_and_mass_is_kept():
    ranks = pagerank(chain([(0, 3), (1, 3), (2, 3), (3, 0)]), 4)
    assert int(np.argmax(ranks)) == 3
    assert ranks.sum() == pytest.approx(1.0)


def test_personalization_pulls_toward_its_nodes():
    graph = chain([(0, 1), (1, 0), (2, 3), (3, 2)])
    plain = pagerank(graph, 4)
    toward = pagerank(graph, 4, np.array([0.0, 0.0, 1.0, 0.0]))
    assert toward[2] + toward[3] > 0.99 and plain[2] + plain[3] == pytest.approx(0.5)


def test_dangling_nodes_return_their_mass_and_empty_graphs_work():
    ranks = pagerank(chain([(0, 1)]), 3)
    assert ranks.sum() == pytest.approx(1.0) and ranks[1] > ranks[2]
    assert pagerank(chain([]), 0).shape == (0,)
    assert pagerank(chain([]), 2) == pytest.approx([0.5, 0.5])
