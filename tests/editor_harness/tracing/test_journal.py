"""Reading the plugin's journal, including one cut short by a kill."""

from __future__ import annotations

import json
from pathlib import Path

from editor_harness.tracing.journal import journal_text, parse_journal


def _lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_a_complete_journal() -> None:
    text = _lines(
        {"e": "start", "python": "3.12.1", "tracer": "sys.monitoring", "pid": 1},
        {"e": "collected", "n": 1},
        {"e": "test", "id": "tests/t.py::test_a", "f": "/r/tests/t.py", "l": 3, "n": "test_a"},
        {"e": "code", "k": 0, "f": "/r/tests/t.py", "l": 3, "n": "test_a", "q": "test_a", "body": False},
        {"e": "call", "k": 0, "s": 0, "a": ""},
        {"e": "code", "k": 1, "f": "/r/a.py", "l": 1, "n": "<module>", "q": None, "body": True},
        {"e": "call", "k": 1, "s": 1, "a": ""},
        {"e": "ret", "s": 1, "v": "None"},
        {"e": "yield", "s": 0, "v": "1"},
        {"e": "raise", "s": 0, "v": "ValueError()"},
        {"e": "ret", "s": 0, "v": "ignored: the first ending wins"},
        {"e": "exception", "id": "tests/t.py::test_a", "when": "call", "type": "ValueError", "msg": "boom",
         "frames": [["/r/a.py", 2, "f"], ["/r/tests/t.py", 4, "test_a"]]},
        {"e": "report", "id": "tests/t.py::test_a", "when": "call", "outcome": "failed", "xfail": False, "dur": 0.5},
        {"e": "counts", "c": [[0, 1], [1, 1]]},
        {"e": "end", "exit": 1},
    )
    journal = parse_journal(text)

    assert journal.started and journal.tracer == "sys.monitoring" and journal.python == "3.12.1"
    assert journal.collected == 1 and journal.exit_status == 1 and journal.malformed_lines == 0
    assert [c.key for c in journal.codes] == [0, 1]
    assert journal.codes[1].body and journal.codes[1].name == "<module>"
    assert journal.counts == {0: 1, 1: 1}
    first, second = journal.samples
    assert (first.key, first.yielded, first.raised, first.returned) == (0, "1", "ValueError()", None)
    assert (second.key, second.returned) == (1, "None")
    (exception,) = journal.exceptions
    assert exception.type == "ValueError" and exception.frames[0].path == "/r/a.py"
    assert journal.reports[0].outcome == "failed" and journal.reports[0].duration_s == 0.5


def test_a_journal_cut_short_keeps_what_it_has() -> None:
    text = _lines(
        {"e": "start", "python": "3.8.18", "tracer": "sys.settrace"},
        {"e": "code", "k": 0, "f": "/r/a.py", "l": 1, "n": "f", "q": None, "body": False},
        {"e": "call", "k": 0, "s": 0, "a": "x=1"},
    ) + '{"e":"call","k":0,"s":1,"a":"x='  # killed mid-write
    journal = parse_journal(text)

    assert journal.counts is None and journal.exit_status is None
    assert journal.malformed_lines == 1
    assert [(s.key, s.args, s.returned) for s in journal.samples] == [(0, "x=1", None)]


def test_hang_and_crash_stacks() -> None:
    text = _lines(
        {"e": "hang", "frames": [["/r/a.py", 5, "spin"]]},
        {"e": "crash", "signal": "SIGSEGV", "frames": [["/r/src/x.rs", 9, "x::f"]]},
        {"e": "note", "text": "something to know"},
        {"e": "code", "k": 0, "f": "/r/src/x.rs", "l": 9, "n": "x::f", "q": None, "body": False, "sym": "src/x.rs::f"},
    )
    journal = parse_journal(text)

    assert journal.hang is not None and journal.hang[0].name == "spin"
    assert journal.crash is not None and journal.crash_signal == "SIGSEGV"
    assert journal.notes == ("something to know",)
    assert journal.codes[0].symbol_id == "src/x.rs::f"
    assert not journal.started


def test_journal_text_is_empty_before_the_tracer_writes(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    assert journal_text(path) == ""
    path.write_text('{"e":"start","python":"3.12.1","tracer":"sys.monitoring"}\n')
    assert parse_journal(journal_text(path)).started
