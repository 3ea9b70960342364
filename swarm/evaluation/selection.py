"""Choosing one patch among an instance's candidates.

    selection = await select_candidate(candidates, issue=..., base=TestBench(...), reviewer=...)
    selection.chosen, selection.reason, selection.to_json()

Steps: drop what does not apply or parse, merge candidates that mean the
same (candidates.py), then rank the distinct patches by tests the swarm can
run without the hidden ones, each in a fresh checkout of the base with the
patch applied:

- reproduction tests: the test files the runs wrote (every candidate's, so
  each patch meets the others' reproductions too), more passing is better;
- regression tests: tests that select the symbols the patches change and
  that pass on the base; fewer newly failing is better.

Ties go to a reviewer-model vote (`ModelReviewer`; scripted in tests); with
no reviewer, the tie goes to the candidate that came first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from editor_harness.selection import is_python_test_file
from editor_harness.testrun import Outcome, TestRun
from symbols.errors import SymbolsError
from symbols.model import SymbolKind
from symbols.scope import scope_source

from swarm.evaluation.candidates import Candidate, CandidateCheck, CandidateGroup, ReadBase, check_all
from swarm.evaluation.gold_plan import plan_file
from swarm.evaluation.symbol_ops import OpKind
from swarm.models.errors import ModelError
from swarm.protocols import ChatMessage, Model, ToolSpec


class TestBench(Protocol):
    """Runs tests on the base with a patch applied, in a fresh checkout each time."""

    async def run(self, patch: str, test_files: Mapping[str, str], selection: Sequence[str]) -> TestRun: ...

    def regression_tests(self, symbol_ids: Sequence[str], limit: int) -> tuple[str, ...]:
        """Test ids of the base that exercise these symbols."""
        ...


class Reviewer(Protocol):
    async def choose(self, issue: str, options: Sequence[tuple[str, str]]) -> tuple[str, str]:
        """(label, reason) among `options` (label, patch)."""
        ...


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the tests said about one distinct patch."""

    label: str
    reproduction_passed: int
    reproduction_total: int
    regressions: tuple[str, ...]
    regression_total: int
    note: str = ""

    @property
    def score(self) -> tuple[int, int]:
        return (self.reproduction_passed, -len(self.regressions))

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "reproduction_passed": self.reproduction_passed,
            "reproduction_total": self.reproduction_total,
            "regressions": list(self.regressions),
            "regression_total": self.regression_total,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Selection:
    chosen: Candidate | None
    reason: str
    checks: tuple[CandidateCheck, ...]
    groups: tuple[CandidateGroup, ...]
    evidence: tuple[Evidence, ...] = ()
    tied: tuple[str, ...] = ()  # labels that went to the vote
    votes: tuple[str, ...] = ()  # the reviewer's reasons
    reproduction_tests: tuple[str, ...] = ()
    regression_tests: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen.label if self.chosen else None,
            "reason": self.reason,
            "dropped": {c.candidate.label: c.problem for c in self.checks if not c.usable},
            "groups": [list(g.labels) for g in self.groups],
            "evidence": [e.to_json() for e in self.evidence],
            "tied": list(self.tied),
            "votes": list(self.votes),
            "reproduction_tests": list(self.reproduction_tests),
            "regression_tests": list(self.regression_tests),
        }


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return is_python_test_file(path) or (path.endswith(".rs") and path.startswith("tests/")) or name.startswith("test_")


def reproduction_files(candidates: Sequence[Candidate]) -> dict[str, str]:
    """Every candidate's reproduction tests; a path two runs both wrote differently gets the label."""
    files: dict[str, str] = {}
    for candidate in candidates:
        for path, text in candidate.tests.items():
            if path in files and files[path] != text:
                stem, dot, suffix = path.rpartition(".")
                path = f"{stem}_{candidate.label}{dot}{suffix}" if dot else f"{path}_{candidate.label}"
            files[path] = text
    return files


def reproduction_ids(path: str, text: str) -> list[str]:
    """Runnable ids of the tests a reproduction file defines: pytest node ids,
    `tests/x.rs::name` for Rust `#[test]` functions."""
    try:
        scoped = scope_source(path, text.encode("utf-8"))
    except SymbolsError:
        return [path]
    source = text.encode("utf-8")
    by_id = scoped.by_id()
    found: list[str] = []
    for symbol in scoped.symbols[1:]:
        parent = by_id.get(symbol.parent or "")
        if parent is None:
            continue
        if symbol.language == "rust":
            head = source[symbol.start_byte : symbol.end_byte].split(b"fn ", 1)[0]
            if parent.is_module and b"test" in head and b"#[" in head:
                found.append(f"{path}::{symbol.name}")
        elif symbol.name.startswith("test") and symbol.kind in (SymbolKind.FUNCTION, SymbolKind.METHOD):
            if parent.is_module:
                found.append(f"{path}::{symbol.name}")
            elif parent.kind is SymbolKind.CLASS and parent.name.startswith("Test") and by_id[parent.parent or ""].is_module:
                found.append(f"{path}::{parent.name}::{symbol.name}")
    return found or [path]


def changed_symbols(check: CandidateCheck, read_base: ReadBase) -> list[str]:
    """The symbols a usable candidate's patch changes (the oracle's conversion, read back)."""
    found: list[str] = []
    for path, after in check.post_images.items():
        if is_test_path(path):
            continue
        plan = plan_file(path, read_base(path), after)
        for op in plan.ops:
            symbol = op.parent_id if op.kind is OpKind.INSERT and op.parent_id else op.symbol_id
            if symbol not in found:
                found.append(symbol)
    return found


def _passed(run: TestRun) -> set[str]:
    return {r.node_id for r in run.results if r.outcome is Outcome.PASSED}


async def _evidence(
    group: CandidateGroup, bench: TestBench, repro: Mapping[str, str], regression: Sequence[str], base_passed: set[str]
) -> Evidence:
    candidate = group.representative
    wanted = tuple(i for path, text in repro.items() for i in reproduction_ids(path, text))
    passed = 0
    notes: list[str] = []
    if wanted:
        run = await bench.run(candidate.patch, repro, wanted)
        passed = len(_passed(run) & set(wanted))
        if run.note:
            notes.append(f"reproduction: {run.note}")
    guarded = [t for t in regression if t in base_passed]
    regressions: tuple[str, ...] = ()
    if guarded:
        run = await bench.run(candidate.patch, {}, guarded)
        ok = _passed(run)
        regressions = tuple(t for t in guarded if t not in ok)
        if run.note:
            notes.append(f"regression: {run.note}")
    return Evidence(candidate.label, passed, len(wanted), regressions, len(guarded), "; ".join(notes))


async def select_candidate(
    candidates: Sequence[Candidate],
    *,
    issue: str,
    read_base: ReadBase,
    bench: TestBench | None,
    reviewer: Reviewer | None = None,
    max_regression_tests: int = 50,
) -> Selection:
    checks, groups = check_all(candidates, read_base)
    if not groups:
        return Selection(None, "no candidate applies and parses", tuple(checks), ())
    if len(groups) == 1:
        only = groups[0]
        why = "the only usable candidate" if len(only.members) == 1 else f"all usable candidates agree ({', '.join(only.labels)})"
        return Selection(only.representative, why, tuple(checks), tuple(groups))
    evidence: list[Evidence] = []
    repro = reproduction_files(candidates)
    regression: tuple[str, ...] = ()
    if bench is not None:
        symbols: list[str] = []
        for group in groups:
            symbols.extend(s for s in changed_symbols(group.members[0], read_base) if s not in symbols)
        regression = bench.regression_tests(symbols, max_regression_tests)
        base_passed = _passed(await bench.run("", {}, regression)) if regression else set()
        for group in groups:
            evidence.append(await _evidence(group, bench, repro, regression, base_passed))
    by_label = {g.representative.label: g for g in groups}
    if evidence:
        best = max(e.score for e in evidence)
        tied = [e.label for e in evidence if e.score == best]
    else:
        tied = list(by_label)
    common = dict(
        checks=tuple(checks),
        groups=tuple(groups),
        evidence=tuple(evidence),
        reproduction_tests=tuple(i for path, text in repro.items() for i in reproduction_ids(path, text)),
        regression_tests=regression,
    )
    if len(tied) == 1:
        top = next(e for e in evidence if e.label == tied[0])
        why = (
            f"best by tests: {top.reproduction_passed}/{top.reproduction_total} reproduction tests pass, "
            f"{len(top.regressions)}/{top.regression_total} regressions"
        )
        return Selection(by_label[tied[0]].representative, why, **common)  # type: ignore[arg-type]
    if reviewer is None:
        return Selection(
            by_label[tied[0]].representative,
            f"tests tie between {', '.join(tied)}; no reviewer configured: the first is kept",
            tied=tuple(tied),
            **common,  # type: ignore[arg-type]
        )
    label, reason = await reviewer.choose(issue, [(t, by_label[t].representative.patch) for t in tied])
    chosen = by_label.get(label, by_label[tied[0]])
    return Selection(
        chosen.representative,
        f"tests tie between {', '.join(tied)}; the reviewer chose {chosen.representative.label}",
        tied=tuple(tied),
        votes=(reason,),
        **common,  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- reviewer

CHOOSE_TOOL = "choose_patch"
REVIEW_PROMPT = """\
You review candidate patches for one issue. They all pass the same tests, so
the tests cannot tell them apart. Choose the patch that fixes the issue most
correctly and completely with the least risk to other behaviour. Call
{tool} with its label and a one-sentence reason.

# Issue
{issue}

{patches}"""


class ModelReviewer:
    """A reviewer model votes `votes` times; the majority wins (earliest label on a tie)."""

    def __init__(self, model: Model, *, votes: int = 1, max_patch_chars: int = 12_000) -> None:
        self.model = model
        self.votes = max(1, votes)
        self.max_patch_chars = max_patch_chars

    def _prompt(self, issue: str, options: Sequence[tuple[str, str]]) -> str:
        patches = "\n\n".join(
            f"# Patch {label}\n```diff\n{patch[: self.max_patch_chars]}\n```" for label, patch in options
        )
        return REVIEW_PROMPT.format(tool=CHOOSE_TOOL, issue=issue.strip(), patches=patches)

    async def choose(self, issue: str, options: Sequence[tuple[str, str]]) -> tuple[str, str]:
        labels = [label for label, _ in options]
        tool = ToolSpec(
            CHOOSE_TOOL,
            "Choose the best patch.",
            {
                "type": "object",
                "properties": {"label": {"type": "string", "enum": labels}, "reason": {"type": "string"}},
                "required": ["label", "reason"],
            },
        )
        messages = [ChatMessage("user", self._prompt(issue, options))]
        picks: list[str] = []
        reasons: list[str] = []
        for _ in range(self.votes):
            try:
                completion = await self.model.complete(messages, tools=[tool], tool_choice="required")
            except ModelError as exc:
                reasons.append(f"no valid vote ({type(exc).__name__}: {exc})")
                continue
            calls = [c for c in completion.message.tool_calls if c.name == CHOOSE_TOOL]
            label = str(calls[0].arguments.get("label", "")) if calls else ""
            if label in labels:
                picks.append(label)
                reasons.append(f"{label}: {calls[0].arguments.get('reason', '')}".strip())
            else:
                reasons.append(f"no valid vote ({json.dumps(completion.message.content[:200])})")
        if not picks:
            return labels[0], "; ".join(reasons) + f"; kept the first, {labels[0]}"
        counts = Counter(picks)
        top = max(counts.values())
        winner = next(label for label in labels if counts.get(label) == top)
        return winner, "; ".join(reasons)


def selection_quality(selection: Selection, resolves: Mapping[str, bool]) -> dict[str, Any]:
    """Whether the chosen candidate is the best available: it resolves the
    instance, or none does. `resolves` maps candidate labels to the grader's verdict."""
    chosen = selection.chosen.label if selection.chosen else None
    any_resolves = any(resolves.values())
    chosen_resolves = bool(chosen and resolves.get(chosen))
    return {
        "chosen": chosen,
        "chosen_resolves": chosen_resolves,
        "any_resolves": any_resolves,
        "selected_is_best": chosen_resolves or not any_resolves,
    }

