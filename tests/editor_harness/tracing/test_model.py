"""TraceResult and friends: JSON round trips, option checks, frame caps."""

from __future__ import annotations

import json

import pytest

from editor_harness.errors import HarnessError
from editor_harness.tracing.errors import BadTraceOptions
from editor_harness.tracing.model import (
    MAX_FRAMES,
    CallSample,
    PanicFrame,
    PanicInfo,
    TracedSymbol,
    TracedTest,
    TraceOptions,
    TraceResult,
    located,
)


def _result() -> TraceResult:
    return TraceResult(
        selection="t",
        language="rust",
        outcome="failed",
        symbols=(
            TracedSymbol("src/a.rs::f", 2, (CallSample("x=1", return_repr="2"), CallSample("x=2", raised_repr="<u>")),
                         evidence="call"),
            TracedSymbol("tests/t.rs::t", 1, (), is_test=True, evidence="backtrace"),
        ),
        panic=PanicInfo("panic", "boom", "src/a.rs", 3, 4, "src/a.rs::f", "t", "t",
                        (PanicFrame("a::f", "src/a.rs", 3, 4, "src/a.rs::f"),)),
        elapsed_s=1.5,
        truncated=False,
        note="n",
        tests=(TracedTest("t", "failed", 0.1),),
        tracer="gdb breakpoints",
    )


def test_json_round_trip() -> None:
    result = _result()
    assert TraceResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    bare = TraceResult("t", "python", "passed", (), None, 0.1, False, "")
    assert TraceResult.from_json(json.loads(json.dumps(bare.to_json()))) == bare


def test_lookup_by_symbol_id() -> None:
    result = _result()
    found = result.symbol("src/a.rs::f")
    assert found is not None and found.calls == 2
    assert result.symbol("src/a.rs::missing") is None


def test_options_are_checked() -> None:
    with pytest.raises(BadTraceOptions) as caught:
        TraceOptions(timeout=-1)
    assert isinstance(caught.value, HarnessError) and "positive" in str(caught.value)
    with pytest.raises(BadTraceOptions):
        TraceOptions(timeout=1, max_symbols=0)
    assert TraceOptions(timeout=1).max_calls_recorded == 3


def test_located_uses_the_innermost_repository_frame_and_caps_deep_stacks() -> None:
    outside = PanicFrame("core::unwrap", "/rustc/x/result.rs", 10)
    inner = [PanicFrame("a::r", "src/a.rs", 5, None, "src/a.rs::r")] * 500
    info = located("crash", "SIGSEGV", (outside, *inner, PanicFrame("a::main", "src/a.rs", 1, None, "src/a.rs::main")),
                   "t")
    assert (info.path, info.line, info.symbol_id) == ("src/a.rs", 5, "src/a.rs::r")
    assert len(info.frames) == MAX_FRAMES
    assert info.frames[0] == outside and info.frames[-1].function == "a::main"
    nowhere = located("timeout", "timed out", (), None)
    assert nowhere.path is None and nowhere.frames == ()
