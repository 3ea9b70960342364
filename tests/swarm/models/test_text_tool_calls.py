"""Tool calls written as fenced JSON in a reply's text."""

from __future__ import annotations

from swarm.models.text_tool_calls import extract_text_tool_calls

NAMES = {"rewrite_symbol", "read_symbol"}


def test_a_fenced_call_is_extracted_and_removed_from_the_text() -> None:
    text = 'Reading first.\n```json\n{"name": "read_symbol", "arguments": {"symbol": "a"}}\n```\nThen more.'
    rest, calls = extract_text_tool_calls(text, NAMES)
    assert calls == [("read_symbol", {"symbol": "a"})]
    assert rest == "Reading first.\n\nThen more."


def test_several_fences_arguments_as_string_or_parameters() -> None:
    text = ('```\n{"name": "read_symbol", "arguments": "{\\"symbol\\": \\"a\\"}"}\n```'
            '```json\n{"name": "rewrite_symbol", "parameters": {"symbol": "b", "new_source": "x"}}```')
    rest, calls = extract_text_tool_calls(text, NAMES)
    assert calls == [("read_symbol", {"symbol": "a"}), ("rewrite_symbol", {"symbol": "b", "new_source": "x"})]
    assert rest == ""


def test_a_bare_json_reply_is_a_call() -> None:
    assert extract_text_tool_calls(' {"name": "read_symbol", "arguments": {}} ', NAMES) == ("", [("read_symbol", {})])


def test_other_json_and_unknown_tools_stay_text() -> None:
    text = '```json\n{"name": "delete_repo", "arguments": {}}\n```\n```python\nprint(1)\n```'
    assert extract_text_tool_calls(text, NAMES) == (text.strip(), [])
    assert extract_text_tool_calls('{"name": "read_symbol", "arguments": [1]}', NAMES) == (
        '{"name": "read_symbol", "arguments": [1]}', [])
    assert extract_text_tool_calls("plain prose", NAMES) == ("plain prose", [])
