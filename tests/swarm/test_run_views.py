"""How runs and messages are summarised for people."""

from __future__ import annotations

import time

import pytest
from rich.console import Console

from swarm.messages import Message, MessageKind, message_id
from swarm.records import RunRecord, RunStatus, Spend
from swarm.run_views import (
    RunRow,
    body_summary,
    duration,
    header_lines,
    message_line,
    patch_text,
    runs_plain,
    runs_rich,
    shorten,
    spend_text,
    tokens,
)

SYMBOL = "shop/money.py::Money.round"


def _message(kind: MessageKind, body: dict[str, object], **extra: object) -> Message:
    fields: dict[str, object] = {
        "id": message_id("r", 3),
        "run_id": "r",
        "seq": 3,
        "kind": kind,
        "sender": "coordinator",
        "recipient": SYMBOL,
        "body": body,
        "in_reply_to": None,
        "created_at": 1700000000.25,
    }
    fields.update(extra)
    return Message(**fields)  # type: ignore[arg-type]


def _run(**extra: object) -> RunRecord:
    fields: dict[str, object] = {
        "id": "20260101-000000-abcdef",
        "repo": "/repo",
        "base_commit": None,
        "issue_text": "Rounding is off\nmore",
        "config": {},
        "status": RunStatus.DONE,
        "reason": None,
        "started_at": 1700000000.0,
        "ended_at": 1700000095.0,
        "patch": None,
        "spend": Spend(),
        "owner_pid": None,
        "owner_host": None,
        "attempts": 1,
        "message_count": 0,
    }
    fields.update(extra)
    return RunRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        (MessageKind.TASK, {"instruction": "Round half up"}, "Round half up"),
        (MessageKind.PROBE, {"question": "What  do you\nreturn?"}, "What do you return?"),
        (MessageKind.ANSWER, {"text": "A Money"}, "A Money"),
        (
            MessageKind.EDIT_PROPOSAL,
            {"proposal_id": "p2", "symbol_id": SYMBOL, "base_version": 1, "new_source": "a\nb\nc\n", "rationale": "why"},
            f"p2 rewrites {SYMBOL} (3 lines): why",
        ),
        (MessageKind.CHECK_REPORT, {"proposal_id": "p2", "report": {}, "passed": False}, "p2 failed"),
        (MessageKind.CHECK_REPORT, {"proposal_id": "p2", "report": {}}, "p2 reported"),
        (MessageKind.APPROVAL_REQUEST, {"proposal_id": "p2"}, "p2"),
        (MessageKind.APPROVAL, {"proposal_id": "p2", "reason": "green"}, "p2: green"),
        (MessageKind.REJECTION, {"proposal_id": "p2", "reason": "red"}, "p2: red"),
        (
            MessageKind.FOLLOW_UP,
            {"reason": "sig", "changed_symbol": SYMBOL, "old_signature": "f()", "new_signature": "f(x)"},
            f"{SYMBOL}: f() -> f(x) (sig)",
        ),
        (MessageKind.DONE, {"reason": "fixed"}, "fixed"),
        (MessageKind.GIVE_UP, {"reason": "stuck"}, "stuck"),
    ],
)
def test_every_kind_has_a_one_line_summary(kind: MessageKind, body: dict[str, object], expected: str) -> None:
    assert body_summary(_message(kind, body)) == expected


def test_long_text_is_shortened_on_one_line() -> None:
    assert shorten("a " * 100, 20) == "a a a a a a a a a a…"
    assert len(body_summary(_message(MessageKind.ANSWER, {"text": "word " * 100}))) == 100


def test_message_line_names_the_reply_and_the_deduplication() -> None:
    seq_of = {"r/1": 1, "r/2": 2}
    line = message_line(_message(MessageKind.PROBE, {"question": "?"}, in_reply_to="r/1", attached_to="r/2"), seq_of)
    assert f"#3  coordinator -> {SYMBOL}  probe  ?  (re #1; same as #2, not delivered)" in line
    assert line.startswith(time.strftime("%H:%M:%S", time.localtime(1700000000.25)) + ".250")
    assert "(re ?)" in message_line(_message(MessageKind.ANSWER, {"text": "x"}, in_reply_to="other-run/9"), {})
    # A message left out of the view (swarm show --tail) is still named by its seq.
    assert "(re #1)" in message_line(_message(MessageKind.ANSWER, {"text": "x"}, in_reply_to="r/1"), {})


def test_spend_is_honest_about_unpriced_calls() -> None:
    assert spend_text(Spend()) == "-"
    assert spend_text(Spend(2, 1500, 500, 0.02, 0)) == "$0.0200 · 2.0k tok"
    assert spend_text(Spend(3, 1500, 500, 0.02, 1)) == "$0.0200 · 2.0k tok (+1 unpriced)"
    assert spend_text(Spend(1, 10, 5, 0.0, 1)) == "? · 15 tok"
    assert tokens(999) == "999" and tokens(12345) == "12.3k"


def test_durations_and_patch_sizes() -> None:
    assert (duration(None), duration(4.25), duration(95), duration(7300)) == ("-", "4.2s", "1m35s", "2h01m")
    assert patch_text(None) == "-"
    assert patch_text("--- a/f\n+++ b/f\n@@ -1,2 +1 @@\n-a\n-b\n+c\n") == "+1 -2"


def test_header_says_when_a_run_ended_without_a_record() -> None:
    lines = dict(header_lines(_run(ended_at=None, status=RunStatus.RUNNING), RunStatus.INTERRUPTED))
    assert lines["duration"].startswith("-") and "without recording" in lines["duration"]
    lines = dict(header_lines(_run(attempts=3, reason="fixed", base_commit="abc"), RunStatus.DONE))
    assert (lines["duration"], lines["status"], lines["repo"]) == ("1m35s", "done (fixed)", "/repo @ abc")
    assert lines["attempts"] == "3 (resumed)"


def test_runs_table_plain_and_rich() -> None:
    rows = [RunRow(_run(), RunStatus.DONE), RunRow(_run(id="r2", issue_text="x" * 200), RunStatus.INTERRUPTED)]
    plain = runs_plain(rows).splitlines()
    assert plain[0].split() == ["RUN", "STATUS", "STARTED", "PATCH", "SPEND", "MSGS", "ISSUE"]
    assert plain[1].split()[:2] == ["20260101-000000-abcdef", "done"]
    assert plain[2].split()[:2] == ["r2", "interrupted"] and plain[2].endswith("…")
    # Columns line up: every status starts where the STATUS header does.
    assert {line.index(line.split()[1]) for line in plain} == {plain[0].index("STATUS")}
    console = Console(record=True, width=200)
    console.print(runs_rich(rows, "test.sqlite3"))
    text = console.export_text()
    assert "Runs in test.sqlite3" in text and "interrupted" in text and "Rounding is off" in text
    assert RunRow(_run(), RunStatus.DONE).to_json()["issue"] == "Rounding is off"
