"""The llm policy: the scripted model (approve, reject, repair, refusal), the
prefilter, the prompt's fit to a 4k window, and one run through the
OpenAI-compatible provider against a loopback server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from editor_harness.session import open_session
from editor_harness.testrun import Outcome
from swarm.config import parse_config
from swarm.local_model.prompt_budget import budgets_for, estimate_tokens
from swarm.models import model_for
from swarm.models.errors import ScriptExhausted
from swarm.protocols import CallRecord, ChatMessage, Outstanding
from swarm.proxy import make_proxy
from swarm.proxy.auto import assess
from swarm.proxy.llm import VERDICT_TOOL, LlmProxy, build_prompt, count_tokens, fit, prompt_template, share_out
from swarm.proxy.settings import ProxySettings
from swarm.redact import REDACTED
from swarm.runlog import RunLog
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.loopback import Received, Respond, serve
from tests.swarm.proxy.evidence import (
    APPLIES_TO,
    ASSERT_MESSAGE,
    FAILING,
    FIX,
    ISSUE,
    diagnostic,
    hand_built,
    passing_report,
    request,
    run,
)

pytestmark = pytest.mark.anyio

KEY = "sk-proj-LOOPBACKreviewer0123456789abcdefSECRET"


def script(tmp_path: Path, *replies: str) -> Path:
    path = tmp_path / "reviewer.toml"
    path.write_text('description = "reviewer replies"\n' + "\n".join(replies))
    return path


def verdict_reply(approved: bool, reason: str, **extra: str) -> str:
    keys = "".join(f"{k} = {json.dumps(v)}\n" for k, v in extra.items())
    return (
        f'[[reply]]\nrole = "reviewer"\n{keys}[[reply.tool_calls]]\nname = "verdict"\n'
        f"arguments = {{ approved = {json.dumps(approved)}, reason = {json.dumps(reason)} }}\n"
    )


def scripted(path: Path, calls: list[CallRecord], **proxy: Any) -> LlmProxy:
    config = parse_config({"models": {"reviewer": {"provider": "scripted", "model": str(path)}}}, env={})

    def observe(record: CallRecord) -> None:
        calls.append(record)

    model = model_for("reviewer", config, observers=[observe])
    return LlmProxy(model, settings=ProxySettings(**proxy), owns_model=True)


async def test_approve_with_the_models_reason(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(True, "The >= comparison is exactly what the issue asks for.",
                                          when="(?s)Approve or reject this change"))
    calls: list[CallRecord] = []
    async with scripted(path, calls) as proxy:
        verdict = await proxy.decide(request(passing_report()))
    assert verdict.approved and verdict.reason == "The >= comparison is exactly what the issue asks for."
    assert verdict.policy == f"llm:scripted:{path}" == proxy.name
    assert len(calls) == 1 and calls[0].ok and calls[0].role == "reviewer"


async def test_reject_names_the_concern(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(False, "It special-cases quantity == 10 instead of fixing the comparison."))
    async with scripted(path, []) as proxy:
        verdict = await proxy.decide(request(passing_report(), attempt=2))
    assert not verdict.approved and "special-cases quantity == 10" in verdict.reason


async def test_malformed_verdict_gets_the_repair_round(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        '[[reply]]\nrole = "reviewer"\nturn = 1\n[[reply.tool_calls]]\nname = "verdict"\n'
        'arguments_json = \'{"approved": "yes", "reason": \'\n',
        verdict_reply(True, "Fine after all.", when="Error in your call to verdict"),
    )
    calls: list[CallRecord] = []
    async with scripted(path, calls) as proxy:
        verdict = await proxy.decide(request(passing_report()))
    assert verdict.approved and verdict.reason == "Fine after all."
    assert calls[0].repairs == 1


async def test_a_reviewer_that_will_not_call_the_tool_rejects(tmp_path: Path) -> None:
    path = script(
        tmp_path,
        '[[reply]]\nrole = "reviewer"\ntext = "Looks good to me!"\n',
        '[[reply]]\nrole = "reviewer"\nwhen = "you must call the tool verdict"\ntext = "I said it looks good."\n',
    )
    calls: list[CallRecord] = []
    async with scripted(path, calls) as proxy:
        verdict = await proxy.decide(request(passing_report()))
    assert not verdict.approved
    assert verdict.reason.startswith("the reviewer failed to give a usable verdict, so the change is rejected unreviewed")
    assert "you must call the tool verdict" in verdict.reason
    assert len(calls) == 1 and not calls[0].ok and calls[0].error_kind == "MalformedToolCall"


async def test_hard_rule_failures_are_rejected_without_asking(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(True, "should never be played"))
    broken = hand_built(diagnostics=("failed", "1 new error(s)"),
                        introduced=(diagnostic("error", 'Cannot access attribute "min_quantityy"'),))
    calls: list[CallRecord] = []
    async with scripted(path, calls) as proxy:
        verdict = await proxy.decide(request(broken))
    assert calls == []
    assert not verdict.approved and verdict.policy.startswith("llm:scripted:")
    assert verdict.reason.startswith("an automatic rule failed, so the reviewer model was not asked (saves tokens)")
    assert '[diagnostics] 1 new error(s): shop/discounts.py:36 Cannot access attribute "min_quantityy"' in verdict.reason


async def test_without_the_prefilter_the_model_sees_the_failed_rules(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(False, "The new error must go.", when="FAILED \\[diagnostics\\] 1 new error"))
    broken = hand_built(diagnostics=("failed", "1 new error(s)"), introduced=(diagnostic("error", "boom"),))
    async with scripted(path, [], llm_prefilter=False) as proxy:
        verdict = await proxy.decide(request(broken))
    assert not verdict.approved and verdict.reason == "The new error must go."


async def test_script_errors_propagate_and_are_never_an_approval(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(True, "once"))
    async with scripted(path, []) as proxy:
        assert (await proxy.decide(request(passing_report()))).approved
        with pytest.raises(ScriptExhausted):
            await proxy.decide(request(passing_report(), proposal_id="p2"))


async def test_a_key_echoed_by_the_model_never_reaches_the_verdict(tmp_path: Path) -> None:
    path = script(tmp_path, verdict_reply(False, f"The issue pasted a key {KEY}; also the diff is wrong."))
    async with scripted(path, []) as proxy:
        verdict = await proxy.decide(request(passing_report()))
    assert KEY not in verdict.reason and REDACTED in verdict.reason


# ------------------------------------------------------------------ prompt


def test_prompt_holds_the_evidence() -> None:
    before = run((FAILING, Outcome.FAILED, ASSERT_MESSAGE))
    req = request(passing_report(), reproduction_before=before, reproduction_after=run((FAILING, Outcome.PASSED)),
                  attempt=3)
    system, user = build_prompt(req, assess(req), context_tokens=4096)
    assert system.role == "system" and "calling the tool `verdict` once" in system.content and "special-cases" in system.content
    text = user.content
    assert "BulkDiscount does not apply at exactly min_quantity" in text
    assert f"Proposal p1: a rewrite of {APPLIES_TO}, attempt 3." in text
    assert "+        return quantity >= self.min_quantity" in text
    assert "check shop/discounts.py::BulkDiscount.applies_to (v1 -> v2): OK" in text
    assert "note [tests] 2 passed" in text
    assert f"before (on the base): 1 failed\n  FAILED {FAILING}: assert False" in text
    assert "after (with this change): 1 passed" in text
    assert "$" not in text.replace("$ ", "")  # every placeholder filled
    final = build_prompt(request(passing_report(), final=True, symbol_id=""), assess(req), context_tokens=4096)
    assert "The final acceptance of the whole patch of run 20261112-153012-a1b2c3" in final[1].content


@pytest.mark.parametrize("context", [4096, 8192])
def test_a_huge_proposal_is_cut_to_fit_the_window_with_visible_markers(context: int) -> None:
    diff = "".join(f"+    value_{n} = compute({n})  # {'x' * 40}\n" for n in range(3000))
    issue = "Traceback:\n" + "".join(f'  File "lib/mod{n}.py", line {n}, in f{n}\n' for n in range(800))
    failing = tuple((f"tests/test_m.py::test_{n}", Outcome.FAILED, ASSERT_MESSAGE) for n in range(200))
    report = hand_built(tests=("failed", "200 failed"), test_run=run(*failing))
    req = request(report, diff=diff, issue=issue, rationale="because " * 2000 + "\n" + "z" * 5000)
    system, user = build_prompt(req, assess(req), context_tokens=context)
    reserve = budgets_for(context)["proxy_user"].reply
    used = count_tokens(system.content) + count_tokens(user.content) + count_tokens(json.dumps(VERDICT_TOOL.parameters))
    assert used <= context - reserve
    issue_part, _, rest = user.content.partition("Agent's rationale:")
    diff_part = rest.partition("Diff:")[2].partition("Checks:")[0]
    assert "lines omitted)" in issue_part and "lines omitted)" in diff_part
    assert "chars cut]" in user.content
    assert "value_0 = compute(0)" in user.content and "value_2999 = compute(2999)" in user.content


def test_digits_count_one_token_each() -> None:
    # Qwen's tokenizer splits numbers into digits: bytes / 2.8 under-counts numeric text.
    numeric = "value_2999 = compute(2999, scale=2.5)  # step 2999\n" * 10
    assert count_tokens(numeric) > estimate_tokens(numeric) * 1.3
    prose = "The comparison must be inclusive at the threshold.\n"
    assert count_tokens(prose) == estimate_tokens(prose)
    assert count_tokens("") == 0 and count_tokens("7") >= 1


def test_share_out_gives_spare_room_to_the_hungry_parts() -> None:
    limits = share_out(1000, {"issue": 10, "rationale": 5, "diff": 5000, "checks": 50, "rules": 20, "reproduction": 30})
    assert (limits["issue"], limits["rationale"], limits["checks"]) == (10, 5, 50)
    assert limits["diff"] == 420 + (130 + 55 + 130 + 60 + 90)  # its share plus everything the others left
    assert sum(limits.values()) == 1000
    both = share_out(1000, {"issue": 500, "rationale": 0, "diff": 5000, "checks": 0, "rules": 0, "reproduction": 0})
    assert both["issue"] + both["diff"] <= 1000 and both["diff"] > both["issue"] > 140


def test_fit_keeps_short_text_and_marks_cuts() -> None:
    assert fit("short\ntext\n", 100) == "short\ntext"
    cut = fit("a" * 2000, 1000)
    assert cut.startswith("a" * 400) and cut.endswith("[1600 chars cut]")


def test_the_prompt_file_is_package_data_with_both_parts() -> None:
    system, template = prompt_template()
    assert system and "$diff" in template.template and "$issue" in template.template
    assert "=== user ===" not in system


# -------------------------------------------------- real wire, loopback


async def test_openai_compatible_reviewer_on_loopback_with_a_real_report(
    python_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    async with open_session(python_repo, servers=False, test_timeout=120) as session:
        base = await session.pipeline.baseline([FAILING])
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1)
    monkeypatch.setenv("REVIEWER_API_KEY", KEY)
    reason = f"Correct: >= applies the discount at the threshold. (key seen: {KEY})"
    body = ow.completion("", ow.tool_call("Zk3pQ0", "verdict", {"approved": True, "reason": reason}),
                         finish_reason="stop")
    seen: list[Received] = []

    def handler(received: Received) -> Respond:
        seen.append(received)
        return ow.invalid_request(received) or Respond(200, body)  # type: ignore[return-value]

    log_path = tmp_path / "runs.sqlite3"
    runlog = RunLog.open(log_path)
    run_id = runlog.create_run(repo=python_repo, issue_text=ISSUE)
    async with serve(handler) as server:
        config = parse_config(
            {"models": {"reviewer": {"provider": "openai-compatible", "model": "qwen2.5-coder-1.5b-instruct",
                                     "base_url": server.url + "/v1", "api_key_env": "REVIEWER_API_KEY"}},
             "proxy": {"context_tokens": 4096}},
            env={},
        )
        async with model_for("reviewer", config, observers=[runlog.call_recorder(run_id)]) as model:
            proxy = make_proxy("llm", config=config, model=model)
            verdict = await proxy.decide(request(report, run_id=run_id, reproduction_before=base))
    assert verdict.approved and verdict.policy == "llm:openai-compatible:qwen2.5-coder-1.5b-instruct"
    assert KEY not in verdict.reason and REDACTED in verdict.reason
    # Through the run log as the run driver records it: no key anywhere on disk.
    runlog.record_proposal(run_id, proposal_id="p1", symbol_id=APPLIES_TO, base_version=1, new_source=FIX,
                           rationale="off by one")
    runlog.record_check_report(run_id, "p1", report.to_json(), report.ok)
    runlog.record_verdict(run_id, "p1", "approved", verdict.reason, verdict.policy)
    assert [(c.call.role, c.call.ok) for c in runlog.model_calls(run_id)] == [("reviewer", True)]
    runlog.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("runs.sqlite3*"))
    assert b"Correct: >= applies the discount" in stored and KEY.encode() not in stored
    sent = seen[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"  # the key goes to the provider, and only there
    payload = sent.json()
    assert payload["tool_choice"] == "required" and [t["function"]["name"] for t in payload["tools"]] == ["verdict"]
    assert payload["max_tokens"] == budgets_for(4096)["proxy_user"].reply and payload["temperature"] == 0.0
    user = payload["messages"][1]["content"]
    assert "now passing: tests/test_discounts.py::test_bulk_discount_applies_at_threshold" in user
    assert KEY not in user


def test_messages_are_plain_chat_messages() -> None:
    req = request(passing_report())
    messages = build_prompt(req, assess(req), context_tokens=4096)
    assert all(isinstance(m, ChatMessage) for m in messages) and [m.role for m in messages] == ["system", "user"]


def test_the_final_prompt_shows_the_outstanding_work() -> None:
    rejected = Outstanding("src/app.py::Blueprint.add_url_rule", "rejected", "rejected: [tests] regression")
    gave_up = Outstanding("src/app.py::Blueprint.route", "gave_up", "nothing to change here")
    req = request(passing_report(), final=True, symbol_id="", outstanding=(rejected, gave_up))
    _, user = build_prompt(req, assess(req), context_tokens=4096)
    text = user.content
    assert "outstanding: src/app.py::Blueprint.add_url_rule (latest proposal rejected: rejected: [tests] regression)" in text
    assert "outstanding: src/app.py::Blueprint.route (gave up: nothing to change here)" in text
    assert "[outstanding] 1 symbol(s) whose latest proposal stands rejected" in text
