"""Tool-call validation: the problems found and how they read."""

from __future__ import annotations

import pytest

from swarm.models.backend import RawToolCall
from swarm.models.errors import ModelRequestError
from swarm.models.validation import Problem, check_request, schema_errors, tool_call_problems
from swarm.protocols import ToolSpec
from tests.swarm.models.conftest import GOOD_ARGS, READ, REWRITE, TOOLS


def raw(name: str = "rewrite_symbol", arguments=None, call_id: str = "c1") -> RawToolCall:
    return RawToolCall(call_id, name, GOOD_ARGS if arguments is None else arguments)


def test_valid_calls_have_no_problems() -> None:
    assert tool_call_problems([raw(), raw("read_symbol", {"symbol": "x"}, "c2")], TOOLS, "auto") == []
    assert tool_call_problems([], TOOLS, "auto") == []
    assert tool_call_problems([], (), "none") == []


def test_schema_errors_are_few_sorted_and_pathed() -> None:
    errors = schema_errors(REWRITE, {"symbol": 1, "new_source": "", "mode": "x", "extra": True})
    assert len(errors) == 3
    assert errors[0].startswith("at $: Additional properties are not allowed ('extra' was unexpected)")
    assert any(e.startswith("at $.mode: 'x' is not one of") for e in errors)


def test_nested_read_only_mappings_validate_like_dicts() -> None:
    from types import MappingProxyType

    tool = ToolSpec("t", "", MappingProxyType({"type": "object", "properties": MappingProxyType(
        {"n": MappingProxyType({"type": "integer"})}), "required": ("n",)}))
    assert schema_errors(tool, MappingProxyType({"n": 3})) == []
    assert schema_errors(tool, {"n": "3"}) == ["at $.n: '3' is not of type 'integer'"]


def test_problems_of_the_whole_reply_have_no_call_id() -> None:
    assert tool_call_problems([], TOOLS, "read_symbol") == [Problem(None, "read_symbol", "you must call the tool read_symbol")]
    (problem,) = tool_call_problems([raw(), raw(call_id="c2")], TOOLS, "none")
    assert problem.call_id is None and "you called rewrite_symbol" in problem.message


def test_each_bad_call_gets_its_own_problem() -> None:
    calls = [raw(arguments={}), RawToolCall("c2", "read_symbol", None, "the arguments are not valid JSON (x)"),
             raw("nope", {}, "c3")]
    problems = tool_call_problems(calls, TOOLS, "auto")
    assert [p.call_id for p in problems] == ["c1", "c2", "c3"]
    assert problems[1].message == "the arguments are not valid JSON (x)"


def test_a_schema_with_its_own_draft_is_honoured() -> None:
    draft4 = ToolSpec("old", "", {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                                  "properties": {"n": {"type": "number", "minimum": 1, "exclusiveMinimum": True}}})
    check_request([draft4], "auto")
    assert schema_errors(draft4, {"n": 1}) == ["at $.n: 1 is less than or equal to the minimum of 1"]


def test_check_request_accepts_the_usual_choices() -> None:
    for choice in ("auto", "required", "none", "read_symbol"):
        check_request(TOOLS, choice)
    with pytest.raises(ModelRequestError):
        check_request((READ,), "rewrite_symbol")
