"""Checks a reply's tool calls against the tools offered and their JSON
schemas (draft 2020-12 unless a schema says otherwise). Pure functions."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swarm.models.backend import RawToolCall
from swarm.models.errors import ModelRequestError
from swarm.models.jsonable import plain
from swarm.protocols import ToolChoice, ToolSpec

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

MODES = ("auto", "required", "none")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a reply is unusable. `call_id` is None for a problem of the reply
    as a whole (no call where one was required)."""

    call_id: str | None
    tool: str | None
    message: str


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> Validator:
    # Imported here: jsonschema costs ~0.1 s, and importing swarm.models
    # (e.g. for `swarm --help`) should not pay it.
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    schema = json.loads(schema_json)
    cls = validator_for(schema, default=Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def _schema_key(tool: ToolSpec) -> str:
    return json.dumps(plain(tool.parameters), sort_keys=True)


def check_request(tools: Sequence[ToolSpec], tool_choice: ToolChoice) -> None:
    """Refuse a request that no model could satisfy, before sending it."""
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise ModelRequestError(f"two tools share a name: {sorted(names)}; tool names must be unique")
    for tool in tools:
        if tool.name in MODES:
            raise ModelRequestError(f"a tool may not be named {tool.name!r}: it is a tool_choice mode")
        from jsonschema.exceptions import SchemaError

        try:
            _validator(_schema_key(tool))
        except (SchemaError, TypeError, ValueError) as exc:
            message = getattr(exc, "message", str(exc))
            raise ModelRequestError(f"tool {tool.name!r} has an invalid JSON schema: {message}") from None
    if tool_choice == "required" and not tools:
        raise ModelRequestError('tool_choice="required" needs at least one tool')
    if tool_choice not in MODES and tool_choice not in names:
        raise ModelRequestError(
            f"tool_choice={tool_choice!r} is neither auto/required/none nor an offered tool "
            f"({', '.join(names) or 'none offered'})"
        )


def schema_errors(tool: ToolSpec, arguments: Mapping[str, Any]) -> list[str]:
    """Readable schema violations, at most three, each with its JSON path."""
    validator = _validator(_schema_key(tool))
    errors = sorted(validator.iter_errors(plain(arguments)), key=lambda e: list(e.absolute_path))
    return [f"at {e.json_path}: {e.message}" for e in errors[:3]]


def tool_call_problems(
    calls: Sequence[RawToolCall], tools: Sequence[ToolSpec], tool_choice: ToolChoice
) -> list[Problem]:
    offered = {tool.name: tool for tool in tools}
    problems: list[Problem] = []
    if tool_choice == "none" and calls:
        names = ", ".join(sorted({c.name for c in calls}))
        return [Problem(None, None, f"no tool may be called in this reply (you called {names}); answer in text")]
    if not calls:
        if tool_choice == "required":
            problems.append(Problem(None, None, f"you must call one of these tools: {', '.join(offered)}"))
        elif tool_choice in offered:
            problems.append(Problem(None, tool_choice, f"you must call the tool {tool_choice}"))
        return problems
    for call in calls:
        tool = offered.get(call.name)
        if tool is None:
            known = ", ".join(offered) or "none"
            problems.append(Problem(call.id, call.name, f"there is no tool {call.name!r}; the tools are: {known}"))
        elif tool_choice not in MODES and call.name != tool_choice:
            problems.append(Problem(call.id, call.name, f"only the tool {tool_choice} may be called now"))
        elif call.arguments is None:
            problems.append(Problem(call.id, call.name, call.error or "the arguments are not a JSON object"))
        else:
            errors = schema_errors(tool, call.arguments)
            if errors:
                problems.append(Problem(call.id, call.name, "; ".join(errors)))
    return problems
