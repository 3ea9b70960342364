"""A symbol too large to regenerate whole is worked on through its members."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from swarm.local_model.prompt_budget import estimate_tokens
from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.run import RunRequest, run_swarm
from tests.conftest import git
from tests.swarm.scenario_runs import kinds, open_log, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
METHODS = 120


def big_class() -> str:
    lines = ["class BigTable:", '    """A wide table of small computations."""', ""]
    for i in range(METHODS):
        body = "return x + 7" if i == 7 else f"return x * 2 + {i} - {i}"
        doc = "twice x" if i == 7 else f"twice x (variant {i})"
        lines += [f"    def cell_{i}(self, x: int) -> int:", f'        """Cell {i}: {doc}."""', f"        {body}", ""]
    return "\n".join(lines)


@pytest.fixture
def big_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "big"
    (repo / "tests").mkdir(parents=True)
    (repo / "big.py").write_text(big_class())
    (repo / "pyproject.toml").write_text('[project]\nname = "big"\nversion = "0"\n[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (repo / "tests/test_big.py").write_text("from big import BigTable\n\n\ndef test_cell_1() -> None:\n    assert BigTable().cell_1(3) == 6\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "big")
    return repo


async def test_a_large_class_is_fixed_through_its_method(big_repo: Path) -> None:
    assert estimate_tokens(big_class()) > 4000  # larger than the default limit
    config = scripted_config("large_class.toml")
    outcome = await run_swarm(
        RunRequest(repo=big_repo, issue="BigTable.cell_7(3) returns 10, its doc says twice x (6).", config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "accepted", outcome.reason
    removed = [line for line in outcome.patch.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == ["-        return x + 7"]  # one line of the class changed, nothing else
    assert "+        return x * 2" in outcome.patch
    with open_log(big_repo) as log:
        tasks = kinds(log.transcript(outcome.run_id), MessageKind.TASK)
    assert [t.recipient for t in tasks] == ["big.py::BigTable.cell_7"]  # the class itself never got a task
    text = (outcome.worktree / "big.py").read_text()
    assert text.count("def cell_") == METHODS
    assert subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=outcome.worktree).returncode == 0
