"""Benchmark: rewrite -> diagnostics delta with warm servers, against cold CLIs.

    python -m bench.check [--rewrites 50] [--seed 7] [--cli-runs 5] [--quick] [--only NAME]

For each project (the bundled Python example, Flask checked out from the
local mirror, the bundled Rust example) it makes random whole-symbol
rewrites of functions and methods: about half are clean (a comment line
added on top, which shifts every later line), half inject one type error as
the first statement of the body. Each rewrite is written to disk and handed
to the warm DiagnosticsService; the time from the write to the delta is the
latency. Then the rewrite is reverted the same way.

Correctness, per rewrite: the delta must report the injected error at its
line ("missed" counts failures) and nothing else ("spurious" counts
diagnostics introduced anywhere else, including every one a clean rewrite
reports). The cold baseline runs in the same process on the same tree:
`pyright --outputjson` on the project (and on the one changed file), and
`cargo check --message-format=json --all-targets`. Go-to-definition is
timed on the warm servers at random call sites (first lookup per file, which
opens the document, excluded).

Prints one JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio
import tree_sitter as ts

from editor_harness.diagnostics import DiagnosticsService
from editor_harness.diagnostics_cli import pyright_command
from editor_harness.language_servers import LanguageServers
from editor_harness.server_navigation import ServerNavigation
from symbols.index import RepoIndex
from symbols.languages import language_for_path
from symbols.model import Symbol, SymbolKind
from symbols.scope import parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MIRRORS = Path(os.environ.get("SWARM_MIRRORS", "/work/mirrors"))
FLASK = ("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69")

PYTHON_PROBES = (
    '_swarm_probe: int = "not an int"',
    "_swarm_probe = len(42)",
    "_swarm_probe = undefined_swarm_name",
)
RUST_PROBES = (
    'let _swarm_probe: i64 = "not an int";',
    "let _swarm_probe = undefined_swarm_name;",
    'let _swarm_probe = 1 + "x";',
)
_FUNCTION_NODES = {"function_definition", "function_item"}


def log(message: str) -> None:
    print(f"[bench.check] {message}", file=sys.stderr, flush=True)


def percentiles(samples: Sequence[float]) -> dict[str, float | int]:
    if not samples:
        return {"n": 0}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered) * 1000, 1), "p95": round(p95 * 1000, 1), "n": len(ordered)}


@dataclass(frozen=True, slots=True)
class Rewrite:
    symbol: Symbol
    new_text: str  # the symbol's new full text
    injected_line: int | None  # 1-based line in the new file, None for a clean rewrite


def _function_node(tree: ts.Tree, symbol: Symbol) -> ts.Node | None:
    """The function node a symbol spans (its span may start at a decorator).

    Climbs from the symbol's last byte: a nested function that ends the body
    ends at the same byte, so the outermost match inside the span wins."""
    node = tree.root_node.descendant_for_byte_range(symbol.end_byte - 1, symbol.end_byte - 1)
    found = None
    while node is not None:
        if node.type in _FUNCTION_NODES and node.end_byte == symbol.end_byte and node.start_byte >= symbol.start_byte:
            found = node
        node = node.parent
    return found


def plan_rewrites(root: Path, index: RepoIndex, paths: Sequence[str], count: int, rng: random.Random) -> list[Rewrite]:
    """`count` rewrites of functions/methods in `paths`, about half injecting an error."""
    candidates: list[tuple[Symbol, int, int]] = []  # symbol, byte offset of the first body line, indent
    for path in paths:
        language = language_for_path(path)
        if language is None:
            continue
        source = (root / path).read_bytes()
        tree = parse(language, source)
        for symbol in index.file(path).symbols:
            if symbol.kind not in (SymbolKind.FUNCTION, SymbolKind.METHOD):
                continue
            node = _function_node(tree, symbol)
            body = node.child_by_field_name("body") if node is not None else None
            statements = [c for c in body.named_children if c.type not in ("{", "}")] if body is not None else []
            if node is None or not statements or statements[0].start_point.row == node.start_point.row:
                continue
            first = statements[0]
            line_start = source.rfind(b"\n", 0, first.start_byte) + 1
            candidates.append((symbol, line_start, first.start_point.column))
    if not candidates:
        raise SystemExit(f"no function with a multi-line body in {root}")
    rewrites: list[Rewrite] = []
    for _ in range(count):
        symbol, body_line_start, indent = rng.choice(candidates)
        source = (root / symbol.path).read_bytes()
        text = source[symbol.start_byte : symbol.end_byte].decode("utf-8")
        line_start = source.rfind(b"\n", 0, symbol.start_byte) + 1
        column = len(source[line_start : symbol.start_byte].decode("utf-8"))
        is_rust = symbol.path.endswith(".rs")
        if rng.random() < 0.5:
            comment = "// rewritten by bench.check" if is_rust else "# rewritten by bench.check"
            # The span starts mid-line (after its indentation): the comment
            # takes that place and the definition moves one line down.
            rewrites.append(Rewrite(symbol, f"{comment}\n{' ' * column}{text}", None))
            continue
        probe = rng.choice(RUST_PROBES if is_rust else PYTHON_PROBES)
        offset = body_line_start - symbol.start_byte
        encoded = text.encode("utf-8")
        new_text = (encoded[:offset] + f"{' ' * indent}{probe}\n".encode() + encoded[offset:]).decode("utf-8")
        injected_line = source[:body_line_start].count(b"\n") + 1
        rewrites.append(Rewrite(symbol, new_text, injected_line))
    return rewrites


ColdRun = Callable[[Rewrite], Awaitable[dict[str, float]]]


def splice(root: Path, rewrite: Rewrite) -> tuple[str, str]:
    old = (root / rewrite.symbol.path).read_bytes()
    new = old[: rewrite.symbol.start_byte] + rewrite.new_text.encode("utf-8") + old[rewrite.symbol.end_byte :]
    return old.decode("utf-8"), new.decode("utf-8")


async def run_rewrites(
    service: DiagnosticsService,
    root: Path,
    rewrites: Sequence[Rewrite],
    cold: ColdRun | None,
    cli_runs: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {"clean": [], "injected": []}
    cold_samples: dict[str, list[float]] = {}
    missed = spurious = revert_mismatch = 0
    examples: list[str] = []
    for number, rewrite in enumerate(rewrites, 1):
        path = rewrite.symbol.path
        old, new = splice(root, rewrite)
        started = time.perf_counter()
        (root / path).write_text(new)
        delta = await service.apply_change(path, new, old_text=old)
        elapsed = time.perf_counter() - started
        latencies.append(elapsed)
        by_kind["clean" if rewrite.injected_line is None else "injected"].append(elapsed)
        hits = [d for d in delta.introduced if d.severity == "error" and d.path == path and d.line == rewrite.injected_line]
        others = [d for d in delta.introduced if d not in hits]
        if rewrite.injected_line is not None and not hits:
            missed += 1
            examples.append(f"missed in {rewrite.symbol.id}: {delta.introduced}")
        if others:
            spurious += len(others)
            examples.append(f"spurious after {rewrite.symbol.id}: {[d.describe() for d in others][:3]}")
        if cold is not None and number <= cli_runs:
            for name, seconds in (await cold(rewrite)).items():
                cold_samples.setdefault(name, []).append(seconds)
        (root / path).write_text(old)
        undone = await service.apply_change(path, old, old_text=new)
        if undone.introduced or len(undone.fixed) != len(hits):
            revert_mismatch += 1
        if number % 10 == 0:
            log(f"  {number}/{len(rewrites)} rewrites, p50 so far {statistics.median(latencies) * 1000:.0f} ms")
    return {
        "rewrites": len(rewrites),
        "injected": sum(1 for r in rewrites if r.injected_line is not None),
        "missed": missed,
        "spurious": spurious,
        "revert_mismatch": revert_mismatch,
        "warm_delta_ms": percentiles(latencies),
        "warm_delta_clean_ms": percentiles(by_kind["clean"]),
        "warm_delta_injected_ms": percentiles(by_kind["injected"]),
        **{f"cold_{name}_ms": percentiles(samples) for name, samples in cold_samples.items()},
        "problems": examples[:5],
    }


async def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    await trio.run_process(command, cwd=str(cwd), env=env, capture_stdout=True, capture_stderr=True, check=False)
    return time.perf_counter() - started


def pyright_cold(root: Path) -> ColdRun:
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    command = [*pyright_command(), "--outputjson"]

    async def run(rewrite: Rewrite) -> dict[str, float]:
        return {
            "pyright_project": await _timed(command, root, env),
            "pyright_file": await _timed([*command, rewrite.symbol.path], root, env),
        }

    return run


async def cargo_cold(root: Path) -> ColdRun:
    # rust-analyzer's flycheck builds into root/target; a CLI run there right
    # after it would find nothing to do. The CLI gets its own target dir,
    # built once on the original tree, so each timed run checks the change.
    env = dict(os.environ, CARGO_NET_OFFLINE="true", CARGO_TARGET_DIR=str(root.parent / f"{root.name}-cli-target"))
    command = ["cargo", "check", "--message-format=json", "--all-targets", "--quiet"]
    await _timed(command, root, env)

    async def run(rewrite: Rewrite) -> dict[str, float]:
        return {"cargo_check": await _timed(command, root, env)}

    return run


_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def call_sites(root: Path, index: RepoIndex, paths: Sequence[str], rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    sites: list[tuple[str, int, int]] = []
    for path in paths:
        for number, line in enumerate((root / path).read_text().splitlines(), 1):
            stripped = line.lstrip()
            if stripped.startswith(("def ", "class ", "fn ", "pub fn ", "#", "//")):
                continue
            for match in _CALL.finditer(line):
                if index.definitions(match.group(1)):
                    sites.append((path, number, match.start(1)))
    rng.shuffle(sites)
    return sites[:count]


async def _time_lookups(
    lookup: Callable[[str, int, int], Awaitable[Sequence[object]]], sites: Sequence[tuple[str, int, int]]
) -> tuple[dict[str, Any], int]:
    warmed: set[str] = set()
    samples: list[float] = []
    found = 0
    for path, line, column in sites:
        if path not in warmed:
            await lookup(path, line, column)  # opens the document / loads the module
            warmed.add(path)
        started = time.perf_counter()
        result = await lookup(path, line, column)
        samples.append(time.perf_counter() - started)
        found += bool(result)
    return percentiles(samples), found


async def time_definitions(
    root: Path, navigation: ServerNavigation, sites: Sequence[tuple[str, int, int]], language: str
) -> dict[str, Any]:
    server_ms, found = await _time_lookups(navigation.definition, sites)
    result: dict[str, Any] = {"definition_ms": server_ms, "definition_found": found}
    if language == "python":
        # The harness's own navigation (Jedi first, this server second), when
        # the harness branch is part of this tree.
        try:
            from editor_harness.navigation import Navigator  # type: ignore[import-not-found]
            from editor_harness.workspace import Workspace  # type: ignore[import-not-found]

            navigator = Navigator(Workspace.open(root), server=navigation)
            harness_ms, harness_found = await _time_lookups(navigator.go_to_definition, sites)
            result.update({"harness_definition_ms": harness_ms, "harness_definition_found": harness_found})
        except (ImportError, AttributeError, TypeError) as exc:
            result["harness_definition_ms"] = f"unavailable: {exc}"
    return result


async def bench_project(
    name: str,
    root: Path,
    language: str,
    extension: str,
    paths_filter: Callable[[str], bool],
    rewrites: int,
    rng: random.Random,
    cli_runs: int,
) -> dict[str, Any]:
    index = RepoIndex.build(root)
    paths = [p for p in index.paths() if p.endswith(extension) and paths_filter(p)]
    all_files = [p for p in index.paths() if p.endswith(extension)]
    plan = plan_rewrites(root, index, paths, rewrites, rng)
    log(f"{name}: {len(all_files)} {language} files, {len(plan)} rewrites planned")
    started = time.perf_counter()
    async with LanguageServers.open(root, [language]) as servers:
        async with DiagnosticsService.open(root, [language], servers=servers) as service:
            ready = time.perf_counter() - started
            log(f"{name}: servers ready in {ready:.1f} s ({service.status()})")
            # Warm means warm: every file a rewrite touches has been opened and
            # checked once (the first check of a file costs its imports' too).
            warm_started = time.perf_counter()
            await service.project_diagnostics(sorted({r.symbol.path for r in plan}))
            warm_up = time.perf_counter() - warm_started
            cold = pyright_cold(root) if language == "python" else await cargo_cold(root)
            result = await run_rewrites(service, root, plan, cold, cli_runs)
            navigation = ServerNavigation(servers)
            result.update(await time_definitions(root, navigation, call_sites(root, index, paths, rng, 50), language))
            result["source"] = service.status()[language]
    result.update(
        {
            "files": len(all_files),
            "files_rewritten": len({r.symbol.path for r in plan}),
            "ready_s": round(ready, 1),
            "warm_up_s": round(warm_up, 1),
        }
    )
    cold_key = "cold_pyright_project_ms" if language == "python" else "cold_cargo_check_ms"
    warm = result["warm_delta_ms"]
    cold_stats = result.get(cold_key)
    if isinstance(warm, dict) and isinstance(cold_stats, dict) and warm.get("p50") and cold_stats.get("p50"):
        result["speedup_p50"] = round(cold_stats["p50"] / warm["p50"], 1)
    return result


def _git_init(repo: Path) -> None:
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.invalid")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def copy_example(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("target", "__pycache__", ".swarm"))
    _git_init(target)
    return target


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from swarm.evaluation.mirrors import checkout

    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "bench": "check",
        "seed": args.seed,
        "rewrites_per_project": args.rewrites,
        # The machine is shared: absolute figures move with its load.
        "load_average_start": round(os.getloadavg()[0], 1),
    }
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-check-")))
        wanted = set(args.only or ("python_shop", "flask", "rust_ledger"))
        if args.quick:
            wanted.discard("flask")
        projects: list[tuple[str, Path, str, str, Callable[[str], bool]]] = []
        if "python_shop" in wanted:
            projects.append(("python_shop", copy_example("python_shop", tmp), "python", ".py", lambda p: True))
        if "flask" in wanted:
            repo, commit = FLASK
            flask = stack.enter_context(checkout(MIRRORS, repo, commit))
            # Rewrite inside the project pyright is configured to check.
            projects.append((f"{repo}@{commit[:8]}", flask, "python", ".py", lambda p: p.startswith("src/")))
        if "rust_ledger" in wanted:
            projects.append(("rust_ledger", copy_example("rust_ledger", tmp), "rust", ".rs", lambda p: True))
        for name, root, language, extension, paths_filter in projects:
            report[name] = await bench_project(name, root, language, extension, paths_filter, args.rewrites, rng, args.cli_runs)
    report["load_average_end"] = round(os.getloadavg()[0], 1)
    python = [v for k, v in report.items() if isinstance(v, dict) and k != "goals" and "cold_pyright_project_ms" in v]
    rust = report.get("rust_ledger")
    report["goals"] = {
        "python_speedup_p50_min": min((v.get("speedup_p50", 0) for v in python), default=0),
        "python_speedup_goal": 7,
        "rust_delta_p50_ms": rust["warm_delta_ms"]["p50"] if isinstance(rust, dict) else None,  # type: ignore[index]
        "rust_delta_goal_ms": 300,
        "definition_p50_ms_max": max(
            (v["definition_ms"]["p50"] for v in report.values() if isinstance(v, dict) and "definition_ms" in v and v["definition_ms"].get("p50") is not None),
            default=None,
        ),
        "definition_goal_ms": 10,
        "missed_injected_total": sum(v["missed"] for v in report.values() if isinstance(v, dict) and "missed" in v),
        "spurious_total": sum(v["spurious"] for v in report.values() if isinstance(v, dict) and "spurious" in v),
    }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check", description="Rewrite -> diagnostics delta with warm servers, against cold CLIs.")
    parser.add_argument("--rewrites", type=int, default=50, help="rewrites per project (default 50)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cli-runs", type=int, default=5, help="cold CLI runs per project (default 5)")
    parser.add_argument("--quick", action="store_true", help="bundled examples only (no Flask checkout)")
    parser.add_argument(
        "--only", action="append", choices=("python_shop", "flask", "rust_ledger"), help="run only these projects (repeatable)"
    )
    args = parser.parse_args(argv)
    report = trio.run(main_async, args)
    print(json.dumps(report, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
