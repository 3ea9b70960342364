"""What each participant sees: the first message of a task, built from the
workspace and sized for a small model's context (the symbol's own code
whole, neighbours as one line each, everything else only on request)."""

from __future__ import annotations

from swarm.local_model.prompt_budget import estimate_tokens, fit_lines
from swarm.prompts import render
from swarm.runner.state import RunState
from symbols.locate import locate
from symbols.model import Symbol
from symbols.repomap import repo_map

MAX_NEIGHBOURS = 6
CANDIDATES = 8
REPO_MAP_TOKENS = 500
ISSUE_TOKENS = 1200


def language_tag(symbol: Symbol) -> str:
    return "rust" if symbol.language == "rust" else "python"


def symbol_tokens(state: RunState, symbol_id: str) -> int:
    return estimate_tokens(state.workspace.read_symbol(symbol_id).text)


def is_large(state: RunState, symbol_id: str) -> bool:
    """Too large to regenerate in one reply: rewritten through its children instead."""
    return symbol_tokens(state, symbol_id) > state.limits.large_symbol_tokens


def _line(symbol: Symbol) -> str:
    return f"  {symbol.id}: {symbol.signature or symbol.kind.value}"


def uses(state: RunState, symbol: Symbol) -> list[Symbol]:
    """Repository definitions of the names the symbol's own code uses."""
    found: list[Symbol] = []
    seen = {symbol.id}
    index = state.workspace.index
    for name in symbol.references:
        for definition in index.definitions(name)[:2]:
            if definition.id not in seen and not definition.is_module and definition.parent != symbol.id:
                seen.add(definition.id)
                found.append(definition)
    return found[:MAX_NEIGHBOURS]


def used_by(state: RunState, symbol: Symbol) -> list[Symbol]:
    """Symbols whose own code names this one (by the index: fast and offline)."""
    return [
        s
        for s in state.workspace.index.symbols()
        if symbol.name in s.references and s.id != symbol.id and not s.is_module
    ][:MAX_NEIGHBOURS]


def neighbours_text(state: RunState, symbol: Symbol) -> str:
    parts = []
    called = uses(state, symbol)
    if called:
        parts.append("It uses:\n" + "\n".join(_line(s) for s in called))
    callers = used_by(state, symbol)
    if callers:
        parts.append("Used by:\n" + "\n".join(_line(s) for s in callers))
    return ("\n".join(parts) + "\n") if parts else ""


def reproduction_text(state: RunState) -> str:
    repro = state.reproduction
    if repro is None:
        return ""
    return f"Reproduction test (fails now, must pass after the fix): {repro.path}\n"


def symbol_task(state: RunState, symbol_id: str, sender: str, instruction: str) -> str:
    workspace = state.workspace
    symbol = workspace.symbol(symbol_id)
    large = is_large(state, symbol_id)
    view = workspace.read_symbol(symbol_id, max_chars=4 * state.limits.large_symbol_tokens if large else None)
    text = render(
        "symbol_task",
        sender=sender,
        instruction=instruction.strip(),
        path=symbol.path,
        lines=f"{view.start_line}-{view.end_line}, version {view.version}",
        language=language_tag(symbol),
        code=view.text,
        neighbours=neighbours_text(state, symbol),
        reproduction=reproduction_text(state),
    )
    if large:
        children = ", ".join(symbol.children[:12]) or "none"
        text += "\n\n" + render(
            "large_symbol", tokens=symbol_tokens(state, symbol_id), limit=state.limits.large_symbol_tokens, children=children
        )
    return text


def probe_answer_prompt(state: RunState, owner: str, asker: str, question: str) -> str:
    workspace = state.workspace
    symbol = workspace.symbol(owner)
    view = workspace.read_symbol(owner, max_chars=6000)
    return render(
        "probe_answer",
        symbol_id=owner,
        path=symbol.path,
        language=language_tag(symbol),
        code=view.text,
        asker=asker,
        question=question.strip()[:1000],
    )


def candidates_text(state: RunState, k: int = CANDIDATES) -> str:
    index = state.workspace.index
    lines = []
    for found in locate(index, state.issue, k):
        try:
            symbol = index.symbol(found.symbol_id)
        except Exception:  # noqa: BLE001 - a ranked id that vanished is simply left out
            continue
        lines.append(f"- {symbol.id}: {symbol.signature or symbol.kind.value}")
    return "\n".join(lines) or "(no candidates: search the code)"


def coordinator_task(state: RunState, lesson: str = "") -> str:
    index = state.workspace.index
    return render(
        "coordinator_task",
        issue=fit_lines(state.issue.strip(), ISSUE_TOKENS),
        candidates=candidates_text(state),
        repo_map=repo_map(index, focus=state.issue, tokens=REPO_MAP_TOKENS).strip() or "(empty)",
        lesson=("\n" + lesson.strip()) if lesson else "",
    )
