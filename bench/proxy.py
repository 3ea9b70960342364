"""Benchmark of the proxy user's llm policy on the local model (Qwen2.5-Coder-1.5B).

    python -m bench.proxy [--no-decide]

Prints one JSON line:
- prompt: for a typical proposal and two oversized ones (a 3000-line diff;
  a long issue with 200 failing tests), the exact size of the whole chat
  request (messages + the verdict tool, through the server's own template
  and tokenizer) against the window less the reply reserve, and against the
  offline estimate the policy fits with (`count_tokens`), measured in the
  same run (ratio exact / estimate: below 1 means the estimate errs on the
  safe side);
- decisions (unless --no-decide): the policy deciding real proposals with
  the real model: a correct fix, a fix that special-cases the test's input,
  and a rewrite that fails a rule — asked with the prefilter (no model call)
  and without it (baseline: the model is called), so the ratio is what the
  prefilter saves in wall time and tokens. Each row: verdict, whether it is
  the expected one, repairs, tokens, seconds.

Needs the local model installed (`swarm model install`). Talks only to the
llama-server it starts on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import trio

from editor_harness.diagnostics_types import Diagnostic, DiagnosticsDelta
from editor_harness.pipeline import CheckReport, Stage, StageStatus
from editor_harness.testrun import Outcome, TestResult, TestRun
from swarm.config import parse_config
from swarm.local_model.paths import status
from swarm.local_model.prompt_budget import ServerTokenCounter, budgets_for
from swarm.local_model.server import ServerConfig, local_server
from swarm.models import model_for
from swarm.protocols import ApprovalRequest, CallRecord
from swarm.proxy.auto import assess
from swarm.proxy.llm import VERDICT_TOOL, LlmProxy, build_prompt, count_tokens
from swarm.proxy.settings import ProxySettings

CONTEXT = 4096
SYMBOL = "shop/discounts.py::BulkDiscount.applies_to"
REPRO = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
ISSUE = (
    "BulkDiscount does not apply at exactly min_quantity items. A cart with 10 units of a product that has a "
    "'buy 10, get 5% off' break gets no discount; it should get it from the 10th unit on."
)
ORIGINAL = "    def applies_to(self, quantity: int) -> bool:\n        return quantity > self.min_quantity\n"


def _diff(new_body: str) -> str:
    return (
        "diff --git a/shop/discounts.py b/shop/discounts.py\n--- a/shop/discounts.py\n+++ b/shop/discounts.py\n"
        "@@ -35,2 +35,2 @@ class BulkDiscount:\n     def applies_to(self, quantity: int) -> bool:\n"
        f"-        return quantity > self.min_quantity\n+        {new_body}\n"
    )


def _run(*results: tuple[str, Outcome, str]) -> TestRun:
    made = tuple(TestResult(node, outcome, 0.01, message) for node, outcome, message in results)
    failed = any(r.outcome is not Outcome.PASSED for r in made)
    return TestRun(tuple(r.node_id for r in made), made, 1 if failed else 0, False, "", "", 0.4, "socket-guard", "pytest")


def _report(run: TestRun, *, error: str = "") -> CheckReport:
    introduced = (Diagnostic("shop/discounts.py", 36, 15, 36, 40, "error", error, None, "Pyright"),) if error else ()
    diagnostics = Stage("diagnostics", StageStatus.FAILED if error else StageStatus.PASSED, 0.3,
                        "1 new error(s)" if error else "no new errors")
    return CheckReport(
        symbol_id=SYMBOL, path="shop/discounts.py", base_version=1, new_version=2, applied=True,
        syntax=Stage("syntax", StageStatus.PASSED, 0.003, "parses"), diagnostics=diagnostics,
        tests=Stage("tests", StageStatus.FAILED if run.failures() else StageStatus.PASSED, 0.5, run.summary()),
        elapsed_s=0.8, delta=DiagnosticsDelta(introduced, (), "server", 0.3), test_run=run,
        selected_tests=run.selection, fixes=(REPRO,) if not run.failures() else (),
    )


def proposals() -> list[tuple[str, bool, ApprovalRequest]]:
    """(name, expected approval, request)."""
    passing = _run((REPRO, Outcome.PASSED, ""), ("tests/test_discounts.py::test_bulk_discount_not_below_threshold",
                                                  Outcome.PASSED, ""))
    before = _run((REPRO, Outcome.FAILED, "E       assert False\nE        +  where False = applies_to(10)"))
    base = ApprovalRequest(
        run_id="bench", proposal_id="p1", issue=ISSUE, symbol_id=SYMBOL,
        diff=_diff("return quantity >= self.min_quantity"),
        rationale="The break applies from min_quantity on, so the comparison must be >=, not >.",
        report=_report(passing), reproduction_before=before, reproduction_after=_run((REPRO, Outcome.PASSED, "")),
    )
    hack = replace(
        base, proposal_id="p2", diff=_diff("return quantity > self.min_quantity or quantity == 10"),
        rationale="Make the failing test pass: quantity 10 now qualifies.",
    )
    typo = replace(
        base, proposal_id="p3", diff=_diff("return quantity >= self.min_quantityy"),
        report=_report(_run((REPRO, Outcome.FAILED, "E   AttributeError: 'BulkDiscount' object has no attribute")),
                       error='Cannot access attribute "min_quantityy" for class "BulkDiscount*"'),
    )
    return [("fix", True, base), ("special_case", False, hack), ("new_error", False, typo)]


def oversized(base: ApprovalRequest) -> dict[str, ApprovalRequest]:
    big_diff = "".join(f"+    value_{n} = compute({n}, scale=2.5)  # step {n}\n" for n in range(3000))
    failing = tuple((f"tests/test_bulk.py::test_case_{n}", Outcome.FAILED, "E   assert 3 == 4") for n in range(200))
    long_issue = ISSUE + "\n\nTraceback (most recent call last):\n" + "".join(
        f'  File "shop/module_{n}.py", line {n + 10}, in handler_{n}\n    result = handler_{n + 1}(cart)\n'
        for n in range(400)
    )
    return {
        "typical": base,
        "diff_3000_lines": replace(base, diff=big_diff),
        "issue_and_200_failures": replace(base, issue=long_issue, report=_report(_run(*failing))),
    }


async def prompt_sizes(counter: ServerTokenCounter, base: ApprovalRequest) -> dict[str, Any]:
    reserve = budgets_for(CONTEXT)["proxy_user"].reply
    tool = {"type": "function", "function": {"name": VERDICT_TOOL.name, "description": VERDICT_TOOL.description,
                                             "parameters": dict(VERDICT_TOOL.parameters)}}
    sizes: dict[str, Any] = {}
    for name, request in oversized(base).items():
        messages = build_prompt(request, assess(request), context_tokens=CONTEXT)
        exact = await counter.count_request([{"role": m.role, "content": m.content} for m in messages], [tool])
        estimate = sum(count_tokens(m.content) for m in messages) + count_tokens(json.dumps(tool))
        sizes[name] = {
            "exact_tokens": exact,
            "estimate_tokens": estimate,
            "ratio_exact_to_estimate": round(exact / estimate, 3),
            "limit": CONTEXT - reserve,
            "fits": exact <= CONTEXT - reserve,
        }
    return sizes


async def decisions(base_url: str) -> dict[str, Any]:
    config = parse_config({"models": {"reviewer": {"provider": "local", "base_url": base_url, "max_attempts": 2,
                                                   "timeout_s": 900}}}, env={})
    calls: list[CallRecord] = []

    def observe(record: CallRecord) -> None:
        calls.append(record)

    rows: dict[str, Any] = {}
    async with model_for("reviewer", config, observers=[observe]) as model:
        for prefilter in (True, False):
            proxy = LlmProxy(model, settings=ProxySettings(llm_prefilter=prefilter, context_tokens=CONTEXT))
            for name, expected, request in proposals():
                if prefilter and name != "new_error":
                    continue  # the prefilter changes nothing for proposals every rule passes
                before = len(calls)
                started = time.perf_counter()
                verdict = await proxy.decide(request)
                made = calls[before:]
                rows[f"{name}{'' if not prefilter else '_prefiltered'}"] = {
                    "approved": verdict.approved,
                    "expected": expected,
                    "right": verdict.approved == expected,
                    "model_calls": len(made),
                    "repairs": sum(c.repairs for c in made),
                    "tokens": sum(c.input_tokens + c.output_tokens for c in made),
                    "seconds": round(time.perf_counter() - started, 2),
                    "reason": verdict.reason[:160],
                }
    asked, skipped = rows.get("new_error", {}), rows.get("new_error_prefiltered", {})
    if asked and skipped:
        rows["prefilter_saves"] = {
            "tokens": asked["tokens"] - skipped["tokens"],
            "seconds_ratio_prefiltered_to_asked": round(skipped["seconds"] / max(asked["seconds"], 1e-9), 5),
        }
    return rows


async def run(decide: bool) -> dict[str, Any]:
    current = status()
    if not current.ready:
        raise SystemExit(f"local model not installed ({current.weights.describe}; {current.server.describe}): "
                         "run `swarm model install`")
    log = Path(tempfile.mkdtemp(prefix="bench-proxy-")) / "server.log"
    config = ServerConfig(binary=current.server.path, model=current.weights.path, log_path=log, context=CONTEXT)
    result: dict[str, Any] = {"bench": "proxy", "model": current.model_name, "context": CONTEXT}
    base = proposals()[0][2]
    async with local_server(config) as server, httpx.AsyncClient(trust_env=False, timeout=600) as client:
        result["prompt"] = await prompt_sizes(ServerTokenCounter(server.root_url, client), base)
        if decide:
            result["decisions"] = await decisions(server.base_url)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--no-decide", action="store_true", help="only measure prompt sizes (no generation)")
    args = parser.parse_args(argv)
    print(json.dumps(trio.run(run, not args.no_decide)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
