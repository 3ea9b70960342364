"""The `llm` policy: the reviewer model decides, after the automatic rules.

    proxy = LlmProxy(model_for("reviewer", config), settings=ProxySettings.from_config(config))
    verdict = await proxy.decide(request)

The auto rules run first: a proposal that fails one (syntax, introduced
errors, a test regression, a reproduction that must pass) is rejected
without calling the model, which saves tokens (`[proxy] llm_prefilter =
false` asks the model anyway). Otherwise the model gets one compact prompt
(swarm/prompts/reviewer.md) that fits the reviewer's context window, and
must answer through the `verdict` tool. A malformed answer gets the model
layer's repair round; still malformed, the proposal is rejected with a
reason that says the reviewer failed: nothing is ever approved by default.
Other model errors (provider down, budget spent) are raised for the run
driver to handle.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
from collections.abc import Callable, Mapping
from string import Template
from typing import Any

from swarm.local_model.prompt_budget import BYTES_PER_TOKEN, budgets_for, estimate_tokens, fit_lines
from swarm.models.errors import MalformedToolCall
from swarm.protocols import ApprovalRequest, ChatMessage, Model, ToolSpec, Verdict
from swarm.proxy.auto import Assessment, assess, first_line
from swarm.proxy.settings import ProxySettings
from swarm.redact import Redactor

PROMPT_FILE = "prompts/reviewer.md"
USER_MARKER = "=== user ==="
# A line longer than this is cut (minified code, a base64 blob): one line
# must not eat the budget that fit_lines shares out by lines.
MAX_LINE_CHARS = 400
MAX_REASON_CHARS = 1000

VERDICT_TOOL = ToolSpec(
    name="verdict",
    description="Approve or reject the proposed change. Call exactly once.",
    parameters={
        "type": "object",
        "properties": {
            "approved": {"type": "boolean", "description": "true to let the change into the repository"},
            "reason": {
                "type": "string",
                "minLength": 1,
                "description": "one or two sentences; when rejecting, the concern the agent must address",
            },
        },
        "required": ["approved", "reason"],
        "additionalProperties": False,
    },
)


@functools.cache
def prompt_template() -> tuple[str, Template]:
    """The system prompt and the user message template of reviewer.md."""
    text = importlib.resources.files("swarm").joinpath(PROMPT_FILE).read_text(encoding="utf-8")
    system, marker, user = text.partition(USER_MARKER)
    if not marker:
        raise RuntimeError(f"swarm/{PROMPT_FILE} lacks the {USER_MARKER!r} line between system and user parts")
    return system.strip(), Template(user.strip())


class LlmProxy:
    """A reviewer model as the proxy user. `owns_model`: close the model in
    `aclose` (make_proxy builds it); otherwise the caller closes it."""

    def __init__(
        self,
        model: Model,
        *,
        settings: ProxySettings | None = None,
        owns_model: bool = False,
        redactor: Redactor | None = None,
    ) -> None:
        self.model = model
        self.settings = settings or ProxySettings()
        self.owns_model = owns_model
        # The model may echo a key pasted into an issue: verdicts never carry one.
        self.redactor = redactor or Redactor.from_environ()

    @property
    def name(self) -> str:
        return f"llm:{self.model.name}"

    async def aclose(self) -> None:
        closer = getattr(self.model, "aclose", None)
        if self.owns_model and closer is not None:
            await closer()

    async def __aenter__(self) -> LlmProxy:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def decide(self, request: ApprovalRequest) -> Verdict:
        assessment = assess(request, self.settings)
        if self.settings.llm_prefilter and not assessment.approved:
            return Verdict(
                False,
                "an automatic rule failed, so the reviewer model was not asked (saves tokens). " + assessment.reason(),
                self.name,
            )
        budget = budgets_for(self.settings.context_tokens)["proxy_user"]
        messages = build_prompt(request, assessment, context_tokens=self.settings.context_tokens)
        try:
            completion = await self.model.complete(
                messages, tools=(VERDICT_TOOL,), tool_choice=VERDICT_TOOL.name, temperature=0.0,
                max_tokens=budget.reply,
            )
        except MalformedToolCall as exc:
            reason = f"the reviewer failed to give a usable verdict, so the change is rejected unreviewed: {exc}"
            return Verdict(False, self._clean(reason), self.name)
        calls = [c for c in completion.message.tool_calls if c.name == VERDICT_TOOL.name]
        if not calls:  # the model layer enforces the forced call; a provider that slips past it still never approves
            return Verdict(False, "the reviewer gave no verdict, so the change is rejected unreviewed", self.name)
        return verdict_from(calls[0].arguments, self.name, self._clean)

    def _clean(self, text: str) -> str:
        text = self.redactor.scrub(" ".join(text.split()))
        return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def verdict_from(arguments: Mapping[str, Any], policy: str, clean: Callable[[str], str] = str) -> Verdict:
    """The Verdict of a validated `verdict` call (the schema guarantees the
    types; a blank reason still gets words)."""
    approved = bool(arguments["approved"])
    reason = clean(str(arguments["reason"])).strip()
    if not reason:
        reason = "the reviewer approved without giving a reason" if approved else "the reviewer rejected without a reason"
    return Verdict(approved, reason, policy)


# Shares of the room left for the evidence once the system prompt, the tool
# and the template are counted; a part that needs less gives the rest away.
SHARES: Mapping[str, float] = {
    "issue": 0.14, "rationale": 0.06, "diff": 0.42, "checks": 0.18, "rules": 0.08, "reproduction": 0.12,
}
# Chat template tokens around two messages and a tool definition.
TEMPLATE_OVERHEAD_TOKENS = 40


def build_prompt(request: ApprovalRequest, assessment: Assessment, *, context_tokens: int) -> tuple[ChatMessage, ...]:
    """The system and user messages for one request, fitted to the context
    window less the reply's reserve; every cut is marked ("lines omitted")."""
    system, template = prompt_template()
    if request.final:
        what = f"The final acceptance of the whole patch of run {request.run_id} (proposal {request.proposal_id})"
    else:
        what = f"Proposal {request.proposal_id}: a rewrite of {request.symbol_id}"
    parts = {
        "issue": request.issue.strip() or "(no issue text)",
        "rationale": request.rationale.strip() or "(none given)",
        "diff": request.diff.strip("\n") or "(empty: the change does nothing)",
        "checks": request.report.render() + "".join(f"\n  outstanding: {o.describe()}" for o in request.outstanding),
        "rules": _rules(assessment),
        "reproduction": _reproduction(request),
    }
    fixed = (
        count_tokens(system)
        + count_tokens(template.safe_substitute({name: "" for name in parts}, what=what, attempt=request.attempt))
        + count_tokens(json.dumps(VERDICT_TOOL.parameters))
        + TEMPLATE_OVERHEAD_TOKENS
    )
    room = budgets_for(context_tokens)["proxy_user"].prompt - fixed
    limits = share_out(room, {name: count_tokens(text) for name, text in parts.items()})
    user = template.substitute({name: fit(text, limits[name]) for name, text in parts.items()},
                               what=what, attempt=request.attempt)
    return (ChatMessage("system", system), ChatMessage("user", user))


def share_out(room: int, needs: Mapping[str, int]) -> dict[str, int]:
    """Token limits per part: each gets its share of `room`; what a part
    does not need goes to the parts that need more, by their shares."""
    limits = {name: int(room * SHARES[name]) for name in needs}
    spare = sum(limits[name] - needs[name] for name in needs if needs[name] < limits[name])
    hungry = {name: SHARES[name] for name in needs if needs[name] > limits[name]}
    for name in needs:
        if needs[name] < limits[name]:
            limits[name] = needs[name]
    total = sum(hungry.values())
    for name, share in hungry.items():
        limits[name] = min(needs[name], limits[name] + int(spare * share / total))
    return limits


def fit(text: str, max_tokens: int) -> str:
    """`text` cut to about `max_tokens` (estimated): over-long lines first,
    then whole lines from the middle, each cut marked where it happened."""
    lines = [
        line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + f" … [{len(line) - MAX_LINE_CHARS} chars cut]"
        for line in text.strip("\n").splitlines()
    ]
    return fit_lines("\n".join(lines), max_tokens, count=count_tokens)


def count_tokens(text: str) -> int:
    """A token estimate that stays on the safe side for digit-dense text.

    Qwen-style tokenizers split numbers one digit per token, so line numbers,
    ids and numeric data count far more than bytes / 2.8 (bench.proxy measured
    a 3000-line numeric diff at 1.27x that estimate). Digits count one each,
    the rest as `estimate_tokens` does."""
    digits = sum(ch.isdigit() for ch in text)
    return digits + estimate_tokens(text) - math.floor(digits / BYTES_PER_TOKEN)


def _rules(assessment: Assessment) -> str:
    lines = [f"FAILED {f.describe()}" for f in assessment.failures]
    lines += [f"note {f.describe()}" for f in assessment.notes]
    return "\n".join(lines) or "every rule passed"


def _reproduction(request: ApprovalRequest) -> str:
    runs = (("before (on the base)", request.reproduction_before), ("after (with this change)", request.reproduction_after))
    lines: list[str] = []
    for label, run in runs:
        if run is None:
            lines.append(f"{label}: not run")
            continue
        lines.append(f"{label}: {run.summary()}")
        for result in run.failures()[:3]:
            lines.append(f"  {result.outcome.value.upper()} {result.node_id}: {first_line(result.message)}")
    return "\n".join(lines)
