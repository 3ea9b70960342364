"""The caveats a trace's note ends with."""

from __future__ import annotations

from editor_harness.tracing.model import TraceOptions
from editor_harness.tracing.notes import caveats


def test_each_caveat_is_said_when_it_applies() -> None:
    options = TraceOptions(timeout=7, max_symbols=5)

    assert caveats("passed", options, 5, False) == []
    timeout = caveats("timeout", options, 9, True)
    assert timeout == [
        "the run was killed at the 7 s timeout; the trace is partial",
        "9 symbols ran; the first 5 are listed",
        "test output was long; only its end was kept",
    ]
    assert caveats("crashed", options, 1, False) == ["the test process died; the trace is partial"]
