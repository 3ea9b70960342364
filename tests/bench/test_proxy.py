"""bench.proxy's fixtures: what the automatic rules say about its proposals,
and that its oversized prompts are fitted (the model run itself is the bench)."""

from __future__ import annotations

from bench.proxy import CONTEXT, oversized, proposals
from swarm.local_model.prompt_budget import budgets_for
from swarm.proxy.auto import assess
from swarm.proxy.llm import build_prompt, count_tokens


def test_only_the_model_can_catch_the_special_case() -> None:
    verdicts = {name: (assess(request).approved, expected) for name, expected, request in proposals()}
    # The rules pass both the fix and the special case: telling them apart is the reviewer's job.
    assert verdicts == {"fix": (True, True), "special_case": (True, False), "new_error": (False, False)}


def test_oversized_requests_are_fitted_by_the_estimate() -> None:
    limit = CONTEXT - budgets_for(CONTEXT)["proxy_user"].reply
    for name, request in oversized(proposals()[0][2]).items():
        messages = build_prompt(request, assess(request), context_tokens=CONTEXT)
        assert sum(count_tokens(m.content) for m in messages) < limit, name
        if name != "typical":
            assert "lines omitted)" in messages[1].content, name
