"""The coordinator for a small model (`guided` run mode): deterministic steps
where a 1.5B model's free choices go wrong, the model only where writing is
needed.

    kind, text = await GuidedCoordinator(state, harness).run_pass()

One pass:
1. localize without the model: `locate` over the issue, classes expanded to
   their members, tests and modules left out;
2. reproduce: the model drafts a test from the issue's code blocks, the
   definitions of the names they use and the opening of an existing test
   (one tool, `write_reproduction(source)`, at a path chosen here), which is
   run; a second try sees the first one's result. If no draft fails the way
   it must, the existing tests of the top candidates that fail on the base
   stand in (evidence the repository already holds), else the pass gives up;
3. re-rank by what the reproduction executes (`trace_test`: the executed
   candidates first, the last called first), then the model
   picks from the top of that short list (an enum: it cannot name anything
   else), each option shown with the first call the failing test made to it
   (arguments and result), and words the instruction;
4. assign, wait for the report, ask the proxy user for the final acceptance
   once an edit is approved; a symbol that brings no accepted patch hands
   over: the model chooses again among the untried candidates, told what
   the last agent reported, up to MAX_ASSIGNMENTS.

It reuses the full coordinator's tool handlers (reproduction checks,
assignment rules, waiting, the final acceptance) by calling them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import trio

from editor_harness.errors import HarnessError
from editor_harness.testrun import Outcome
from editor_harness.tracing.model import TracedSymbol
from swarm.agents.context import is_large, language_tag
from swarm.agents.coordinator import Coordinator
from swarm.agents.issue_context import definitions_text, example_test, issue_names, reproduction_path, unfence
from swarm.agents.loop import Conversation, run_turns
from swarm.agents.tools import STR, USER_ERRORS, Tool, Toolbox, ToolResult, describe_run, spec
from swarm.local_model.prompt_budget import fit_lines
from swarm.prompts import render
from swarm.protocols import ChatMessage
from swarm.runner.state import Reproduction, RunState
from symbols.locate import locate

LOCATE_K = 12
CHOICES = 5             # candidates the model chooses from
SHOWN_CODE = 5          # of which this many with their code
CODE_TOKENS = 150
ISSUE_TOKENS = 500
REPRO_STEPS = 2         # drafts of the reproduction
CHOOSE_STEPS = 2
MAX_ASSIGNMENTS = 3
TRACE_TIMEOUT_S = 120.0
EXISTING_TESTS_PER_SYMBOL = 10
CALL_CHARS = 160        # of one observed call shown to the model (arguments -> result)


NOT_CODE = ("error: test_code must be the complete code of the test file (imports, then a test function "
            "with an assert), not a file name or a sentence")


def looks_like_code(text: str) -> bool:
    """More than a file name or one sentence: several lines, one of them a test."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) >= 3 and any(word in text for word in ("def test", "fn ", "#[test]", "assert"))


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith("tests/") or "/tests/" in path or name.startswith("test_") or name.endswith("_test.py")


def ranked_candidates(state: RunState, k: int = LOCATE_K) -> list[str]:
    """Symbols the issue most likely touches, best first: functions and
    methods (a class stands for its members), no modules, no tests."""
    index = state.workspace.index
    out: list[str] = []
    for found in locate(index, state.issue, k):
        try:
            symbol = index.symbol(found.symbol_id)
        except Exception:  # noqa: BLE001 - a ranked id that vanished is left out
            continue
        if symbol.is_module or is_test_path(symbol.path):
            continue
        ids = list(symbol.children) if symbol.children else [symbol.id]
        out.extend(i for i in ids if i not in out)
    return out


def observed_call(traced: TracedSymbol, limit: int = CALL_CHARS) -> str:
    """The first call the reproduction made to a symbol, as one short line:
    what a small model needs to see that `applies_to(quantity=10)` said False."""
    if not traced.first_calls:
        return ""
    sample = traced.first_calls[0]
    ended = (f" -> {sample.return_repr}" if sample.return_repr is not None
             else f" raised {sample.raised_repr}" if sample.raised_repr is not None else "")
    text = f"({sample.args_repr}){ended}"
    if len(text) > limit:
        # The head names the object, the tail holds the last arguments and the result.
        head = limit * 2 // 5
        text = text[:head] + " ... " + text[-(limit - head - 5):]
    times = f"{traced.calls} calls, first " if traced.calls > 1 else ""
    return f"   the failing test ran it: {times}{text}"


def rerank(ranked: Sequence[str], executed: Sequence[str]) -> list[str]:
    """Candidates the reproduction executed first, the last called first,
    then the other executed symbols (in the order they ran), then the rest.

    An issue shows the symptom at the API its author called (`cart.total()`),
    so keyword ranking puts that API first; the defect tends to lie in what
    the API calls, which the trace sees later (`BulkDiscount.applies_to`). A
    small model picks the first option more often than not, so the order is
    the choice."""
    position = {s: n for n, s in enumerate(executed)}
    first = sorted((s for s in ranked if s in position), key=lambda s: -position[s])
    extra = [s for s in executed if s not in ranked and not is_test_path(s.partition("::")[0])]
    rest = [s for s in ranked if s not in position]
    return [*first, *extra, *rest]


class GuidedCoordinator(Coordinator):
    def __init__(self, state: RunState, harness: Any) -> None:
        super().__init__(state, harness)
        self.conversation = Conversation([ChatMessage("system", render("guided_coordinator"))])
        self.tried: list[str] = []
        self.observed: dict[str, TracedSymbol] = {}

    async def run_pass(self, lesson: str = "") -> tuple[str, str]:
        state = self.state
        state.set_agent(self.address, "localizing")
        ranked = ranked_candidates(state)
        if state.request.focus:
            ranked = [state.workspace.symbol(state.request.focus).id]
        if not ranked:
            return "gave_up", "localization found no function or method related to the issue"
        if state.request.reproduce and state.reproduction is None:
            state.set_agent(self.address, "reproducing")
            await self._draft_reproduction(language_tag(state.workspace.symbol(ranked[0])))
            if state.reproduction is None:
                await self._existing_failures(ranked[:CHOICES])
            if state.reproduction is None:
                return "gave_up", "no failing reproduction: the drafted tests did not fail on the current code, and no existing test of the candidates fails"
        ranked = await self._rerank(ranked)
        outcome = ("gave_up", "no assignment brought an accepted patch")
        tried_now: list[str] = []
        for _ in range(MAX_ASSIGNMENTS):
            order = [s for s in ranked if s not in self.tried]
            if not order:
                break
            # A new choice after each failed assignment: the model sees what
            # the last agent reported and the code of the remaining options.
            state.set_agent(self.address, "choosing")
            symbol_id, instruction = await self._choose(order[:CHOICES], lesson)
            self.tried.append(symbol_id)
            tried_now.append(symbol_id)
            ending = await self._work_through(symbol_id, instruction, lesson)
            if ending is not None and ending[0] == "accepted":
                return ending
            # An abandoned candidate is no part of the patch: its rejected
            # proposal must not stand against the next candidate's fix.
            self.harness.latest.pop(symbol_id, None)
            if ending is not None:
                outcome = ending
                lesson = ending[1]
        state.set_agent(self.address, "idle")
        if not tried_now:
            return "gave_up", "every candidate symbol was tried: " + ", ".join(self.tried)
        return outcome

    # -- the steps -------------------------------------------------------------

    async def _draft_reproduction(self, language: str) -> None:
        state = self.state
        root = state.workspace.root
        names = issue_names(state.issue)
        example_path, example = example_test(root, state.workspace.index, names, language)
        path = reproduction_path(root, language)
        prompt = render(
            "guided_reproduction",
            issue=fit_lines(state.issue.strip(), ISSUE_TOKENS),
            language=language,
            definitions=definitions_text(state.workspace.index, names) or "(none found)",
            example_path=example_path or "none",
            example=example or "",
        )

        drafts = 0

        async def write(args: Mapping[str, Any]) -> str | ToolResult:
            nonlocal drafts
            drafts += 1
            source = unfence(str(args["test_code"]))
            if not looks_like_code(source):
                text = NOT_CODE
            else:
                text = await self._write_reproduction({"path": path, "source": source})
            # Every draft is kept in the run log, so a failed one can be inspected.
            state.runlog.record_event(state.run_id, "guided.draft", {"path": path, "source": source, "result": text})
            state.emit("note", f"reproduction draft {drafts}: {text.splitlines()[0] if text else ''}"[:200])
            return ToolResult(text, state.reproduction is not None)

        code = {"type": "string", "description": f"the complete {language} code of the test file: imports, then the test"}
        tool = Tool(spec("write_reproduction", "Write a new test file and run it.", {"test_code": code}, ["test_code"]), write)
        conversation = Conversation([*self.conversation.messages, ChatMessage("user", prompt)])
        await self._ask(conversation, Toolbox([tool]), REPRO_STEPS)

    async def _existing_failures(self, candidates: Sequence[str]) -> None:
        """The candidates' existing tests that fail on the base, as the reproduction."""
        state = self.state
        selection: list[str] = []
        for symbol_id in candidates:
            try:
                tests = state.workspace.select_tests(symbol_id, limit=EXISTING_TESTS_PER_SYMBOL)
            except HarnessError:
                continue
            selection.extend(t.node_id for t in tests if t.node_id not in selection)
        if not selection:
            return
        run = await state.workspace.run_tests(selection, timeout=state.limits.test_timeout_s,
                                              python=str(state.request.interpreter) if state.request.interpreter else None)
        state.remember_base(run)
        failed = [r.node_id for r in run.results if r.outcome is Outcome.FAILED]
        if not failed:
            return
        path = failed[0].split("::", 1)[0]
        chosen = tuple(n for n in failed if n.split("::", 1)[0] == path)
        source = (state.workspace.root / path).read_text(encoding="utf-8", errors="replace")
        state.reproduction = Reproduction(path, chosen, source, run)
        state.runlog.record_event(state.run_id, "swarm.reproduction",
                                  {"path": path, "selection": list(chosen), "source": source, "run": run.to_json(), "existing": True})
        state.emit("note", f"reproduction: the existing test(s) {', '.join(chosen)} fail on the base", path=path)

    async def _rerank(self, ranked: list[str]) -> list[str]:
        repro = self.state.reproduction
        if repro is None or not repro.selection:
            return ranked
        from editor_harness.trace import trace_test

        executed: list[str] = []
        with trio.move_on_after(TRACE_TIMEOUT_S):
            try:
                result = await trace_test(self.state.workspace, repro.selection[0], timeout=self.state.limits.test_timeout_s,
                                          python=str(self.state.request.interpreter) if self.state.request.interpreter else None,
                                          rust_debugger=False)
                executed = [t.symbol_id for t in result.symbols if not t.is_test and t.symbol_id]
                self.observed = {t.symbol_id: t for t in result.symbols if not t.is_test and t.symbol_id}
            except USER_ERRORS as exc:
                self.state.emit("note", f"tracing the reproduction failed ({exc}); keeping the keyword ranking")
        return rerank(ranked, executed) if executed else ranked

    async def _choose(self, options: Sequence[str], lesson: str = "") -> tuple[str, str]:
        """The model's pick among `options` and its instruction (the first option
        and an instruction from the issue when the model gives none)."""
        state = self.state
        picked: dict[str, str] = {}
        workspace = state.workspace
        lines = []
        for n, symbol_id in enumerate(options):
            symbol = workspace.symbol(symbol_id)
            lines.append(f"{n + 1}. {symbol_id}: {symbol.signature or symbol.kind.value}")
            traced = self.observed.get(symbol_id)
            if traced is not None and (call := observed_call(traced)):
                lines.append(call)
            if n < SHOWN_CODE and not is_large(state, symbol_id):
                lines.append(f"```{language_tag(symbol)}\n{fit_lines(workspace.read_symbol(symbol_id).text, CODE_TOKENS)}\n```")
        repro = state.reproduction
        failure = f"The reproduction test fails:\n{fit_lines(describe_run(repro.before), 300)}\n" if repro else ""
        tried = f"Already tried without a fix: {', '.join(self.tried)} ({lesson.strip()[:300]})\n" if self.tried else ""
        prompt = render("guided_choose", issue=fit_lines(state.issue.strip(), ISSUE_TOKENS), failure=failure + tried,
                        candidates="\n".join(lines))

        async def assign(args: Mapping[str, Any]) -> str | ToolResult:
            symbol_id = str(args["symbol_id"]).strip()
            if symbol_id not in options:
                return f"error: choose one of: {', '.join(options)}"
            picked["symbol_id"], picked["instruction"] = symbol_id, str(args.get("instruction", "")).strip()
            return ToolResult(f"chose {symbol_id}", True)

        schema = {"symbol_id": {"type": "string", "enum": list(options)}, "instruction": STR}
        tool = Tool(spec("assign", "Give the symbol to change to its agent.", schema, ["symbol_id", "instruction"]), assign)
        conversation = Conversation([*self.conversation.messages, ChatMessage("user", prompt)])
        await self._ask(conversation, Toolbox([tool]), CHOOSE_STEPS)
        return picked.get("symbol_id", options[0]), picked.get("instruction", "")

    async def _ask(self, conversation: Conversation, toolbox: Toolbox, steps: int) -> None:
        state = self.state
        end = await run_turns(self.model, conversation, toolbox, max_steps=steps, max_malformed=state.limits.malformed_in_a_row,
                              on_completion=lambda _: state.spend_event(), tool_choice="required")
        if end.kind != "terminal":
            state.emit("note", f"coordinator: {end.text}")

    async def _work_through(self, symbol_id: str, instruction: str, lesson: str) -> tuple[str, str] | None:
        """Assign one symbol, wait, and ask for the final acceptance when an
        edit is approved: the ending, or None when nothing was accepted."""
        state = self.state
        title = next((line.strip().lstrip("#").strip() for line in state.issue.splitlines() if line.strip()), "the issue")
        text = instruction or f"Fix the issue in your code if the bug is there: {title}"
        if lesson:
            text += f"\n(Earlier: {lesson.strip()[:300]})"
        state.set_agent(self.address, "working")
        answer = await self._assign({"symbol_id": symbol_id, "instruction": text})
        if not answer.startswith("assigned"):
            state.emit("note", f"coordinator: {answer}")
            return None
        report = await self._wait({})
        if not state.approved:
            return "gave_up", f"{symbol_id}: {report.splitlines()[0] if report else 'no report'}"
        result = await self._finish({"summary": f"{symbol_id} fixed: {title}"})
        if isinstance(result, ToolResult) and result.terminal and self._ending is not None:
            return self._ending
        return "gave_up", str(result)[:500]
