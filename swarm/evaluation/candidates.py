"""Candidate patches of one instance: which are usable, which are the same.

    checks = [check_candidate(c, read_base) for c in candidates]
    groups = dedupe(checks)          # one group per distinct meaning, usable ones only

A candidate is dropped when its patch is empty, does not apply to the base
(git apply, on the pre-images of the files it touches), or leaves a touched
source file with syntax errors it did not have (tree-sitter). The rest are
grouped by `ast_normalize.fingerprint`: patches that differ only in comments,
whitespace or formatting are one group, represented by its first member.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from symbols.errors import SymbolsError
from symbols.languages import language_for_path
from symbols.scope import scope_source

from swarm.evaluation.ast_normalize import fingerprint
from swarm.evaluation.errors import PatchApplyError
from swarm.evaluation.patch_images import images

ReadBase = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One independent run's patch for an instance."""

    label: str  # "c1", "c2", ... unique within the instance
    model: str  # the model (and settings) that produced it, as in model_name_or_path
    patch: str
    run_id: str = ""
    status: str = ""  # the run's status ("accepted", "gave_up", ...)
    elapsed_s: float = 0.0
    cost_usd: float | None = None
    tests: Mapping[str, str] = field(default_factory=dict)  # reproduction test files it wrote: path -> text

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "model": self.model,
            "patch": self.patch,
            "run_id": self.run_id,
            "status": self.status,
            "elapsed_s": self.elapsed_s,
            "cost_usd": self.cost_usd,
            "tests": dict(self.tests),
        }


@dataclass(frozen=True, slots=True)
class CandidateCheck:
    candidate: Candidate
    usable: bool
    problem: str  # why it was dropped ("" when usable)
    key: str = ""  # fingerprint of what it does ("" when dropped)
    post_images: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CandidateGroup:
    """Candidates that do the same thing; `members[0]` represents them."""

    key: str
    members: tuple[CandidateCheck, ...]

    @property
    def representative(self) -> Candidate:
        return self.members[0].candidate

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(m.candidate.label for m in self.members)


def _new_syntax_errors(path: str, before: str | None, after: str) -> int:
    """How many more damaged lines `after` has than `before` (0 for non-source files)."""
    if language_for_path(path) is None:
        return 0
    try:
        new = scope_source(path, after.encode("utf-8"))
        old = scope_source(path, before.encode("utf-8")) if before is not None else None
    except SymbolsError:
        return 0
    return max(0, len(new.error_lines) - (len(old.error_lines) if old is not None else 0))


def check_candidate(candidate: Candidate, read_base: ReadBase) -> CandidateCheck:
    """Whether the candidate's patch applies to the base and parses; its fingerprint."""
    if not candidate.patch.strip():
        return CandidateCheck(candidate, False, "empty patch")
    try:
        before, after = images(candidate.patch, read_base)
    except PatchApplyError as exc:
        return CandidateCheck(candidate, False, f"does not apply: {exc}")
    broken = [path for path, text in after.items() if _new_syntax_errors(path, before.get(path), text)]
    if broken:
        return CandidateCheck(candidate, False, f"does not parse: new syntax errors in {', '.join(broken)}")
    key = fingerprint(before, after)
    if key == fingerprint({}, {}):
        return CandidateCheck(candidate, False, "changes only comments, whitespace or formatting")
    return CandidateCheck(candidate, True, "", key, after)


def dedupe(checks: Iterable[CandidateCheck]) -> list[CandidateGroup]:
    """Usable candidates grouped by fingerprint, groups in order of first appearance."""
    groups: dict[str, list[CandidateCheck]] = {}
    for check in checks:
        if check.usable:
            groups.setdefault(check.key, []).append(check)
    return [CandidateGroup(key, tuple(members)) for key, members in groups.items()]


def check_all(candidates: Sequence[Candidate], read_base: ReadBase) -> tuple[list[CandidateCheck], list[CandidateGroup]]:
    checks = [check_candidate(c, read_base) for c in candidates]
    return checks, dedupe(checks)
