"""Read the journal the injected pytest plugin writes (one JSON object per
line, see `_pytest_plugin.py`). Pure: text in, data out. A journal cut short
by a crash or a kill is read as far as it goes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """A code object of the repository that ran: function, method, class or module body."""

    key: int
    path: str
    line: int
    name: str
    qualname: str | None
    body: bool  # a module or class body rather than a function
    symbol_id: str | None = None  # set when the tracer placed it by symbol (gdb)


@dataclass(frozen=True, slots=True)
class Sample:
    key: int
    args: str
    returned: str | None = None
    raised: str | None = None
    yielded: str | None = None


@dataclass(frozen=True, slots=True)
class Frame:
    path: str
    line: int
    name: str


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    test_id: str
    when: str  # setup | call | teardown | collect
    type: str
    message: str
    frames: tuple[Frame, ...]  # innermost first


@dataclass(frozen=True, slots=True)
class TestRecord:
    test_id: str
    path: str
    line: int
    name: str

    __test__ = False


@dataclass(frozen=True, slots=True)
class Report:
    test_id: str
    when: str
    outcome: str
    xfail: bool
    duration_s: float


@dataclass(frozen=True, slots=True)
class Journal:
    python: str = ""
    tracer: str = ""
    collected: int | None = None
    codes: tuple[CodeRecord, ...] = ()
    counts: dict[int, int] | None = None  # None: the process died before reporting them
    samples: tuple[Sample, ...] = ()
    tests: tuple[TestRecord, ...] = ()
    reports: tuple[Report, ...] = ()
    exceptions: tuple[ExceptionRecord, ...] = ()
    hang: tuple[Frame, ...] | None = None
    crash: tuple[Frame, ...] | None = None  # the stack at a fatal signal (gdb)
    crash_signal: str | None = None
    notes: tuple[str, ...] = ()
    exit_status: int | None = None  # None: the session never finished
    malformed_lines: int = 0

    @property
    def started(self) -> bool:
        return bool(self.tracer)


def journal_text(path: Path) -> str:
    """What a tracer has written so far ("" before it starts)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def _frames(raw: list[Any]) -> tuple[Frame, ...]:
    return tuple(Frame(str(f[0]), int(f[1]), str(f[2])) for f in raw)


def parse_journal(text: str) -> Journal:
    python = tracer = ""
    collected: int | None = None
    codes: list[CodeRecord] = []
    counts: dict[int, int] | None = None
    samples: dict[int, dict[str, Any]] = {}
    tests: list[TestRecord] = []
    reports: list[Report] = []
    exceptions: list[ExceptionRecord] = []
    hang: tuple[Frame, ...] | None = None
    crash: tuple[Frame, ...] | None = None  # the stack at a fatal signal (gdb)
    crash_signal: str | None = None
    notes: list[str] = []
    exit_status: int | None = None
    malformed = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            kind = record["e"]
            if kind == "start":
                python, tracer = str(record.get("python", "")), str(record.get("tracer", ""))
            elif kind == "collected":
                collected = int(record["n"])
            elif kind == "code":
                codes.append(CodeRecord(int(record["k"]), str(record["f"]), int(record["l"]), str(record["n"]),
                                        record.get("q"), bool(record.get("body")), record.get("sym")))
            elif kind == "call":
                samples[int(record["s"])] = {"key": int(record["k"]), "args": str(record["a"])}
            elif kind in ("ret", "raise", "yield"):
                sample = samples.get(int(record["s"]))
                slot = {"ret": "returned", "raise": "raised", "yield": "yielded"}[kind]
                # A call ends once: the first return or raise seen wins.
                ended = slot != "yielded" and ("returned" in sample or "raised" in sample) if sample else True
                if sample is not None and slot not in sample and not ended:
                    sample[slot] = str(record["v"])
            elif kind == "counts":
                counts = {int(k): int(n) for k, n in record["c"]}
            elif kind == "test":
                tests.append(TestRecord(str(record["id"]), str(record["f"]), int(record["l"]), str(record["n"])))
            elif kind == "report":
                reports.append(Report(str(record["id"]), str(record["when"]), str(record["outcome"]),
                                      bool(record.get("xfail")), float(record.get("dur") or 0.0)))
            elif kind == "exception":
                exceptions.append(ExceptionRecord(str(record["id"]), str(record["when"]), str(record["type"]),
                                                  str(record["msg"]), _frames(record.get("frames") or [])))
            elif kind == "hang":
                hang = _frames(record.get("frames") or [])
            elif kind == "crash":
                crash = _frames(record.get("frames") or [])
                crash_signal = str(record.get("signal") or "") or None
            elif kind == "note":
                notes.append(str(record["text"]))
            elif kind == "end":
                exit_status = int(record["exit"])
        except (ValueError, KeyError, TypeError, IndexError):
            malformed += 1
    return Journal(
        python=python,
        tracer=tracer,
        collected=collected,
        codes=tuple(codes),
        counts=counts,
        samples=tuple(Sample(**samples[s]) for s in sorted(samples)),
        tests=tuple(tests),
        reports=tuple(reports),
        exceptions=tuple(exceptions),
        hang=hang,
        crash=crash,
        crash_signal=crash_signal,
        notes=tuple(notes),
        exit_status=exit_status,
        malformed_lines=malformed,
    )
