"""Tools the agents call: compact JSON schemas, and their dispatch.

A `Tool` is a spec (what the model sees) plus an async handler returning the
text the model reads back. Handlers never raise for bad input: a harness or
symbols error, an unknown symbol or a failed test run becomes a short
"error: ..." text the model can act on. `reading_tools(state)` are the tools
shared by the coordinator and the symbol agents; each agent adds its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import trio

from editor_harness.errors import HarnessError
from editor_harness.navigation import SymbolLocation
from editor_harness.testrun import TestRun
from lsp.errors import LspError
from swarm.errors import SwarmError
from swarm.local_model.prompt_budget import fit_lines
from swarm.protocols import ToolCall, ToolSpec
from swarm.runner.state import RunState
from symbols.errors import SymbolsError

Handler = Callable[[Mapping[str, Any]], Awaitable["str | ToolResult"]]
MAX_RESULT_TOKENS = 700     # what one tool result may add to a small model's context
NAVIGATION_TIMEOUT_S = 30.0

USER_ERRORS = (HarnessError, SymbolsError, SwarmError, LspError, OSError, ValueError)


def spec(name: str, description: str, properties: Mapping[str, Any] | None = None, required: Sequence[str] = ()) -> ToolSpec:
    """A tool spec with an object schema that refuses unknown arguments."""
    return ToolSpec(
        name,
        description,
        {
            "type": "object",
            "properties": dict(properties or {}),
            "required": list(required),
            "additionalProperties": False,
        },
    )


STR = {"type": "string"}
SYMBOL = {"type": "string", "description": "symbol id like path.py::Class.method, or a name"}


@dataclass(frozen=True, slots=True)
class Tool:
    spec: ToolSpec
    handler: Handler
    terminal: bool = False  # the loop ends after this tool (done, give_up, finish)


@dataclass(frozen=True, slots=True)
class ToolResult:
    text: str
    terminal: bool


class Toolbox:
    """The tools of one agent, by name."""

    def __init__(self, tools: Sequence[Tool]) -> None:
        self._tools = {t.spec.name: t for t in tools}

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(t.spec for t in self._tools.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    async def call(self, call: ToolCall) -> ToolResult:
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolResult(f"error: no tool {call.name!r}; tools: {', '.join(self._tools)}", False)
        try:
            out = await tool.handler(call.arguments)
        except USER_ERRORS as exc:
            return ToolResult(f"error: {exc}", False)
        # A handler returns a ToolResult when it decides itself whether the turn ends.
        return out if isinstance(out, ToolResult) else ToolResult(out, tool.terminal)


def shorten(text: str, tokens: int = MAX_RESULT_TOKENS) -> str:
    return fit_lines(text, tokens)


def describe_run(run: TestRun, max_failures: int = 3) -> str:
    """A test run in a few lines: counts, then the first failures' messages."""
    lines = [f"tests: {run.summary()}"]
    for failure in run.failures()[:max_failures]:
        message = "\n".join(failure.message.strip().splitlines()[-12:])
        lines.append(f"{failure.outcome.value.upper()} {failure.node_id}\n{message}")
    if not run.results and (run.stderr_tail or run.stdout_tail):
        lines.append((run.stderr_tail or run.stdout_tail)[-1500:])
    return shorten("\n".join(lines))


# -- shared handlers -------------------------------------------------------------


def resolve_symbol(state: RunState, ref: str) -> str:
    """A symbol id from an id or a bare/qualified name (the single best match)."""
    ref = ref.strip()
    workspace = state.workspace
    if "::" in ref:
        return workspace.symbol(ref).id
    found = workspace.find_symbols(ref, limit=5)
    if not found:
        raise HarnessError(f"no symbol named {ref!r}; use search(query) to find it")
    return found[0].id


async def references_of(state: RunState, symbol_id: str) -> list[SymbolLocation]:
    """Where a symbol is used; a navigation fallback taken on the way is noted in the run."""
    navigator = state.session.navigator
    noted = len(navigator.notes)
    try:
        return await navigator.references_to(symbol_id)
    finally:
        for note in navigator.notes[noted:]:
            state.emit("note", f"navigation: {note}", symbol_id=symbol_id)


def reading_tools(state: RunState) -> list[Tool]:
    workspace = state.workspace

    async def read_symbol(args: Mapping[str, Any]) -> str:
        symbol_id = resolve_symbol(state, str(args["symbol_id"]))
        view = workspace.read_symbol(symbol_id, max_chars=6000)
        head = f"{view.symbol_id} ({view.path}, lines {view.start_line}-{view.end_line}, version {view.version})"
        return head + "\n" + shorten(view.text, 1200)

    async def outline(args: Mapping[str, Any]) -> str:
        path = str(args["path"])
        symbols = workspace.outline(path)
        return shorten("\n".join(f"{s.id}  {s.signature}".rstrip() for s in symbols))

    async def search(args: Mapping[str, Any]) -> str:
        hits = workspace.search(str(args["query"]), ignore_case=True, limit=20)
        if not hits:
            return "no matches"
        return shorten("\n".join(f"{h.path}:{h.line} [{h.symbol_id}] {h.text.strip()}" for h in hits))

    async def go_to_definition(args: Mapping[str, Any]) -> str:
        ref = str(args["symbol"]).strip()
        if "::" in ref:
            symbols = [workspace.symbol(ref)]
        else:
            symbols = list(workspace.find_symbols(ref, limit=8))
        if not symbols:
            return f"no definition of {ref!r} in the repository"
        return "\n".join(f"{s.id} ({s.path}:{s.start_line}) {s.signature}".rstrip() for s in symbols)

    async def references(args: Mapping[str, Any]) -> str:
        symbol_id = resolve_symbol(state, str(args["symbol"]))
        with trio.move_on_after(NAVIGATION_TIMEOUT_S):
            found = await references_of(state, symbol_id)
            users = sorted({f"{r.symbol_id} ({r.location.path}:{r.location.line})" for r in found if r.symbol_id and r.symbol_id != symbol_id})
            return shorten("\n".join(users)) if users else f"no references to {symbol_id} found"
        return f"error: references to {symbol_id} took longer than {NAVIGATION_TIMEOUT_S:g}s"

    async def run_tests(args: Mapping[str, Any]) -> str:
        selection = [s for s in str(args.get("selection", "")).split() if s]
        if not selection and state.reproduction is not None:
            selection = list(state.reproduction.selection)
        run = await workspace.run_tests(selection, timeout=state.limits.test_timeout_s, python=_python(state))
        return describe_run(run)

    async def trace_test(args: Mapping[str, Any]) -> str:
        from editor_harness.trace import trace_test as trace

        selection = str(args["selection"]).strip()
        result = await trace(workspace, selection, timeout=state.limits.test_timeout_s, python=_python(state))
        lines = [f"trace of {selection}: {result.outcome}"]
        if result.panic is not None:
            where = f" at {result.panic.symbol_id or result.panic.path}:{result.panic.line}" if result.panic.path else ""
            lines.append(f"stopped: {result.panic.kind}{where}: {result.panic.message.strip()[:400]}")
        for traced in result.symbols[:25]:
            if traced.is_test:
                continue
            sample = ""
            if traced.first_calls:
                first = traced.first_calls[0]
                sample = f"  e.g. ({first.args_repr}) -> {first.return_repr or first.raised_repr or '?'}"
            lines.append(f"{traced.symbol_id} x{traced.calls}{sample}"[:300])
        return shorten("\n".join(lines))

    return [
        Tool(spec("read_symbol", "Read a symbol's code.", {"symbol_id": SYMBOL}, ["symbol_id"]), read_symbol),
        Tool(spec("outline", "List the symbols of a file.", {"path": STR}, ["path"]), outline),
        Tool(spec("search", "Search the code for text.", {"query": STR}, ["query"]), search),
        Tool(spec("go_to_definition", "Where a name is defined.", {"symbol": SYMBOL}, ["symbol"]), go_to_definition),
        Tool(spec("references", "Symbols that use a symbol.", {"symbol": SYMBOL}, ["symbol"]), references),
        Tool(
            spec(
                "run_tests",
                "Run tests (space-separated pytest node ids / cargo test files; empty: the reproduction).",
                {"selection": STR},
            ),
            run_tests,
        ),
        Tool(spec("trace_test", "Run one test and list the symbols it executed.", {"selection": STR}, ["selection"]), trace_test),
    ]


def _python(state: RunState) -> str | None:
    return str(state.request.interpreter) if state.request.interpreter else None
