from __future__ import annotations

from editor_harness.diagnostics_types import (
    ChangeOutcome,
    Diagnostic,
    DiagnosticsDelta,
    DiagnosticsError,
    DiskOutOfSync,
    merge_outcomes,
    outcome_of,
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


def test_outcome_keeps_unchecked_files_and_clears_stale_ones() -> None:
    other = Diagnostic("b.py", 1, 0, 1, 1, "error", "old noise", None, "pyright")
    texts = {"a.py": "new text\n", "b.py": "b text\n"}
    outcome = outcome_of(
        {"a.py": (), "b.py": (other,)},
        {"a.py": (ERROR,)},
        changed="a.py",
        old_text="old text\n",
        text_of=texts.__getitem__,
        checked=["a.py"],
        notes=["", "n1", "n1"],
        whole_workspace=False,
    )
    assert outcome.after["b.py"] == (other,)  # not re-checked: unchanged
    assert outcome.before_texts == {"a.py": "old text\n"} and outcome.after_texts == {"a.py": "new text\n"}
    assert outcome.note == "n1" and outcome.checked == ("a.py",)
    whole = outcome_of(
        {"a.py": (), "b.py": (other,)},
        {"a.py": (ERROR,)},
        changed="a.py",
        old_text=None,
        text_of=texts.__getitem__,
        checked=["a.py"],
        notes=[],
        whole_workspace=True,
    )
    assert whole.after["b.py"] == ()  # the whole-workspace check no longer reports it
    assert whole.before_texts["b.py"] == whole.after_texts["b.py"] == "b text\n"


def test_merge_outcomes_unions_per_file() -> None:
    native = Diagnostic("a.rs", 3, 4, 3, 9, "error", "expected i64", "E0308", "rust-analyzer")
    rustc = Diagnostic("a.rs", 3, 4, 3, 9, "error", "mismatched types", "E0308", "rustc")
    other = Diagnostic("b.rs", 1, 0, 1, 1, "error", "broken caller", "E0061", "rustc")
    first = ChangeOutcome({"a.rs": ()}, {"a.rs": (native,)}, {"a.rs": "old"}, {"a.rs": "new"}, ("a.rs",), "n1")
    second = ChangeOutcome(
        {"a.rs": (), "b.rs": ()}, {"a.rs": (rustc,), "b.rs": (other,)}, {"b.rs": "b"}, {"b.rs": "b"}, ("a.rs",), ""
    )
    merged = merge_outcomes(first, second)
    assert set(merged.after["a.rs"]) == {native, rustc} and merged.after["b.rs"] == (other,)
    assert merged.before == {"a.rs": (), "b.rs": ()}
    assert merged.before_texts == {"a.rs": "old", "b.rs": "b"} and merged.checked == ("a.rs",)
    assert merged.note == "n1"
