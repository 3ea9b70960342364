"""Multi-candidate selection on the bundled examples: is the chosen patch the best one?

    python -m bench.select

For each example (python_shop, rust_ledger) a scripted set of candidates
stands in for K swarm runs: a plausible fix that breaks a guarded test, the
right fix, the right fix again with comments and formatting changed, a patch
against stale text, one that does not parse, and a second correct fix
spelled differently (a tie the scripted reviewer breaks). The right fix
writes a reproduction test, as a run does. Every distinct candidate is then
"graded" by the example's hidden test plus its whole suite.

Prints one JSON line: how often the selected candidate is the best
available, against the baseline of the same run (taking the first
candidate), and what the selection cost (test runs, seconds).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from swarm.config import parse_config
from swarm.evaluation.candidate_tests import CheckoutBench
from swarm.evaluation.candidates import Candidate
from swarm.evaluation.selection import ModelReviewer, select_candidate
from swarm.models.providers import model_for

ROOT = Path(__file__).resolve().parent.parent
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**GIT_ENV, "HOME": str(repo)}).stdout


@dataclass(frozen=True)
class Example:
    name: str
    target: str
    bug: str
    variants: dict[str, str]  # name -> replacement of `bug`
    order: tuple[str, ...]
    repro_path: str
    repro: str
    hidden: str  # the test that must pass for the instance to count as resolved
    tie_winner: str  # the variant the scripted reviewer votes for


EXAMPLES = (
    Example(
        "python_shop", "shop/discounts.py", "        return quantity > self.min_quantity\n",
        {
            "off_by_one": "        return quantity >= self.min_quantity - 1\n",
            "good": "        return quantity >= self.min_quantity\n",
            "good_reformatted": "        # the threshold itself qualifies\n        return (quantity >=\n                self.min_quantity)\n",
            "stale": "STALE",
            "does_not_parse": "        return quantity >= \n",
            "also_good": "        return not quantity < self.min_quantity\n",
        },
        ("off_by_one", "good", "good_reformatted", "stale", "does_not_parse", "also_good"),
        "tests/test_repro_bulk.py",
        "from shop.discounts import BulkDiscount\n\n\ndef test_bulk_applies_at_its_threshold():\n"
        "    assert BulkDiscount(min_quantity=3, pct=10).applies_to(3)\n",
        "tests/test_discounts.py::test_bulk_discount_applies_at_threshold",
        "good",
    ),
    Example(
        "rust_ledger", "src/ledger.rs", "        if balance <= amount {\n",
        {
            "never_refuses": "        if balance < amount - amount {\n",
            "good": "        if balance < amount {\n",
            "good_reformatted": "        // an account may be emptied\n        if balance<amount\n        {\n",
            "stale": "STALE",
            "does_not_parse": "        if balance < {\n",
            "also_good": "        if amount > balance {\n",
        },
        ("never_refuses", "good", "good_reformatted", "stale", "does_not_parse", "also_good"),
        "tests/repro_empty.rs",
        "use ledger::Ledger;\n\n#[test]\nfn repro_transfer_of_the_whole_balance() {\n"
        "    let mut l = Ledger::new();\n    let a = l.open(\"a\", 100);\n    let b = l.open(\"b\", 0);\n"
        "    l.transfer(a, b, 100).unwrap();\n    assert_eq!(l.balance(a).unwrap(), 0);\n}\n",
        "tests/transfers.rs::transfer_can_empty_an_account",
        "good",
    ),
)


def make_repo(into: Path, example: str) -> Path:
    repo = into / example
    shutil.copytree(ROOT / "examples" / example, repo,
                    ignore=shutil.ignore_patterns("target", "__pycache__", ".pytest_cache", ".swarm"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def variant_patch(repo: Path, example: Example, name: str) -> str:
    path = repo / example.target
    original = path.read_text()
    replacement = example.variants[name]
    if replacement == "STALE":  # the right fix, made against text the base does not have
        path.write_text(original.replace(example.bug, example.variants["good"]))
        patch = git(repo, "diff", "--no-color")
        path.write_text(original)
        return patch.replace(example.bug.rstrip("\n"), example.bug.rstrip("\n") + " /* stale */")
    path.write_text(original.replace(example.bug, replacement))
    try:
        return git(repo, "diff", "--no-color")
    finally:
        path.write_text(original)


def reviewer(script_dir: Path, label: str) -> ModelReviewer:
    script = script_dir / "reviewer.toml"
    script.write_text(
        '[[reply]]\nrole = "reviewer"\nrepeat = true\n[[reply.tool_calls]]\nname = "choose_patch"\n'
        f'arguments = {{ label = "{label}", reason = "the plainest comparison" }}\n'
    )
    config = parse_config({"models": {"provider": "scripted", "model": str(script)}}, env={})
    return ModelReviewer(model_for("reviewer", config, env={}))


def reader(repo: Path) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        done = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else None

    return read


async def resolves(bench: CheckoutBench, patch: str, hidden: str) -> bool:
    """The example's grader: the hidden test and the whole suite pass."""
    if not patch.strip():
        return False
    try:
        hidden_run = await bench.run(patch, {}, [hidden])
        suite = await bench.run(patch, {}, [])
    except Exception:  # noqa: BLE001 - a patch that cannot be applied resolves nothing
        return False
    return hidden_run.ok and suite.ok


async def one(example: Example, work: Path) -> dict[str, object]:
    repo = make_repo(work, example.name)
    labels = {name: f"c{n}" for n, name in enumerate(example.order, start=1)}
    candidates = [
        Candidate(labels[name], f"scripted:{name}", variant_patch(repo, example, name), run_id=f"run-{labels[name]}",
                  tests={example.repro_path: example.repro} if name == "good" else {})
        for name in example.order
    ]
    python = sys.executable
    bench = CheckoutBench(repo, git(repo, "rev-parse", "HEAD").strip(), python=python, timeout=600)
    started = time.perf_counter()
    selection = await select_candidate(
        candidates, issue=(repo / "ISSUE.md").read_text(), read_base=reader(repo), bench=bench,
        reviewer=reviewer(work, labels[example.tie_winner]) if example.tie_winner else None,
    )
    select_s = time.perf_counter() - started
    runs = bench.runs
    grades = {c.label: await resolves(bench, c.patch, example.hidden) for c in candidates}
    bench.close()
    chosen = selection.chosen.label if selection.chosen else None
    best_available = any(grades.values())
    return {
        "example": example.name,
        "candidates": len(candidates),
        "dropped": sum(1 for c in selection.checks if not c.usable),
        "groups": [list(g.labels) for g in selection.groups],
        "chosen": chosen,
        "chosen_name": next((n for n, lbl in labels.items() if lbl == chosen), None),
        "resolving": sorted(label for label, ok in grades.items() if ok),
        "selected_is_best": bool(chosen and grades.get(chosen)) or not best_available,
        "baseline_first_is_best": grades[candidates[0].label] or not best_available,
        "select_s": round(select_s, 2),
        "test_runs": runs,
        "reason": selection.reason,
    }


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-select-") as tmp:
        rows = [await one(example, Path(tmp)) for example in EXAMPLES]
    chosen_best = sum(1 for r in rows if r["selected_is_best"])
    baseline_best = sum(1 for r in rows if r["baseline_first_is_best"])
    print(json.dumps({
        "examples": len(rows),
        "selected_is_best": chosen_best,
        "baseline_first_candidate_is_best": baseline_best,
        "best_rate_ratio_vs_baseline": round(chosen_best / baseline_best, 2) if baseline_best else None,
        "rows": rows,
    }))


if __name__ == "__main__":
    trio.run(main)
