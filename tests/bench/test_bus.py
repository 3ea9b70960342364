"""bench.bus runs end to end on a small exchange and prints one JSON line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_bus_prints_one_json_line_with_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bus", "--agents", "12", "--messages", "480", "--repeat", "1",
         "--latency-rounds", "50"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert figures["bench"] == "bus" and figures["messages"] == 480
    for mode in ("memory", "inline", "thread"):
        assert figures[mode]["delivered"] == 480
    # Every persisted message reached the log, in group commits.
    for mode in ("inline", "thread"):
        assert figures[mode]["stored"] == 480
        assert figures[mode]["commits"] < 480
    for key in ("inline_overhead", "inline_cpu_overhead", "inline_p99_ratio", "unloaded_p99_ratio"):
        assert figures[key] > 0
    assert set(figures["unloaded_latency"]) == {"memory", "inline", "thread"}


def test_bench_bus_needs_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.bus", "--modes", "inline"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2 and "baseline" in result.stderr
