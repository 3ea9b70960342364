"""`swarm check`, `def`, `refs`, `impls`, `hover`, `test`, `select-tests`: the
headless editor from the command line, for users and scripts.

Positions are `PATH:LINE:COL` with 1-based lines and columns (as editors
and compilers print them); a symbol id works wherever a position does for
refs, impls and hover. `--json` prints machine-readable output.

Exit codes: 0 success; 1 a refused request (bad path, unknown symbol);
3 `check` ran but the edit failed a stage, or `test` had failures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

CHECK_FAILED = 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = subparsers.add_parser(
        "check",
        help="rewrite one symbol in a scratch copy and run the check pipeline",
        description="Apply a whole-symbol rewrite to a scratch copy of the repository (your tree is never "
        "touched) and report syntax, new diagnostics and the selected tests.",
    )
    check.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
    check.add_argument("--symbol", required=True, help="symbol id, e.g. shop/cart.py::Cart.total")
    check.add_argument("--source", required=True, help="file holding the new text of the symbol ('-' for stdin)")
    check.add_argument("--tests", nargs="*", default=None, help="tests to run (default: selected from the index)")
    check.add_argument("--timeout", type=float, default=300.0, help="test timeout in seconds (default 300)")
    check.add_argument("--no-servers", action="store_true", help="skip language servers (no diagnostics stage)")
    check.add_argument("--python", help="interpreter for the tests (default: the repo's .venv, else this one)")
    check.add_argument("--json", action="store_true", help="print the CheckReport (and the patch) as JSON")
    check.set_defaults(handler=_check)

    for name, what in (
        ("def", "go to the definition of what is at a position"),
        ("refs", "list the references to a symbol, each with the id of the symbol using it"),
        ("impls", "list implementations: subclasses, protocol implementers, trait impls"),
        ("hover", "show the signature and documentation of what is at a position"),
    ):
        command = subparsers.add_parser(name, help=what, description=what[0].upper() + what[1:] + ".")
        command.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
        command.add_argument("target", help="PATH:LINE:COL (1-based) or a symbol id")
        command.add_argument("--no-servers", action="store_true", help="Jedi and the index only (no pyright/rust-analyzer)")
        command.add_argument("--json", action="store_true")
        command.set_defaults(handler=_navigate, operation=name)

    test = subparsers.add_parser(
        "test", help="run tests with a hard timeout and no network", description="Run a selection of tests "
        "(pytest node ids or keywords; cargo test ids or filters; none: the whole suite) with a hard timeout, "
        "in a network namespace (or behind a socket guard), and report each test's outcome."
    )  # fmt: skip
    test.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
    test.add_argument("selection", nargs="*", help="tests to run (default: all)")
    test.add_argument("--timeout", type=float, default=300.0, help="seconds before the run is killed (default 300)")
    test.add_argument("--runner", choices=("pytest", "cargo"), help="force a runner (default: detected)")
    test.add_argument("--python", help="interpreter for pytest (default: the repo's .venv, else this one)")
    test.add_argument("--network", choices=("auto", "netns", "socket-guard", "none"), default="auto")
    test.add_argument("--json", action="store_true")
    test.set_defaults(handler=_test)

    select = subparsers.add_parser("select-tests", help="list the tests that exercise a symbol (from the index)")
    select.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
    select.add_argument("symbol", help="symbol id")
    select.add_argument("--json", action="store_true")
    select.set_defaults(handler=_select)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _read_source(argument: str) -> str:
    if argument == "-":
        return sys.stdin.read()
    return Path(argument).read_text(encoding="utf-8")


# ------------------------------------------------------------------- check


def _check(args: argparse.Namespace) -> int:
    import trio

    from editor_harness.diagnostics_scratch import scratch_copy
    from editor_harness.pytest_runner import default_python
    from editor_harness.session import open_session
    from editor_harness.workspace import Workspace

    root = Path(args.repo).resolve()
    Workspace.open(root).symbol(args.symbol)  # refuse a bad id before copying anything
    source = _read_source(args.source)
    # The scratch copy has no virtualenv of its own: use the repository's.
    python = args.python or default_python(root)

    async def run(copy: Path) -> tuple[Any, str]:
        async with open_session(copy, servers=not args.no_servers, test_timeout=args.timeout, python=python) as session:
            base = session.workspace.version(args.symbol.partition("::")[0])
            report = await session.pipeline.rewrite_and_check(args.symbol, source, base, tests=args.tests)
            return report, session.workspace.diff()

    with scratch_copy(root, {}) as copy:
        report, patch = trio.run(run, copy)
    if args.json:
        _print_json({**report.to_json(), "patch": patch})
    else:
        print(report.render())
        if patch:
            print()
            print(patch, end="")
    return 0 if report.ok else CHECK_FAILED


# -------------------------------------------------------------- navigation


def parse_position(target: str) -> tuple[str, int, int] | None:
    """`PATH:LINE:COL` (1-based) -> (path, line, 0-based column); None for a symbol id."""
    if "::" in target:
        return None
    parts = target.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        from editor_harness.errors import HarnessError

        raise HarnessError(f"{target!r}: expected PATH:LINE:COL (1-based) or a symbol id such as path.py::Name")
    return parts[0], int(parts[1]), max(int(parts[2]) - 1, 0)


def _navigate(args: argparse.Namespace) -> int:
    import trio

    from editor_harness.navigation import Hover, Navigator, SymbolLocation
    from editor_harness.workspace import Workspace

    workspace = Workspace.open(args.repo)
    position = parse_position(args.target)
    if position is None:
        position = Navigator(workspace).position_of(args.target)
    path, line, column = position

    async def ask(navigator: Navigator) -> list[SymbolLocation] | Hover | None:
        if args.operation == "def":
            return await navigator.go_to_definition(path, line, column)
        if args.operation == "refs":
            return await navigator.references(path, line, column)
        if args.operation == "impls":
            return await navigator.implementations(path, line, column)
        return await navigator.hover(path, line, column)

    async def run() -> tuple[list[SymbolLocation] | Hover | None, dict[str, str]]:
        navigator = Navigator(workspace)
        answer = await ask(navigator)
        language = workspace.index.file(workspace.relative(path)).language
        # Jedi answers Python in-process; a server is only worth starting when it had nothing,
        # or for Rust, where the index alone is a guess by name.
        wants_server = not args.no_servers and (not answer or (language == "rust" and _by_index(answer)))
        if wants_server:
            from editor_harness.server_navigation import ServerNavigation

            async with ServerNavigation.open(workspace.root, [language]) as server:
                served = await ask(Navigator(workspace, server=server))
                if served:
                    answer = served
        return answer, navigator.last_failures

    answer, failures = trio.run(run)
    if args.json:
        if isinstance(answer, Hover):
            _print_json(answer.to_json())
        elif answer is None:
            _print_json(None)
        else:
            _print_json([item.to_json() for item in answer])
        return 0
    if answer is None or answer == []:
        print("nothing found" + (f" ({'; '.join(f'{k}: {v}' for k, v in failures.items())})" if failures else ""))
        return 0
    if isinstance(answer, Hover):
        print(answer.text)
        print(f"-- {answer.source}" + (f", in {answer.symbol_id}" if answer.symbol_id else ""))
        return 0
    for item in answer:
        loc = item.location
        owner = f"  [{item.symbol_id}]" if item.symbol_id else "  [external]"
        print(f"{loc.path}:{loc.line}:{loc.column + 1}{owner}  ({item.source})")
    return 0


def _by_index(answer: Any) -> bool:
    """Whether only the index (a guess by name) answered."""
    items = answer if isinstance(answer, list) else [answer]
    return all(getattr(item, "source", "") == "index" for item in items)


# ------------------------------------------------------------------- tests


def _test(args: argparse.Namespace) -> int:
    import trio

    from editor_harness.run_tests import run_tests

    run = trio.run(
        lambda: run_tests(
            args.repo, args.selection, timeout=args.timeout, runner=args.runner, python=args.python, network=args.network
        )
    )
    if args.json:
        _print_json(run.to_json())
    else:
        for result in run.results:
            print(f"{result.outcome.value.upper():<8} {result.node_id}  ({result.duration_s:.2f}s)")
        print(f"{run.runner}: {run.summary()}; network: {run.network_guard}; {run.elapsed_s:.1f}s")
        for result in run.failures():
            print(f"\n--- {result.node_id}\n{result.message.strip()}")
    return 0 if run.ok else CHECK_FAILED


def _select(args: argparse.Namespace) -> int:
    from editor_harness.selection import select_tests
    from editor_harness.workspace import Workspace

    workspace = Workspace.open(args.repo)
    workspace.symbol(args.symbol)
    chosen = select_tests(workspace.index, args.symbol)
    if args.json:
        _print_json([{"node_id": t.node_id, "symbol_id": t.symbol_id, "reason": t.reason} for t in chosen])
    else:
        for test in chosen:
            print(f"{test.node_id}  ({test.reason})")
        if not chosen:
            print(f"no tests reference {args.symbol}")
    return 0
