"""What a trace is: the data the trace tool returns, JSON in and out."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from editor_harness.tracing.errors import BadTraceOptions

Outcome = Literal["passed", "failed", "error", "skipped", "timeout", "crashed"]
# How a symbol came to be in a trace:
#   "call"        its calls were counted by the tracer (Python); counts are exact
#   "backtrace"   it was on the stack when the test panicked (Rust); `calls` =
#                 how many of the panic's frames it held
#   "panic-line"  it is called on the line that panicked but had already
#                 returned (found through the index, not observed); calls = 0
#   "test"        the test function itself, known to have run; calls = 1
Evidence = Literal["call", "backtrace", "panic-line", "test"]
PanicKind = Literal["panic", "exception", "timeout", "crash", "build"]


@dataclass(frozen=True, slots=True)
class CallSample:
    """One recorded call: its arguments when it began, and how it ended.

    At most one of `return_repr` / `raised_repr` is set; neither when the call
    was still running as the process ended (a hang, a crash) or its end was
    not observed. `yielded_repr` is the first value a generator yielded.
    """

    args_repr: str
    return_repr: str | None = None
    raised_repr: str | None = None
    yielded_repr: str | None = None


@dataclass(frozen=True, slots=True)
class TracedSymbol:
    symbol_id: str
    calls: int
    first_calls: tuple[CallSample, ...] = ()
    is_test: bool = False
    evidence: Evidence = "call"


@dataclass(frozen=True, slots=True)
class PanicFrame:
    """One stack frame; `function` is the language's own name for it
    (`ledger::ledger::Ledger::transfer`, `applies_to`)."""

    function: str
    path: str | None = None  # repo-relative when inside the repository
    line: int | None = None
    column: int | None = None
    symbol_id: str | None = None


@dataclass(frozen=True, slots=True)
class PanicInfo:
    """Where and why the test stopped: a Rust panic, a Python exception, the
    place a hung test was interrupted, the last words of a crash, or the
    first error of a build that failed.
    `frames` are innermost first; only frames inside the repository are kept,
    plus the innermost frame wherever it is."""

    kind: PanicKind
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    symbol_id: str | None = None
    thread: str | None = None
    test: str | None = None
    frames: tuple[PanicFrame, ...] = ()


MAX_FRAMES = 60


def capped(frames: tuple[PanicFrame, ...]) -> tuple[PanicFrame, ...]:
    """Deep recursion makes stacks of thousands of frames: keep both ends."""
    if len(frames) <= MAX_FRAMES:
        return frames
    return frames[: MAX_FRAMES - 10] + frames[-10:]


def located(kind: PanicKind, message: str, frames: tuple[PanicFrame, ...], test: str | None) -> PanicInfo:
    """A PanicInfo placed at the innermost frame inside the repository."""
    here = next((f for f in frames if f.symbol_id is not None), None)
    return PanicInfo(
        kind=kind,
        message=message,
        path=here.path if here else None,
        line=here.line if here else None,
        column=here.column if here else None,
        symbol_id=here.symbol_id if here else None,
        test=test,
        frames=capped(frames),
    )


@dataclass(frozen=True, slots=True)
class TracedTest:
    test_id: str
    outcome: Outcome
    duration_s: float = 0.0


@dataclass(frozen=True, slots=True)
class TraceResult:
    """What running one test selection executed, in order of first call.

    `symbols` are symbols of the repository under test only (never stdlib,
    site-packages or crates.io code), capped; `truncated` says the cap cut it.
    `note` says in plain words what the trace can and cannot show.
    """

    selection: str
    language: str
    outcome: Outcome
    symbols: tuple[TracedSymbol, ...]
    panic: PanicInfo | None
    elapsed_s: float
    truncated: bool
    note: str
    tests: tuple[TracedTest, ...] = ()
    tracer: str = ""

    def symbol(self, symbol_id: str) -> TracedSymbol | None:
        return next((s for s in self.symbols if s.symbol_id == symbol_id), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TraceResult:
        panic = data.get("panic")
        return cls(
            selection=data["selection"],
            language=data["language"],
            outcome=data["outcome"],
            symbols=tuple(
                TracedSymbol(
                    symbol_id=s["symbol_id"],
                    calls=s["calls"],
                    first_calls=tuple(CallSample(**c) for c in s.get("first_calls", ())),
                    is_test=s.get("is_test", False),
                    evidence=s.get("evidence", "call"),
                )
                for s in data.get("symbols", ())
            ),
            panic=None
            if panic is None
            else PanicInfo(
                **{k: v for k, v in panic.items() if k != "frames"},
                frames=tuple(PanicFrame(**f) for f in panic.get("frames", ())),
            ),
            elapsed_s=data["elapsed_s"],
            truncated=data["truncated"],
            note=data["note"],
            tests=tuple(TracedTest(**t) for t in data.get("tests", ())),
            tracer=data.get("tracer", ""),
        )


@dataclass(frozen=True, slots=True)
class TraceOptions:
    """How to run and record one trace."""

    timeout: float
    max_calls_recorded: int = 3
    repr_limit: int = 120
    max_symbols: int = 200
    python: str | None = None  # the target's interpreter; default: the repo's venv, else ours
    build_timeout: float = 900.0  # compiling the tests (Rust), apart from running them
    rust_debugger: bool = True  # count Rust calls under gdb when it is installed

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.build_timeout <= 0:
            raise BadTraceOptions(f"timeouts must be positive, got {self.timeout} and {self.build_timeout}")
        if self.max_calls_recorded < 0 or self.repr_limit < 10 or self.max_symbols < 1:
            raise BadTraceOptions(
                "need max_calls_recorded >= 0, repr_limit >= 10 and max_symbols >= 1, got "
                f"{self.max_calls_recorded}, {self.repr_limit}, {self.max_symbols}"
            )
