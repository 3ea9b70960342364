"""What a diagnostic is to the harness, whoever produced it (a warm language
server or a CLI fallback), and the errors the diagnostics stage raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from editor_harness.errors import HarnessError

Severity = Literal["error", "warning", "information", "hint"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "information", "hint")
# LSP DiagnosticSeverity numbers, 1-based.
_LSP_SEVERITY: dict[int, Severity] = {1: "error", 2: "warning", 3: "information", 4: "hint"}

DiagnosticsSource = Literal["server", "cli-fallback"]


def severity_rank(severity: str) -> int:
    """0 for errors up to 3 for hints; unknown severities rank as errors."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0  # type: ignore[arg-type]


def severity_from_lsp(value: int | None) -> Severity:
    # The spec leaves a missing severity to the client: an unlabelled problem
    # is treated as the worst kind rather than silently dropped.
    return _LSP_SEVERITY.get(int(value), "error") if value is not None else "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file. Lines are 1-based, columns 0-based code points,
    `path` is repo-relative (posix)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    message: str
    code: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def describe(self) -> str:
        code = f" [{self.code}]" if self.code else ""
        return f"{self.path}:{self.line}:{self.column + 1}: {self.severity}{code}: {self.message}"


@dataclass(frozen=True, slots=True)
class DiagnosticsDelta:
    """What one change introduced and fixed, and how that was found out."""

    introduced: tuple[Diagnostic, ...]
    fixed: tuple[Diagnostic, ...]
    source: str
    elapsed_s: float
    note: str = ""
    # Per file with introduced diagnostics, the codes of the errors it already
    # had before the change: a kind of error the file is full of says the code
    # is not written for this checker.
    known_codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def introduced_errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.introduced if d.severity == "error")

    @property
    def clean(self) -> bool:
        """True when the change introduced no error (warnings may remain)."""
        return not self.introduced_errors

    def to_json(self) -> dict[str, Any]:
        return {
            "introduced": [d.to_json() for d in self.introduced],
            "fixed": [d.to_json() for d in self.fixed],
            "source": self.source,
            "elapsed_s": self.elapsed_s,
            "note": self.note,
            "known_codes": {path: list(codes) for path, codes in self.known_codes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiagnosticsDelta:
        return cls(
            introduced=tuple(Diagnostic.from_json(d) for d in data.get("introduced", ())),
            fixed=tuple(Diagnostic.from_json(d) for d in data.get("fixed", ())),
            source=str(data.get("source", "server")),
            elapsed_s=float(data.get("elapsed_s", 0.0)),
            note=str(data.get("note", "")),
            known_codes={str(p): tuple(str(c) for c in codes) for p, codes in (data.get("known_codes") or {}).items()},
        )

    def already_known(self, diagnostic: Diagnostic) -> bool:
        """The file held errors of this code before the change."""
        return diagnostic.code is not None and diagnostic.code in self.known_codes.get(diagnostic.path, ())


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What a backend saw around one change: diagnostics and texts per file,
    before and after. The service turns it into a DiagnosticsDelta."""

    before: Mapping[str, tuple[Diagnostic, ...]]
    after: Mapping[str, tuple[Diagnostic, ...]]
    before_texts: Mapping[str, str]
    after_texts: Mapping[str, str]
    # Files actually re-checked for this change (the changed one first).
    checked: tuple[str, ...] = field(default=())
    note: str = ""


def outcome_of(
    before: Mapping[str, tuple[Diagnostic, ...]],
    after: Mapping[str, tuple[Diagnostic, ...]],
    *,
    changed: str,
    old_text: str | None,
    text_of: Callable[[str], str],
    checked: Sequence[str],
    notes: Sequence[str],
    whole_workspace: bool,
) -> ChangeOutcome:
    """The outcome of one change from the pictures around it.

    Files not re-checked keep their "before" picture; with a whole-workspace
    check (cargo check) a file it no longer reports on is clean now. Every
    file but the changed one has the same text on both sides."""
    after = dict(after)
    if whole_workspace:
        for stale in set(before) - set(after):
            after[stale] = ()
    compared = sorted(set(before) | set(after))
    before = {path: before.get(path, ()) for path in compared}
    after = {path: after.get(path, before[path]) for path in compared}
    # Texts only where something differs: the rest needs no matching.
    after_texts = {path: text_of(path) for path in compared if before[path] != after[path] or path == changed}
    before_texts = dict(after_texts)
    if old_text is not None:
        before_texts[changed] = old_text
    return ChangeOutcome(
        before=before,
        after=after,
        before_texts=before_texts,
        after_texts=after_texts,
        checked=tuple(checked),
        note="; ".join(dict.fromkeys(n for n in notes if n)),
    )


def merge_outcomes(*outcomes: ChangeOutcome) -> ChangeOutcome:
    """One outcome from several checkers that looked at the same change."""
    files = sorted({path for o in outcomes for path in (*o.before, *o.after)})

    def union(side: str, path: str) -> tuple[Diagnostic, ...]:
        found = {d for o in outcomes for d in getattr(o, side).get(path, ())}
        return tuple(sorted(found, key=lambda d: (d.line, d.column, d.end_line, d.end_column, d.message)))

    before_texts: dict[str, str] = {}
    after_texts: dict[str, str] = {}
    for outcome in outcomes:
        for path, text in outcome.before_texts.items():
            before_texts.setdefault(path, text)
        for path, text in outcome.after_texts.items():
            after_texts.setdefault(path, text)
    return ChangeOutcome(
        before={path: union("before", path) for path in files},
        after={path: union("after", path) for path in files},
        before_texts=before_texts,
        after_texts=after_texts,
        checked=tuple(dict.fromkeys(path for o in outcomes for path in o.checked)),
        note="; ".join(dict.fromkeys(o.note for o in outcomes if o.note)),
    )


class DiagnosticsBackend(Protocol):
    """Where diagnostics of one language come from: a warm server or a CLI."""

    language: str
    source: str  # "server" | "cli-fallback"

    def open_text(self, path: str) -> str | None: ...

    async def start(self) -> None: ...

    async def current(self, path: str) -> tuple[Diagnostic, ...]: ...

    async def change(self, path: str, new_text: str, baseline_text: str | None) -> ChangeOutcome: ...


class DiagnosticsError(HarnessError):
    """Base of what the diagnostics stage refuses or cannot do."""


class DiskOutOfSync(DiagnosticsError):
    """apply_change was called with text that is not what the file on disk holds."""


class NoDiagnosticsFor(DiagnosticsError):
    """No language of this service handles the file."""


class DiagnosticsUnavailable(DiagnosticsError):
    """Neither the language server nor its CLI fallback could produce diagnostics."""
