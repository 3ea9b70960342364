"""Tool calls written as text. Small local models often answer a tool call
with a fenced JSON block, `{"name": ..., "arguments": {...}}`, which servers
without a matching template return as plain content. Pure functions."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

_FENCED = re.compile(r"```[a-zA-Z]*[ \t]*\n?(.*?)```", re.DOTALL)


def extract_text_tool_calls(
    text: str, tool_names: Collection[str]
) -> tuple[str, list[tuple[str, Mapping[str, Any]]]]:
    """(text left over, [(tool name, arguments)]) from fenced JSON blocks, or
    from the whole text when it is one such JSON object. Blocks that do not
    name an offered tool stay in the text untouched."""
    calls: list[tuple[str, Mapping[str, Any]]] = []

    def take(match: re.Match[str]) -> str:
        call = _as_call(match.group(1), tool_names)
        if call is None:
            return match.group(0)
        calls.append(call)
        return ""

    rest = _FENCED.sub(take, text)
    if not calls:
        call = _as_call(text, tool_names)
        if call is not None:
            return "", [call]
    return rest.strip(), calls


def _as_call(candidate: str, tool_names: Collection[str]) -> tuple[str, Mapping[str, Any]] | None:
    try:
        data = json.loads(candidate.strip())
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("name") not in tool_names:
        return None
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return str(data["name"]), arguments
