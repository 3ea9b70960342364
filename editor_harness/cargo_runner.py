"""Running `cargo test` on a selection and reading per-test outcomes from its text output.

libtest's JSON output needs a nightly toolchain (`-Z unstable-options`), so
the stable text format is parsed instead, line by line as it arrives:
`Running unittests src/lib.rs (...)` / `Running tests/x.rs (...)` /
`Doc-tests crate` headers name the test target, `test NAME ... ok|FAILED|
ignored` lines give outcomes, and `---- NAME stdout ----` sections give the
failure messages. stderr is merged into stdout to keep that order.

Node ids are `TARGET_SOURCE::test_name`, repository-relative
(`tests/transfers.rs::transfer_moves_money`,
`src/lib.rs::account::tests::balance_sums_signed_entries`); doc tests are
`doc::src/lib.rs - item (line N)`. Such ids in a selection run exactly that
test in that target (`--test transfers -- --exact NAME`); anything else is
a plain libtest substring filter over every target.
libtest prints no per-test durations on stable: `duration_s` is 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from editor_harness.errors import TestRunError
from editor_harness.network_guard import GuardMode, network_guard
from editor_harness.paths import relative_path
from editor_harness.processes import run_process, scrubbed_environment
from editor_harness.testrun import Outcome, TestResult, TestRun, check_timeout

DOC_PREFIX = "doc::"
_RUNNING = re.compile(r"^\s*Running (?:unittests )?(\S+) \(")
_DOC_TESTS = re.compile(r"^\s*Doc-tests (\S+)")
_RESULT = re.compile(r"^test (.+?) \.\.\. (ok|FAILED|ignored)(?:, (.*))?$")
_SECTION = re.compile(r"^---- (.+?) stdout ----$")
_COMPILE_ERROR = re.compile(r"^error(\[E\d+\])?: ")


def package_dir(root: Path, rel_path: str) -> str:
    """The root-relative directory of the Cargo package holding `rel_path` ("" for the root)."""
    current = PurePosixPath(rel_path).parent
    while True:
        text = current.as_posix()
        if (root / text / "Cargo.toml").is_file():
            return "" if text == "." else text
        if text in ("", "."):
            return ""
        current = current.parent


def target_flags(source: str) -> list[str]:
    """cargo's target selection for a package-relative target source path."""
    parts = PurePosixPath(source).parts
    if source == "src/lib.rs":
        return ["--lib"]
    if source == "src/main.rs":
        return ["--bins"]
    if len(parts) >= 3 and parts[:2] == ("src", "bin"):
        return ["--bin", PurePosixPath(parts[2]).stem]
    for directory, flag in (("tests", "--test"), ("benches", "--bench"), ("examples", "--example")):
        if len(parts) >= 2 and parts[0] == directory:
            return [flag, PurePosixPath(parts[1]).stem]
    return []


@dataclass
class _Parse:
    """State of the line parser: which target is running, what each test did."""

    root: Path
    package: str
    target: str = ""
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)
    section: str | None = None
    compile_errors: list[str] = field(default_factory=list)

    def node(self, name: str) -> str:
        return f"{self.target}{name}"

    def feed(self, line: str) -> None:
        if match := _RUNNING.match(line):
            source = match.group(1)
            if self.package and not (self.root / source).exists():
                source = f"{self.package}/{source}"
            self.target, self.section = f"{source}::", None
        elif match := _DOC_TESTS.match(line):
            self.target, self.section = DOC_PREFIX, None
        elif match := _RESULT.match(line):
            word = match.group(2)
            outcome = {"ok": Outcome.PASSED, "FAILED": Outcome.FAILED}.get(word, Outcome.SKIPPED)
            node = self.node(match.group(1))
            self.outcomes[node] = outcome
            if outcome is Outcome.SKIPPED and match.group(3):
                self.messages.setdefault(node, []).append(match.group(3))
        elif match := _SECTION.match(line):
            self.section = self.node(match.group(1))
            self.messages.setdefault(self.section, [])
        elif line.startswith(("failures:", "test result:")):
            self.section = None
        elif self.section is not None:
            self.messages[self.section].append(line)
        elif _COMPILE_ERROR.match(line) and not line.startswith("error: test failed"):
            self.compile_errors.append(line)

    def results(self) -> list[TestResult]:
        return [
            TestResult(node, outcome, 0.0, "\n".join(self.messages.get(node, [])).strip()[-4000:])
            for node, outcome in self.outcomes.items()
        ]


def cargo_invocations(root: Path, selection: Sequence[str]) -> list[tuple[str, list[str], set[str] | None]]:
    """(package dir, cargo args, node ids wanted or None) for each cargo run a selection needs."""
    exact: dict[str, tuple[list[tuple[str, ...]], list[str], set[str]]] = {}
    filters: list[str] = []
    for item in (s.strip() for s in selection):
        if not item:
            continue
        if item.startswith(DOC_PREFIX):
            flags, name, source = ["--doc"], item[len(DOC_PREFIX) :], item[len(DOC_PREFIX) :].split(" - ")[0]
            package = package_dir(root, relative_path(root, source))
        elif "::" in item and item.split("::", 1)[0].endswith(".rs"):
            source, name = item.split("::", 1)
            source = relative_path(root, source)
            package = package_dir(root, source)
            flags = target_flags(source[len(package) + 1 :] if package else source)
            if not flags:
                raise TestRunError(
                    f"{item}: {source} is not a test target's root file (src/lib.rs, src/main.rs, "
                    "tests/NAME.rs, ...); name tests as select_tests does"
                )
        else:
            filters.append(item)
            continue
        group = exact.setdefault(package, ([], [], set()))
        if tuple(flags) not in group[0]:
            group[0].append(tuple(flags))
        group[1].append(name)
        group[2].add(item)
    runs: list[tuple[str, list[str], set[str] | None]] = []
    for package, (flags, names, wanted) in exact.items():
        runs.append((package, [*(f for pair in flags for f in pair), "--", "--exact", *names], wanted))
    if filters or not runs:
        runs.append(("", ["--", *filters], None))
    return runs


class CargoRunner:
    """`cargo test --no-fail-fast` offline, per Cargo package the selection touches."""

    name = "cargo"

    def __init__(self, root: Path, cargo: str = "cargo") -> None:
        self.root = Path(root).resolve()
        self.cargo = cargo

    async def run(
        self, selection: Sequence[str], *, timeout: float, network: GuardMode | str = GuardMode.AUTO
    ) -> TestRun:
        check_timeout(timeout)
        invocations = cargo_invocations(self.root, selection)
        guard = await network_guard(network, python=False)
        env = guard.environment(
            scrubbed_environment(CARGO_NET_OFFLINE="true", CARGO_TERM_COLOR="never", RUST_BACKTRACE="0")
        )
        results: list[TestResult] = []
        tails: list[str] = []
        notes: list[str] = [guard.note] if guard.note else []
        exit_code: int | None = 0
        timed_out = False
        elapsed = 0.0
        for package, args, wanted in invocations:
            remaining = timeout - elapsed
            parse = _Parse(self.root, package)
            argv = [self.cargo, "test", "--no-fail-fast", "--color", "never", *args]
            process = await run_process(
                guard.wrap(argv),
                cwd=self.root / package if package else self.root,
                env=env,
                timeout=max(remaining, 0.001),
                on_stdout_line=parse.feed,
                merge_stderr=True,
            )
            elapsed += process.elapsed_s
            tails.append(process.stdout_tail)
            found = parse.results()
            if wanted is not None:
                found = [r for r in found if r.node_id in wanted]
                missing = wanted - {r.node_id for r in found}
                why = "did not finish: killed at the timeout" if process.timed_out else "not found: no such test"
                found += [TestResult(node, Outcome.ERROR, 0.0, why) for node in sorted(missing)]
            results += found
            if process.timed_out:
                timed_out, exit_code = True, None
                notes.append(f"killed at the {timeout:g}s timeout")
                break
            if process.exit_code != 0 and exit_code == 0:
                exit_code = process.exit_code
            if parse.compile_errors and not parse.outcomes:
                notes.append("build failed: " + "; ".join(parse.compile_errors[:5]))
        if not results and not timed_out and not notes:
            notes.append("no tests matched the selection")
        tail = "\n".join(tails)[-8000:]
        return TestRun(
            selection=tuple(selection),
            results=tuple(results),
            exit_code=exit_code,
            timed_out=timed_out,
            stdout_tail=tail,
            stderr_tail="",
            elapsed_s=round(elapsed, 3),
            network_guard=guard.mode.value,
            runner=self.name,
            note="; ".join(notes),
        )
