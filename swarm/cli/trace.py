"""`swarm trace --repo DIR TEST [--json]`: run one test and show the symbols
of the repository it executed, in call order, with the first calls'
arguments and results, and where it failed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="run one test and show the symbols it executed",
        description=(
            "Run ONE test selection and list the repository's symbols it executed, in order of first call: "
            "call counts, the arguments and results of the first calls, and where the test failed, hung or "
            "crashed. Python: every call is counted in the test's own interpreter (3.6+). Rust: calls are "
            "counted under gdb when it is installed, else the panic's backtrace is used."
        ),
    )
    parser.add_argument("test", metavar="TEST",
                        help="a pytest node id, test file or -k expression; or a Rust test name "
                             "(module::test) or a Rust test's symbol id (tests/x.rs::name)")
    parser.add_argument("--repo", type=Path, default=Path("."), help="the repository (default: .)")
    parser.add_argument("--json", action="store_true", help="print the TraceResult as JSON")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the test may run (default: 120)")
    parser.add_argument("--build-timeout", type=float, default=900.0,
                        help="seconds Rust tests may take to compile (default: 900)")
    parser.add_argument("--calls", type=int, default=3, metavar="N",
                        help="record the arguments and result of the first N calls of each symbol (default: 3)")
    parser.add_argument("--repr-limit", type=int, default=120, metavar="CHARS",
                        help="longest argument or result shown (default: 120)")
    parser.add_argument("--max-symbols", type=int, default=200, metavar="N",
                        help="list at most N symbols (default: 200)")
    parser.add_argument("--python", metavar="PATH",
                        help="the target's interpreter (default: the repo's .venv or venv, else this one)")
    parser.add_argument("--language", choices=("python", "rust"), help="when the repository holds both")
    parser.add_argument("--no-debugger", action="store_true", help="Rust: do not run under gdb (backtraces only)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import trio

    from editor_harness.trace import trace_test

    result = trio.run(
        lambda: trace_test(
            args.repo,
            args.test,
            timeout=args.timeout,
            max_calls_recorded=args.calls,
            repr_limit=args.repr_limit,
            max_symbols=args.max_symbols,
            python=args.python,
            language=args.language,
            build_timeout=args.build_timeout,
            rust_debugger=not args.no_debugger,
        )
    )
    print(json.dumps(result.to_json(), indent=2) if args.json else render(result))
    return 0


def render(result: Any) -> str:
    """A TraceResult for a terminal: what ran, in order, and where it stopped."""
    lines = [f"{result.selection}: {result.outcome} in {result.elapsed_s:.2f} s"
             + (f" ({result.tracer})" if result.tracer else "")]
    panic = result.panic
    if panic is not None:
        where = f" at {panic.path}:{panic.line}" if panic.path and panic.line else ""
        inside = f" in {panic.symbol_id}" if panic.symbol_id else ""
        first, *rest = panic.message.splitlines() or [""]
        lines.append(f"{panic.kind}{where}{inside}: {first}")
        lines.extend(f"    {line}" for line in rest[:8])
    if result.symbols:
        lines.append("symbols, in order of first call:")
    for symbol in result.symbols:
        tags = [t for t in ("test" if symbol.is_test else "", "" if symbol.evidence == "call" else symbol.evidence) if t]
        count = f"x{symbol.calls}" if symbol.calls else "calls not counted"
        lines.append(f"  {symbol.symbol_id}  {count}" + (f"  [{', '.join(tags)}]" if tags else ""))
        for call in symbol.first_calls:
            lines.append(f"      ({call.args_repr}) {_ending(call)}")
    if result.truncated:
        lines.append("  ... (more symbols ran; raise --max-symbols to see them)")
    if result.note:
        lines.append(f"note: {result.note}")
    return "\n".join(lines)


def _ending(call: Any) -> str:
    if call.return_repr is not None:
        return f"-> {call.return_repr}"
    if call.raised_repr is not None:
        return f"raised {call.raised_repr}"
    if call.yielded_repr is not None:
        return f"yielded {call.yielded_repr} (did not finish)"
    return "(did not return)"
