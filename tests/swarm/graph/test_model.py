"""The graph model over a recorded run (real bus, run log and check pipeline)."""

from __future__ import annotations

import dataclasses

from swarm.graph.model import ROLES_GROUP, build_graph, split_address
from swarm.messages import MessageKind
from swarm.records import RunStatus
from swarm.runlog import RunLog
from tests.swarm.recorded_run import CALLER, SYMBOL, RecordedRun


def _graph(recorded: RecordedRun):
    with RunLog.open(recorded.runlog, create=False) as log:
        return build_graph(log.snapshot(recorded.run_id))


def test_nodes_are_roles_and_symbols_grouped_by_file(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    groups = graph.groups()
    assert list(groups)[0] == ROLES_GROUP
    assert {n.label for n in groups[ROLES_GROUP]} == {"coordinator", "harness", "proxy-user"}
    assert [n.id for n in groups["shop/discounts.py"]] == [SYMBOL]
    assert [n.id for n in groups["shop/cart.py"]] == [CALLER]
    owner = graph.node(SYMBOL)
    assert owner.kind == "symbol" and owner.label == "BulkDiscount.applies_to"
    assert owner.proposals == ("p1", "p2") and owner.outcome == "approved"
    assert (owner.sent, owner.received) == (4, 6)
    assert graph.node(CALLER).outcome == ""


def test_edges_count_messages_per_sender_recipient_and_kind(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    edges = {(e.source, e.target, e.kind): e for e in graph.edges}
    proposals = edges[(SYMBOL, "harness", MessageKind.EDIT_PROPOSAL)]
    assert proposals.count == 2 and proposals.seqs == (4, 7)
    assert edges[(SYMBOL, CALLER, MessageKind.PROBE)].count == 1
    assert sum(e.count for e in graph.edges) == len(graph.messages) == 10


def test_proposals_carry_checks_verdicts_and_diffs(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    p1, p2 = graph.proposals
    assert p1.verdict is not None and not p1.verdict.approved and p1.verdict.policy == "auto"
    assert not p1.applied and p1.checks[0].passed is False
    failing = [node for node, outcome in p1.checks[0].tests if outcome == "failed"]
    assert failing == ["tests/test_discounts.py::test_bulk_discount_not_below_threshold"]
    assert "tests failed (1 failed, 2 passed)" in p1.checks[0].line
    assert p2.verdict is not None and p2.verdict.approved and p2.applied
    assert "-        return quantity > self.min_quantity" in p2.diff
    assert "+        return quantity >= self.min_quantity" in p2.diff
    assert p2.message_seq == 7


def test_spend_and_run_info(recorded: RecordedRun) -> None:
    graph = _graph(recorded)
    assert graph.spend.model_calls == 2 and graph.spend.by_role == (("symbol_agent", 2, 1720),)
    assert graph.run.status == "done" and not graph.running
    assert (graph.run.patch_added, graph.run.patch_removed, graph.run.patch_files) == (1, 1, 1)
    assert graph.run.base_commit == recorded.base_commit


def test_observed_status_overrides_and_json_round_trips(recorded: RecordedRun) -> None:
    with RunLog.open(recorded.runlog, create=False) as log:
        snapshot = log.snapshot(recorded.run_id)
    graph = build_graph(snapshot, RunStatus.INTERRUPTED)
    assert graph.run.status == "interrupted"
    data = graph.to_json()
    assert [m["seq"] for m in data["messages"]] == list(range(1, 11))
    assert data["proposals"][1]["verdict"]["approved"] is True


def test_an_empty_run_has_no_nodes(recorded: RecordedRun) -> None:
    with RunLog.open(recorded.runlog, create=False) as log:
        snapshot = log.snapshot(recorded.run_id)
    empty = dataclasses.replace(snapshot, messages=(), proposals=(), checks=(), approvals=(), applied=())
    graph = build_graph(empty)
    assert graph.nodes == () and graph.edges == () and graph.proposals == ()


def test_split_address() -> None:
    assert split_address("coordinator") == (ROLES_GROUP, "coordinator")
    assert split_address("src/lib.rs::Ledger::transfer") == ("src/lib.rs", "Ledger::transfer")
