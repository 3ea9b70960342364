"""Benchmark of the headless editor's hot paths, each against a baseline in the same run.

    python -m bench.harness [--mirrors /work/mirrors] [--repo pallets/flask] [--rewrites 60] [--runs 9]

Prints ONE JSON line:
- rewrite: `Workspace.rewrite_symbol` (re-indent, parse, scope, CPython
  compile check, same-symbol checks, atomic write, index update) on methods
  of the largest Python files of a real project, against a naive rewrite
  (splice the bytes and write the file, no checks) -> `rewrite_vs_naive_p50`;
- tests: the run-tests endpoint (netns or socket guard, per-test reporter
  plugin, process-group kill) against a bare `python -m pytest` / `cargo
  test` of the same selection -> `pytest_vs_bare_p50`, `cargo_vs_bare_p50`,
  `socket_guard_vs_bare_p50`;
- navigation: `Navigator.go_to_definition` (Jedi, mapped to symbol ids)
  against a raw `jedi.Script.goto` at the same positions, both warm ->
  `definition_vs_raw_jedi_p50`; references and select_tests in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jedi
import trio

from editor_harness.navigation import Navigator
from editor_harness.network_guard import GuardMode, netns_available
from editor_harness.run_tests import run_tests
from editor_harness.selection import select_tests
from editor_harness.workspace import Workspace
from symbols.model import SymbolKind

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return round(statistics.median(ordered) * 1000, 3), round(p95 * 1000, 3)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@contextmanager
def _project(mirrors: Path, repo: str) -> Iterator[Path]:
    from swarm.evaluation.mirrors import checkout

    with checkout(mirrors, repo, "HEAD") as root:
        yield root


@contextmanager
def _example(name: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-harness-") as tmp:
        root = Path(tmp) / name
        shutil.copytree(EXAMPLES / name, root, ignore=shutil.ignore_patterns("target", "__pycache__"))
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        yield root


def bench_rewrites(root: Path, count: int, rng: random.Random) -> dict[str, object]:
    workspace = Workspace.open(root)
    files = sorted(
        (p for p in workspace.index.paths() if p.endswith(".py")), key=lambda p: -(root / p).stat().st_size
    )[:5]
    methods = [s for p in files for s in workspace.outline(p) if s.kind is SymbolKind.METHOD]
    chosen = rng.sample(methods, min(count, len(methods)))
    ours: list[float] = []
    naive: list[float] = []
    for symbol in chosen:
        view = workspace.read_symbol(symbol.id)
        # The agent's form: the method at column 0 with one changed line.
        lines = view.text.split("\n")
        text = "\n".join([lines[0], *(line[4:] if line.startswith("    ") else line for line in lines[1:])])
        new = "# edited by bench.harness\n" + text
        ours.append(_timed(lambda: workspace.rewrite_symbol(symbol.id, new, view.version)))
        workspace.undo()
        current = workspace.symbol(symbol.id)
        full = root / symbol.path

        def splice() -> None:
            data = full.read_bytes()
            full.write_bytes(data[: current.start_byte] + new.encode() + data[current.end_byte :])

        original = full.read_bytes()
        naive.append(_timed(splice))
        full.write_bytes(original)
    p50, p95 = _ms(ours)
    naive_p50, _ = _ms(naive)
    return {
        "rewrite_files_kb": [round((root / p).stat().st_size / 1024, 1) for p in files],
        "rewrites": len(ours),
        "rewrite_p50_ms": p50,
        "rewrite_p95_ms": p95,
        "naive_rewrite_p50_ms": naive_p50,
        "rewrite_vs_naive_p50": round(p50 / naive_p50, 2) if naive_p50 else None,
    }


def bench_navigation(root: Path, count: int, rng: random.Random) -> dict[str, object]:
    workspace = Workspace.open(root)
    navigator = Navigator(workspace)
    candidates = [s for s in workspace.index.symbols() if s.kind is SymbolKind.METHOD and s.path.endswith(".py")]
    chosen = rng.sample(candidates, min(count, len(candidates)))
    positions = [navigator.position_of(s.id) for s in chosen]
    project = jedi.Project(root)

    def raw(path: str, line: int, column: int) -> None:
        code = (root / path).read_text(encoding="utf-8", errors="replace")
        jedi.Script(code=code, path=root / path, project=project).goto(line, column, follow_imports=True)

    async def timed_calls() -> tuple[list[float], list[float], list[float]]:
        # One trio run for all lookups: its start-up is not part of a lookup's cost.
        for path, line, column in positions:  # a warm pass first: both then hit the same Jedi caches
            raw(path, line, column)
            await navigator.go_to_definition(path, line, column)
        definitions, raws, references = [], [], []
        for position in positions:  # interleaved, so load changes hit both alike
            started = time.perf_counter()
            await navigator.go_to_definition(*position)
            definitions.append(time.perf_counter() - started)
            raws.append(_timed(lambda p=position: raw(*p)))
        for position in positions[:10]:
            started = time.perf_counter()
            await navigator.references(*position)
            references.append(time.perf_counter() - started)
        return definitions, raws, references

    ours, baseline, refs = trio.run(timed_calls)
    selects = [_timed(lambda s=s: select_tests(workspace.index, s.id)) for s in chosen[:10]]
    p50, p95 = _ms(ours)
    raw_p50, _ = _ms(baseline)
    return {
        "definition_p50_ms": p50,
        "definition_p95_ms": p95,
        "raw_jedi_goto_p50_ms": raw_p50,
        "definition_vs_raw_jedi_p50": round(p50 / raw_p50, 2) if raw_p50 else None,
        "references_p50_ms": _ms(refs)[0],
        "select_tests_p50_ms": _ms(selects)[0],
    }


def _bare(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    return _timed(lambda: subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False))


def bench_tests(runs: int) -> dict[str, object]:
    # The bare runs get the environment the endpoint gives its runs (no backtraces, no colour).
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "CARGO_NET_OFFLINE": "true",
        "CARGO_TERM_COLOR": "never",
        "RUST_BACKTRACE": "0",
    }
    os.environ.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    figures: dict[str, object] = {"netns": trio.run(netns_available)}
    with _example("python_shop") as root:
        bare, ours, guarded = [], [], []
        for _ in range(runs):  # interleaved, so load changes hit every variant alike
            bare.append(_bare([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root, env))
            ours.append(_timed(lambda: trio.run(lambda: run_tests(root, [], timeout=300))))
            guarded.append(_timed(lambda: trio.run(lambda: run_tests(root, [], timeout=300, network=GuardMode.SOCKET))))
        figures.update(
            pytest_bare_p50_ms=_ms(bare)[0],
            pytest_endpoint_p50_ms=_ms(ours)[0],
            pytest_vs_bare_p50=round(_ms(ours)[0] / _ms(bare)[0], 2),
            socket_guard_vs_bare_p50=round(_ms(guarded)[0] / _ms(bare)[0], 2),
        )
    with _example("rust_ledger") as root:
        subprocess.run(["cargo", "test", "--no-run", "-q"], cwd=root, env=env, capture_output=True, check=False)
        bare, ours = [], []
        for _ in range(runs):
            bare.append(_bare(["cargo", "test", "--no-fail-fast"], root, env))
            ours.append(_timed(lambda: trio.run(lambda: run_tests(root, [], timeout=300))))
        figures.update(
            cargo_bare_p50_ms=_ms(bare)[0],
            cargo_endpoint_p50_ms=_ms(ours)[0],
            cargo_vs_bare_p50=round(_ms(ours)[0] / _ms(bare)[0], 2),
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/mirrors"))
    parser.add_argument("--repo", default="pallets/flask", help="owner/name of a mirrored Python project")
    parser.add_argument("--rewrites", type=int, default=60)
    parser.add_argument("--lookups", type=int, default=40)
    parser.add_argument("--runs", type=int, default=9, help="test runs per variant")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    result: dict[str, object] = {"bench": "harness", "project": args.repo}
    with _project(args.mirrors, args.repo) as root:
        result.update(bench_rewrites(root, args.rewrites, rng))
        result.update(bench_navigation(root, args.lookups, rng))
    result.update(bench_tests(args.runs))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
