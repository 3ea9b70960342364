"""Read what `cargo test -- --nocapture --test-threads=1` printed (with
RUST_BACKTRACE=1): per-test results, panics with their backtraces, build
errors, a crashed test binary. Pure: text in, data out."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RUNNING_BINARY = re.compile(r"^\s+Running (?:unittests )?(?P<source>\S+) \(")
_DOC_TESTS = re.compile(r"^\s+Doc-tests (?P<crate>\S+)")
_RUNNING_N = re.compile(r"^running (?P<n>\d+) tests?$")
_TEST_LINE = re.compile(r"^test (?P<name>.+?) \.\.\. ?(?P<result>ok|FAILED|ignored(?:, .*)?)?$")
_BARE_RESULT = re.compile(r"^(?P<result>ok|FAILED|ignored(?:, .*)?)$")
_PANIC_NEW = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at (?P<path>.+?):(?P<line>\d+):(?P<col>\d+):$"
)
_PANIC_OLD = re.compile(
    r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? panicked at '(?P<msg>.*)', (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$"
)
_OVERFLOW = re.compile(r"^thread '(?P<thread>[^']*)'(?: \(\d+\))? has overflowed its stack$")
_FRAME = re.compile(r"^\s*(?P<index>\d+): (?P<function>.+)$")
_FRAME_AT = re.compile(r"^\s+at (?P<path>.+?):(?P<line>\d+)(?::(?P<col>\d+))?$")
_ABNORMAL_EXIT = re.compile(r"process didn't exit successfully: .*\((?P<why>(?:signal|exit status)[^)]*)\)\s*$")
_BUILD_ERROR = re.compile(r"^error(?:\[E\d+\])?: (?!test failed)(?P<message>.+)$")
_BUILD_AT = re.compile(r"^\s*--> (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$")
_MESSAGE_END = ("stack backtrace:", "note: run with `RUST_BACKTRACE", "note: Some details are omitted")


@dataclass(frozen=True, slots=True)
class RustFrame:
    index: int
    function: str
    path: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class RustPanic:
    thread: str
    message: str
    path: str
    line: int
    column: int
    frames: tuple[RustFrame, ...] = ()  # innermost first, as printed
    binary: str | None = None  # the test target's root file: `tests/x.rs`, `src/lib.rs`


@dataclass(frozen=True, slots=True)
class RustTest:
    name: str  # libtest's name: `ledger::tests::f`, or `f` in an integration test
    outcome: str  # ok | FAILED | ignored | unfinished
    binary: str | None = None


@dataclass(frozen=True, slots=True)
class BuildError:
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class CargoTestOutput:
    tests: tuple[RustTest, ...]
    panics: tuple[RustPanic, ...]
    ran: int  # sum of libtest's "running N tests"
    build_errors: tuple[BuildError, ...]
    binaries: tuple[str, ...]
    abnormal_exit: str | None = None  # "signal: 6, SIGABRT: process abort signal"
    stack_overflow: str | None = None  # the thread that overflowed its stack

    @property
    def build_failed(self) -> bool:
        return bool(self.build_errors) and not self.binaries


def parse_cargo_test(text: str, binary: str | None = None) -> CargoTestOutput:
    """`binary`: the target's root file when the output is one test binary's own."""
    lines = text.splitlines()
    tests: list[RustTest] = []
    panics: list[RustPanic] = []
    errors: list[BuildError] = []
    binaries: list[str] = []
    current = binary
    pending: str | None = None
    ran = 0
    abnormal = overflow = None
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if match := _RUNNING_BINARY.match(line):
            current = str(match["source"])
            binaries.append(current)
        elif match := _DOC_TESTS.match(line):
            current = f"doc-tests {match['crate']}"
            binaries.append(current)
        elif match := _RUNNING_N.match(line):
            ran += int(match["n"])
        elif match := _TEST_LINE.match(line):
            if pending is not None:
                tests.append(RustTest(pending, "unfinished", current))
            pending = str(match["name"])
            if match["result"]:
                tests.append(RustTest(pending, _result(match["result"]), current))
                pending = None
        elif pending is not None and (match := _BARE_RESULT.match(line.strip())):
            tests.append(RustTest(pending, _result(match["result"]), current))
            pending = None
        elif (match := _PANIC_NEW.match(line)) or (match := _PANIC_OLD.match(line)):
            message_lines = [match["msg"]] if "msg" in match.groupdict() else []
            if not message_lines:
                while i < len(lines) and not _ends_message(lines[i]):
                    message_lines.append(lines[i])
                    i += 1
            frames, i = _backtrace(lines, i)
            panics.append(RustPanic(match["thread"], "\n".join(message_lines).strip(), match["path"],
                                    int(match["line"]), int(match["col"]), frames, current))
        elif match := _OVERFLOW.match(line):
            overflow = match["thread"]
        elif match := _ABNORMAL_EXIT.search(line):
            abnormal = match["why"]
        elif match := _BUILD_ERROR.match(line):
            at = _BUILD_AT.match(lines[i]) if i < len(lines) else None
            errors.append(BuildError(match["message"], at["path"] if at else None,
                                     int(at["line"]) if at else None, int(at["col"]) if at else None))
    if pending is not None:
        tests.append(RustTest(pending, "unfinished", current))
    return CargoTestOutput(tuple(tests), tuple(panics), ran, tuple(errors), tuple(binaries), abnormal, overflow)


def _result(text: str) -> str:
    return "ignored" if text.startswith("ignored") else text


def _ends_message(line: str) -> bool:
    return (line.startswith(_MESSAGE_END) or line.startswith("thread '") or _TEST_LINE.match(line) is not None
            or _BARE_RESULT.match(line.strip()) is not None)


def _backtrace(lines: list[str], i: int) -> tuple[tuple[RustFrame, ...], int]:
    if i >= len(lines) or lines[i].strip() != "stack backtrace:":
        return (), i
    i += 1
    frames: list[RustFrame] = []
    while i < len(lines):
        if match := _FRAME.match(lines[i]):
            frames.append(RustFrame(int(match["index"]), match["function"].strip()))
        elif (match := _FRAME_AT.match(lines[i])) and frames:
            last = frames[-1]
            frames[-1] = RustFrame(last.index, last.function, match["path"], int(match["line"]),
                                   int(match["col"]) if match["col"] else None)
        else:
            break
        i += 1
    return tuple(frames), i
