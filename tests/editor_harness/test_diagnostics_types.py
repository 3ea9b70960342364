from __future__ import annotations

from editor_harness.diagnostics_types import (
    Diagnostic,
    DiagnosticsDelta,
    DiagnosticsError,
    DiskOutOfSync,
    severity_from_lsp,
    severity_rank,
)
from editor_harness.errors import HarnessError

ERROR = Diagnostic("a.py", 3, 4, 3, 9, "error", '"x" is not defined', "reportUndefinedVariable", "pyright")
WARNING = Diagnostic("a.py", 5, 0, 5, 2, "warning", "unused", None, "pyright")


def test_severities() -> None:
    assert [severity_from_lsp(n) for n in (1, 2, 3, 4)] == ["error", "warning", "information", "hint"]
    assert severity_from_lsp(None) == "error"
    assert severity_rank("error") < severity_rank("warning") < severity_rank("hint")
    assert severity_rank("bogus") == 0


def test_delta_json_round_trip_and_verdict() -> None:
    delta = DiagnosticsDelta(introduced=(ERROR, WARNING), fixed=(), source="server", elapsed_s=0.25, note="n")
    assert DiagnosticsDelta.from_json(delta.to_json()) == delta
    assert delta.introduced_errors == (ERROR,)
    assert not delta.clean
    assert DiagnosticsDelta((WARNING,), (ERROR,), "cli-fallback", 1.0).clean


def test_describe_is_one_editor_style_line() -> None:
    assert ERROR.describe() == 'a.py:3:5: error [reportUndefinedVariable]: "x" is not defined'
    assert Diagnostic.from_json(ERROR.to_json()) == ERROR


def test_errors_are_harness_errors() -> None:
    assert issubclass(DiskOutOfSync, DiagnosticsError) and issubclass(DiagnosticsError, HarnessError)
