"""The terminal view: complete, in time order, within the width."""

from __future__ import annotations

import pytest

from swarm.graph.model import build_graph
from swarm.graph.text import render_text
from swarm.runlog import RunLog
from tests.swarm.recorded_run import RecordedRun


@pytest.fixture
def text(recorded: RecordedRun) -> str:
    with RunLog.open(recorded.runlog, create=False) as log:
        return render_text(build_graph(log.snapshot(recorded.run_id)))


def test_fits_in_80_columns(text: str) -> None:
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("width", [40, 60, 120])
def test_other_widths(recorded: RecordedRun, width: int) -> None:
    with RunLog.open(recorded.runlog, create=False) as log:
        out = render_text(build_graph(log.snapshot(recorded.run_id)), width)
    assert max(len(line) for line in out.splitlines()) <= width


def test_sections_and_participants(text: str, recorded: RecordedRun) -> None:
    assert text.startswith(f"Run {recorded.run_id}\n")
    for heading in ("PARTICIPANTS", "WHO PROBED WHOM", "TIMELINE"):
        assert f"\n{heading}\n" in text
    assert "Bulk discount not applied when buying exactly 10 items" in text
    assert "✓ BulkDiscount.applies_to sent 4, received 6; p1 rejected, p2 approved" in text
    assert "2 proposals (1 approved, 1 rejected)" in text


def test_probe_with_its_why_and_answer(text: str) -> None:
    probes = text.split("WHO PROBED WHOM")[1].split("TIMELINE")[0]
    assert "#2 BulkDiscount.applies_to -> Cart.total: Do you pass the line" in " ".join(probes.split())
    assert "<- #3 answer: Yes: amount_off(unit_price, quantity) per line." in probes


def test_timeline_is_in_order_with_checks_and_verdicts(text: str) -> None:
    timeline = text.split("\nTIMELINE\n")[1]
    positions = [timeline.index(f"  #{seq}  ") for seq in range(1, 11)]
    assert positions == sorted(positions)
    p1 = timeline.index("┌ proposal p1")
    assert p1 < timeline.index("checks FAILED") < timeline.index("└ REJECTED by auto: tests fail") < timeline.index("#5")
    assert "FAILED tests/test_discounts.py::test_bulk_discount_not_below_threshold" in timeline
    assert "└ APPROVED by auto (applied): checks pass" in timeline
