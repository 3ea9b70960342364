"""RustTracer: build the crate's test binaries (offline), find the one that
holds the selected test, run the test with backtraces, and map what it
showed to symbol ids.

With gdb on PATH the test runs under it (`_gdb_tracer.py`): a breakpoint on
every function of the repository counts calls in order and reads the first
calls' arguments and return values from the debug info, without touching
the crate. Without gdb, what Rust gives for free: the test functions that
ran and, for a panic, its message, location and the crate's frames on the
stack, plus the crate's functions called on the panicking line (often the
culprit: `l.transfer(..).unwrap()` panics after `transfer` returned an Err),
found through the index and marked as such. `note` says which it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import trio

from editor_harness.tracing.call_table import CallTable
from editor_harness.tracing.cargo_output import CargoTestOutput, RustPanic, RustTest, parse_cargo_test
from editor_harness.tracing.cargo_targets import (
    CargoSelection,
    TestBinary,
    build_tests,
    cargo_selection,
    list_tests,
    not_found,
)
from editor_harness.tracing.errors import TraceSetupError
from editor_harness.tracing.journal import Frame, Journal, journal_text, parse_journal
from editor_harness.tracing.model import (
    Outcome,
    PanicFrame,
    PanicInfo,
    TracedTest,
    TraceOptions,
    TraceResult,
    capped,
    located,
)
from editor_harness.tracing.notes import caveats
from editor_harness.tracing.process import Finished, child_env, run_in_group
from editor_harness.tracing.symbol_map import SymbolMap
from symbols.errors import SymbolsError
from symbols.index import RepoIndex
from symbols.model import Symbol, SymbolKind

GDB_SCRIPT = Path(__file__).with_name("_gdb_tracer.py")
# Frames of the standard library and the test harness say nothing about the crate.
_RUNTIME_PREFIXES = ("core::", "std::", "alloc::", "test::", "__rustc::", "rust_begin_unwind", "<fn()",
                     "<alloc::", "<core::", "<std::")
_CALL = re.compile(r"(?:\b(?P<owner>[A-Z][A-Za-z0-9_]*)::|\.)?\b(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:::<[^()]*>)?\s*\(")
_KEYWORDS = frozenset({"if", "while", "for", "match", "return", "loop", "let", "fn", "in", "as", "move", "Some", "Ok",
                       "Err", "None", "Box", "Vec", "String", "unwrap", "expect"})
_CLOSURE = re.compile(r"::\{\{closure\}\}|::\{closure#\d+\}")
_FUNCTIONS = (SymbolKind.FUNCTION, SymbolKind.METHOD)
_MAX_CANDIDATES = 4
_LIST_TIMEOUT = 60.0
_MAX_HITS = 100_000  # per function; beyond it gdb's per-hit cost dominates the run
TRACER_GDB = "gdb breakpoints"
TRACER_BACKTRACE = "backtrace"


@dataclass(frozen=True, slots=True)
class _Run:
    binary: TestBinary
    finished: Finished
    output: CargoTestOutput
    journal: Journal | None


class RustTracer:
    language = "rust"

    async def trace(self, index: RepoIndex, selection: str, options: TraceOptions) -> TraceResult:
        cargo = shutil.which("cargo")
        if cargo is None:
            raise TraceSetupError("cargo is not on PATH: install a Rust toolchain to trace Rust tests")
        target = cargo_selection(index.root, selection, SymbolMap(index))
        symbols = SymbolMap(index, base=target.crate_dir)
        env = child_env({"RUST_BACKTRACE": "1", "CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"})
        build, binaries = await build_tests(cargo, target, env, options.build_timeout)
        if build.timed_out or build.returncode != 0:
            return _build_failure(symbols, selection, build, options)
        listed = {b: await list_tests(b, env, _LIST_TIMEOUT) for b in binaries}
        holding = [b for b in binaries if target.name in listed[b]]
        if not holding:
            raise not_found(selection, target.name, listed)
        gdb = shutil.which("gdb") if options.rust_debugger else None
        runs: list[_Run] = []
        deadline = trio.current_time() + options.timeout
        for binary in holding:
            budget = max(deadline - trio.current_time(), 1.0)
            if gdb is not None:
                runs.append(await _run_under_gdb(gdb, binary, target, index, symbols, env, budget, options))
            else:
                runs.append(await _run_directly(binary, target, symbols, env, budget))
        return _result(symbols, selection, runs, options, traced=gdb is not None)


def _test_argv(binary: TestBinary, target: CargoSelection) -> list[str]:
    return [str(binary.executable), target.name, "--exact", "--nocapture", "--test-threads=1"]


async def _run_directly(binary: TestBinary, target: CargoSelection, symbols: SymbolMap, env: Mapping[str, str],
                        timeout: float) -> _Run:
    finished = await run_in_group(_test_argv(binary, target), cwd=binary.manifest.parent,
                                  env={**env, **binary.env()}, timeout=timeout)
    return _Run(binary, finished, parse_cargo_test(finished.output, _binary_path(symbols, binary)), None)


async def _run_under_gdb(gdb: str, binary: TestBinary, target: CargoSelection, index: RepoIndex,
                         symbols: SymbolMap, env: Mapping[str, str], timeout: float,
                         options: TraceOptions) -> _Run:
    crate_dir = binary.manifest.parent
    with tempfile.TemporaryDirectory(prefix="swarm-trace-") as tmp:
        journal_path = Path(tmp) / "journal.jsonl"
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({
            "out": str(journal_path),
            "root": str(index.root),
            "repr_limit": options.repr_limit,
            "max_calls": options.max_calls_recorded,
            "max_hits": _MAX_HITS,
            "functions": breakpoint_sites(index, crate_dir),
        }))
        printers = await _pretty_printers(env)
        # What rust-gdb does: let the binary's .debug_gdb_scripts load rustc's pretty printers.
        loading = ["--directory", printers, "-iex", f"add-auto-load-safe-path {printers}"] if printers else []
        argv = [gdb, "-nx", "-q", "-batch", *loading, "-x", str(GDB_SCRIPT), "--args", *_test_argv(binary, target)]
        gdb_env = {**env, **binary.env(), "SWARM_TRACE_GDB_CONFIG": str(config)}
        if printers:
            gdb_env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), printers) if p)

        async def where_is_it_stuck(pid: int) -> None:
            # SIGINT to the test process itself: gdb stops it and records its stack.
            children = _children(pid)
            if not children:
                return  # gdb had not started it yet
            for child in children:
                os.kill(child, signal.SIGINT)
            while '"e":"hang"' not in journal_text(journal_path):
                await trio.sleep(0.05)

        finished = await run_in_group(argv, cwd=crate_dir, env=gdb_env, timeout=timeout,
                                      on_timeout=where_is_it_stuck, grace=10.0)
        journal = parse_journal(journal_text(journal_path))
    if not journal.started:
        raise TraceSetupError(f"gdb did not run the test: {finished.output.strip()[-1500:]}")
    return _Run(binary, finished, parse_cargo_test(finished.output, _binary_path(symbols, binary)), journal)


def breakpoint_sites(index: RepoIndex, crate_dir: Path) -> list[tuple[str, str, str, int, int]]:
    """(symbol id, name, absolute path, line of `fn`, last line) of every
    function with a body in the crate."""
    try:
        prefix = crate_dir.resolve().relative_to(index.root).as_posix()
    except ValueError:
        return []
    prefix = "" if prefix == "." else prefix + "/"
    sites = []
    for path in index.paths():
        if not (path.startswith(prefix) and path.endswith(".rs")):
            continue
        inside = path[len(prefix):]
        if inside.startswith(("target/", "examples/", "benches/")):
            continue
        try:
            source = (index.root / path).read_bytes()
            file_symbols = index.file(path)
        except (OSError, SymbolsError):
            continue
        for symbol in file_symbols.symbols:
            if symbol.kind in _FUNCTIONS:
                line = _fn_line(symbol, source)
                if line is not None:
                    sites.append((symbol.id, symbol.name, str(index.root / path), line, symbol.end_line))
    return sites


def _fn_line(symbol: Symbol, source: bytes) -> int | None:
    text = source[symbol.start_byte:symbol.end_byte].decode("utf-8", errors="replace")
    if not text.rstrip().endswith("}"):
        return None  # a declaration without a body: nothing to break on
    match = re.search(rf"\bfn\s+{re.escape(symbol.name)}\b", text)
    return None if match is None else symbol.start_line + text.count("\n", 0, match.start())


async def _pretty_printers(env: Mapping[str, str]) -> str | None:
    """The directory of rustc's gdb pretty printers (String, Vec, HashMap...), when installed."""
    rustc = shutil.which("rustc")
    if rustc is None:
        return None
    found = await run_in_group([rustc, "--print", "sysroot"], cwd=Path.cwd(), env=env, timeout=30)
    directory = Path(found.output.strip()) / "lib" / "rustlib" / "etc"
    usable = found.returncode == 0 and (directory / "gdb_load_rust_pretty_printers.py").is_file()
    return str(directory) if usable else None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _binary_path(symbols: SymbolMap, binary: TestBinary) -> str:
    return symbols.relative(str(binary.source)) or str(binary.source)


def _result(symbols: SymbolMap, selection: str, runs: list[_Run], options: TraceOptions,
            traced: bool) -> TraceResult:
    table = CallTable(options.max_calls_recorded)
    tests: list[TracedTest] = []
    panics: list[RustPanic] = []
    for run in runs:
        ran = [t for t in run.output.tests if t.outcome != "ignored"]
        for test in ran:
            symbol = _test_symbol(symbols, test)
            if symbol is not None:
                table.add(symbol, "test", is_test=True)
        if run.journal is not None:
            table.add_journal(symbols, run.journal)
        for panic in run.output.panics:
            panics.append(panic)
            for frame in reversed(panic.frames):  # outermost first: the order calls were made
                symbol = _frame_symbol(symbols, frame.function, frame.path, frame.line)
                if symbol is not None:
                    # A closure's frame is a call of the closure, not of its function.
                    table.add(symbol, "backtrace", calls=0 if _CLOSURE.search(frame.function) else 1)
        tests.extend(TracedTest(t.name, _test_outcome(t.outcome, run.finished)) for t in run.output.tests)
    if not traced:
        for panic in panics:
            for symbol in _panic_line_callees(symbols, panic):
                if symbol.id not in table:
                    table.add(symbol, "panic-line", calls=0)
    outcome = _outcome(runs, tuple(tests))
    journal = next((r.journal for r in runs if r.journal is not None), None)
    return TraceResult(
        selection=selection,
        language="rust",
        outcome=outcome,
        symbols=table.traced(options.max_symbols),
        panic=_panic(symbols, runs, panics, options, outcome),
        elapsed_s=round(sum(r.finished.elapsed_s for r in runs), 3),
        truncated=len(table) > options.max_symbols,
        note=_note(runs, panics, outcome, options, len(table), traced, journal),
        tests=tuple(tests),
        tracer=TRACER_GDB if traced else TRACER_BACKTRACE,
    )


def _test_outcome(result: str, finished: Finished) -> Outcome:
    if result == "unfinished":
        return "timeout" if finished.timed_out else "crashed"
    outcomes: dict[str, Outcome] = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}
    return outcomes.get(result, "error")


def _outcome(runs: list[_Run], tests: tuple[TracedTest, ...]) -> Outcome:
    if any(r.finished.timed_out for r in runs):
        return "timeout"
    crashed = any(r.output.abnormal_exit or r.output.stack_overflow or (r.journal and r.journal.crash) for r in runs)
    found = {t.outcome for t in tests}
    if crashed or "crashed" in found:
        return "crashed"
    if "failed" in found:
        return "failed"
    if found == {"skipped"}:
        return "skipped"
    return "passed" if all(r.finished.returncode == 0 for r in runs) else "error"


def _frame_symbol(symbols: SymbolMap, function: str, path: str | None, line: int | None) -> Symbol | None:
    if path is not None and line is not None:
        symbol = symbols.at(path, line)
        if symbol is not None:
            return symbol
        if path.startswith("/"):
            return None  # a file outside the repository: std, a dependency
    if function.startswith(_RUNTIME_PREFIXES):
        return None
    return symbols.rust_function(function)


def _test_symbol(symbols: SymbolMap, test: RustTest) -> Symbol | None:
    """libtest's `a::tests::f` in target `src/lib.rs` -> `src/a.rs::tests::f`."""
    if test.binary is None:
        return None
    root_file = symbols.relative(test.binary)
    if root_file is None:
        return None
    segments = test.name.split("::")
    for consumed in range(len(segments) - 1, -1, -1):
        file = _module_file(symbols, root_file, segments[:consumed])
        if file is None:
            continue
        try:
            return symbols.index.symbol(f"{file}::{'::'.join(segments[consumed:])}")
        except SymbolsError:
            continue
    return None


def _module_file(symbols: SymbolMap, root_file: str, modules: list[str]) -> str | None:
    current = PurePosixPath(root_file)
    for module in modules:
        own_dir = current.parent if current.name in ("lib.rs", "main.rs", "mod.rs") else current.parent / current.stem
        for candidate in (own_dir / f"{module}.rs", own_dir / module / "mod.rs"):
            rel = symbols.relative(candidate.as_posix())
            if rel is not None:
                current = PurePosixPath(rel)
                break
        else:
            return None
    return current.as_posix()


def _panic_line_callees(symbols: SymbolMap, panic: RustPanic) -> list[Symbol]:
    """Functions of the crate called on the line that panicked, by name."""
    rel = symbols.relative(panic.path)
    if rel is None:
        return []
    try:
        text = (symbols.index.root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
        line = text[panic.line - 1]
    except (OSError, IndexError):
        return []
    here = symbols.at(panic.path, panic.line)
    found: list[Symbol] = []
    for match in _CALL.finditer(line):
        name = match["name"]
        if name in _KEYWORDS or line[match.end("name"):].lstrip().startswith("!"):
            continue
        candidates = [s for s in symbols.functions_named(name, match["owner"], language="rust")
                      if here is None or s.id != here.id]
        if 0 < len(candidates) <= _MAX_CANDIDATES:
            found.extend(s for s in candidates if s not in found)
    return found


def _panic(symbols: SymbolMap, runs: list[_Run], panics: list[RustPanic], options: TraceOptions,
           outcome: Outcome) -> PanicInfo | None:
    if panics:
        panic = panics[0]
        here = symbols.at(panic.path, panic.line)
        return PanicInfo(
            kind="panic",
            message=panic.message,
            path=symbols.relative(panic.path) or panic.path,
            line=panic.line,
            column=panic.column,
            symbol_id=here.id if here else None,
            thread=panic.thread,
            test=panic.thread if panic.thread != "main" else None,
            frames=capped(_panic_frames(symbols, panic)),
        )
    unfinished = next((t.name for r in runs for t in r.output.tests if t.outcome == "unfinished"), None)
    journal = next((r.journal for r in runs if r.journal is not None), None)
    if outcome == "timeout":
        frames = _frames(symbols, journal.hang if journal and journal.hang else ())
        where = f"; interrupted in {frames[0].function}" if frames else ""
        return located("timeout", f"timed out after {options.timeout:g} s{where}", frames, unfinished)
    if outcome == "crashed":
        output = next((r.output for r in runs if r.output.abnormal_exit or r.output.stack_overflow), None)
        why = (output.abnormal_exit if output else None) or "the test binary died"
        if journal is not None and journal.crash_signal:
            why = f"the test binary received {journal.crash_signal}"
        if output is not None and output.stack_overflow:
            why = f"thread '{output.stack_overflow}' overflowed its stack ({why})"
        frames = _frames(symbols, journal.crash if journal and journal.crash else ())
        return located("crash", why, frames, unfinished or (output.stack_overflow if output else None))
    return None


def _frames(symbols: SymbolMap, frames: tuple[Frame, ...] | list[Frame]) -> tuple[PanicFrame, ...]:
    mapped = []
    for frame in frames:
        symbol = _frame_symbol(symbols, frame.name, frame.path or None, frame.line)
        mapped.append(PanicFrame(frame.name, symbols.relative(frame.path) or frame.path or None, frame.line, None,
                                 symbol.id if symbol else None))
    return tuple(mapped)


def _panic_frames(symbols: SymbolMap, panic: RustPanic) -> tuple[PanicFrame, ...]:
    """The crate's frames, plus the one frame it called into (`Result::unwrap`)."""
    kept: list[PanicFrame] = []
    previous: PanicFrame | None = None
    for frame in panic.frames:
        symbol = _frame_symbol(symbols, frame.function, frame.path, frame.line)
        rel = symbols.relative(frame.path) if frame.path else None
        mapped = PanicFrame(frame.function, rel or frame.path, frame.line, frame.column,
                            symbol.id if symbol else None)
        if symbol is not None:
            if not kept and previous is not None:
                kept.append(previous)
            kept.append(mapped)
        previous = mapped
    return tuple(kept)


def _build_failure(symbols: SymbolMap, selection: str, build: Finished, options: TraceOptions) -> TraceResult:
    errors = parse_cargo_test(build.output).build_errors
    if build.timed_out:
        panic = PanicInfo(kind="build", message=f"the build did not finish within {options.build_timeout:g} s")
    else:
        first = next((e for e in errors if e.path), errors[0] if errors else None)
        here = symbols.at(first.path, first.line) if first and first.path and first.line else None
        panic = PanicInfo(
            kind="build",
            message="; ".join(e.message for e in errors[:5]) or build.output.strip()[-1500:],
            path=(symbols.relative(first.path) or first.path) if first and first.path else None,
            line=first.line if first else None,
            column=first.column if first else None,
            symbol_id=here.id if here else None,
        )
    return TraceResult(
        selection=selection,
        language="rust",
        outcome="timeout" if build.timed_out else "error",
        symbols=(),
        panic=panic,
        elapsed_s=round(build.elapsed_s, 3),
        truncated=False,
        note="the tests could not be built, so nothing ran; `panic` holds the first build error.",
        tracer="",
    )


def _note(runs: list[_Run], panics: list[RustPanic], outcome: Outcome, options: TraceOptions, found: int,
          traced: bool, journal: Journal | None) -> str:
    if traced:
        parts = [f"every call of the crate's functions was counted under gdb (a breakpoint on each); arguments and "
                 f"return values of the first {options.max_calls_recorded} calls read from debug info"]
        if journal is not None:
            parts.extend(journal.notes)
    else:
        parts = ["no call tracing (gdb is not on PATH, or it was switched off): no call counts or argument values"]
        if panics:
            parts.append("symbols are the test functions that ran, the crate's frames on the panic's backtrace "
                         "(evidence 'backtrace') and the crate's functions called on the panicking line, "
                         "found by name through the index, not observed (evidence 'panic-line')")
        elif outcome == "passed":
            parts.append("the test passed without a panic, so there is no backtrace: only the test function is known")
    parts.extend(caveats(outcome, options, found, any(r.finished.output_truncated for r in runs)))
    return "; ".join(parts) + "."
