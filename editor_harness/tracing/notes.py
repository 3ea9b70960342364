"""The caveats every trace's `note` ends with, in plain words."""

from __future__ import annotations

from editor_harness.tracing.model import Outcome, TraceOptions


def caveats(outcome: Outcome, options: TraceOptions, found: int, output_truncated: bool) -> list[str]:
    parts = []
    if outcome == "timeout":
        parts.append(f"the run was killed at the {options.timeout:g} s timeout; the trace is partial")
    if outcome == "crashed":
        parts.append("the test process died; the trace is partial")
    if found > options.max_symbols:
        parts.append(f"{found} symbols ran; the first {options.max_symbols} are listed")
    if output_truncated:
        parts.append("test output was long; only its end was kept")
    return parts
