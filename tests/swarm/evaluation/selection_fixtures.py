"""Candidate patches of the python_shop example: good, duplicate, bad,
broken, stale; made with git in the example's fresh repo."""

from __future__ import annotations

from pathlib import Path

from swarm.evaluation.candidates import Candidate
from tests.conftest import git

TARGET = "shop/discounts.py"
BUG = "        return quantity > self.min_quantity\n"
REPRO = """\
from shop.discounts import BulkDiscount


def test_bulk_applies_at_its_threshold():
    assert BulkDiscount(min_quantity=3, pct=10).applies_to(3)
"""
VARIANTS = {
    "good": "        return quantity >= self.min_quantity\n",
    "good_reformatted": "        # the threshold itself qualifies\n        return (quantity >=\n                self.min_quantity)\n",
    "off_by_one": "        return quantity >= self.min_quantity - 1\n",
    "also_good": "        return not quantity < self.min_quantity\n",
    "does_not_parse": "        return quantity >= \n",
    "comment_only": "        return quantity > self.min_quantity  # strict\n",
}


def variant_patch(repo: Path, replacement: str) -> str:
    path = repo / TARGET
    original = path.read_text()
    path.write_text(original.replace(BUG, replacement))
    try:
        return git(repo, "diff", "--no-color")
    finally:
        path.write_text(original)


def stale_patch(repo: Path) -> str:
    """A patch made against text the base does not have."""
    return variant_patch(repo, VARIANTS["good"]).replace("return quantity > self", "return quantity >> self")


def shop_candidates(repo: Path, names: list[str]) -> list[Candidate]:
    out: list[Candidate] = []
    for number, name in enumerate(names, start=1):
        patch = stale_patch(repo) if name == "stale" else variant_patch(repo, VARIANTS[name])
        tests = {"tests/test_repro_bulk.py": REPRO} if name == "good" else {}
        out.append(Candidate(f"c{number}", f"scripted:{name}", patch, run_id=f"run-{number}", tests=tests))
    return out


def base_reader(repo: Path, commit: str = "HEAD"):
    def read(path: str) -> str | None:
        try:
            return git(repo, "show", f"{commit}:{path}")
        except Exception:
            return None

    return read
