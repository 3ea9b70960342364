"""The messages of the repair round."""

from __future__ import annotations

from swarm.models.backend import RawToolCall, Reply
from swarm.models.repair import NOT_RUN, repair_messages
from swarm.models.validation import Problem
from swarm.protocols import ChatMessage, ToolCall
from tests.swarm.models.conftest import CONVERSATION


def reply(text: str, *calls: RawToolCall) -> Reply:
    return Reply(text, calls, "tool_use", 1, 1, "m", 1)


def test_unparseable_arguments_go_back_as_an_empty_object_with_the_raw_text_quoted() -> None:
    bad = RawToolCall("c1", "rewrite_symbol", None, "the arguments are not valid JSON", '{"symbol": "a", ')
    messages = repair_messages(CONVERSATION, reply("Trying.", bad), [Problem("c1", "rewrite_symbol", bad.error or "")])
    assert messages[:2] == CONVERSATION
    assert messages[2] == ChatMessage("assistant", "Trying.", tool_calls=(ToolCall("c1", "rewrite_symbol", {}),))
    assert messages[3].role == "tool" and messages[3].tool_call_id == "c1"
    assert messages[3].content == (
        "Error in your call to rewrite_symbol: the arguments are not valid JSON. Nothing was executed. "
        'Your arguments were: {"symbol": "a",  Make the call again, correctly: a known tool, with arguments '
        "that match its JSON schema."
    )


def test_a_silent_empty_reply_gets_only_the_user_note() -> None:
    messages = repair_messages(CONVERSATION, reply(""), [Problem(None, None, "you must call one of these tools: a")])
    assert messages[2:] == (ChatMessage("user", "Your reply was not usable: you must call one of these tools: a."),)


def test_good_calls_are_answered_not_run() -> None:
    good = RawToolCall("ok", "read_symbol", {"symbol": "a"})
    bad = RawToolCall("bad", "read_symbol", {})
    messages = repair_messages(CONVERSATION, reply("", good, bad), [Problem("bad", "read_symbol", "x")])
    assert [(m.tool_call_id, m.content == NOT_RUN) for m in messages[3:]] == [("ok", True), ("bad", False)]
