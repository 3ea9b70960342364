from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio

from swarm.evaluation.gold_plan import plan_patch
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instance_env import prepare_interpreter
from swarm.evaluation.mirrors import clone_at
from swarm.evaluation.oracle import OracleStep, compare_with_gold, gold_plan, run_oracle
from swarm.evaluation.patches import diff
from tests.swarm.evaluation.conftest import BUGGY, FIXED, TinyRepo

pytestmark = pytest.mark.anyio

# A second function whose fix touches the module too: an import and a constant.
GOLD_WITH_MODULE = "import math\n\nSCALE = 1\n\n" + FIXED.replace("def zero():\n    return 0", "def zero():\n    return math.floor(0.5)")


def _checkout(tiny: TinyRepo, tmp_path: Path) -> Path:
    return clone_at(tiny.mirrors, tiny.repo, tiny.base_commit, tmp_path / "checkout")


async def test_the_gold_patch_goes_through_the_check_pipeline(tiny: TinyRepo, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-1", gold={"tiny/__init__.py": GOLD_WITH_MODULE})
    checkout = _checkout(tiny, tmp_path)
    seen: list[OracleStep] = []
    outcome = await run_oracle(instance, checkout, python=sys.executable, servers=False, test_timeout=120, on_step=seen.append)
    assert outcome.status == "accepted", outcome.reason
    assert [s.op.describe() for s in outcome.steps] == [
        "rewrite tiny/__init__.py::<module>",
        "rewrite tiny/__init__.py::add",
        "rewrite tiny/__init__.py::zero",
    ]
    assert seen == list(outcome.steps)
    assert outcome.matches_gold == "same" and "every check passed" in outcome.reason
    first = outcome.steps[0]
    assert first.stages["syntax"]["status"] == "passed"
    assert first.stages["diagnostics"]["status"] == "skipped"  # servers=False
    assert first.stages["tests"]["status"] == "passed"  # the package's own tests, selected for add
    assert (checkout / "tiny/__init__.py").read_text() == GOLD_WITH_MODULE
    assert outcome.patch == diff(checkout)
    record = outcome.to_json()
    assert record["ops"] == record["ops_ok"] == record["ops_clean"] == 3 and record["check_pipeline_s_mean"] > 0
    assert record["baseline_s"] > 0
    assert outcome.run_id.startswith("oracle-")


async def test_a_patch_that_breaks_a_guarded_test_shows_the_regression(tiny: TinyRepo, tmp_path: Path) -> None:
    # The "gold" here breaks zero(), whose test passed on the base: the baseline makes it a regression.
    instance = tiny.instance("acme__tiny-1", gold={"tiny/__init__.py": BUGGY.replace("return 0", "return 1")})
    outcome = await run_oracle(instance, _checkout(tiny, tmp_path), python=sys.executable, servers=False, test_timeout=120)
    [step] = outcome.steps
    assert step.applied and not step.ok and not step.clean
    assert step.regressions == ("tests/test_tiny.py::test_zero",)
    assert step.failures[0].startswith("tests/test_tiny.py::test_zero: ")
    assert "1 with a new error or a regression" in outcome.reason


@pytest.mark.slow
async def test_diagnostics_come_from_a_warm_pyright(tiny: TinyRepo, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-1")
    outcome = await run_oracle(instance, _checkout(tiny, tmp_path), python=sys.executable, servers=True, test_timeout=120)
    assert outcome.status == "accepted", outcome.reason
    [step] = outcome.steps
    assert step.stages["diagnostics"]["status"] == "passed", step.stages["diagnostics"]


async def test_a_new_file_is_not_expressible_and_says_so(tiny: TinyRepo, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-2", gold={"tiny/__init__.py": FIXED, "tiny/extra.py": "X = 1\n"})
    outcome = await run_oracle(instance, _checkout(tiny, tmp_path), servers=False)
    assert outcome.status == "not_expressible" and outcome.patch == ""
    assert outcome.problems == ("tiny/extra.py: a new file: the Workspace edits symbols of existing files only",)


def test_gold_plan_reads_the_checkout(tiny: TinyRepo, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-1")
    plan = gold_plan(instance, _checkout(tiny, tmp_path))
    assert [op.describe() for op in plan.ops] == ["rewrite tiny/__init__.py::add"]
    assert plan.post_images == {"tiny/__init__.py": FIXED}
    again = plan_patch(instance.patch, {"tiny/__init__.py": BUGGY}.get, {"tiny/__init__.py": FIXED}.get)
    assert again.ops == plan.ops


def test_compare_with_gold(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    assert compare_with_gold(tmp_path, {"a.py": "def f():\n    return 1\n\n\n"}) == "same"
    assert compare_with_gold(tmp_path, {"a.py": "def f():  # one\n    return (1)\n"}) == "equivalent"
    assert compare_with_gold(tmp_path, {"a.py": "def f():\n    return 2\n"}) == "differs"
    assert compare_with_gold(tmp_path, {"missing.py": "X = 1\n"}) == "differs"


@pytest.mark.slow
async def test_the_instance_interpreter_runs_the_selected_tests(tiny: TinyRepo, settings: GradeSettings, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-1", gold={"tiny/__init__.py": GOLD_WITH_MODULE})
    checkout = _checkout(tiny, tmp_path)
    python = await trio.to_thread.run_sync(prepare_interpreter, instance, checkout, settings, tmp_path / "env.log")
    assert python.name == "python" and (python.parent.parent / "lib").is_dir()
    outcome = await run_oracle(instance, checkout, python=str(python), servers=False, test_timeout=120)
    assert outcome.status == "accepted", outcome.reason
    assert outcome.steps[0].stages["tests"]["status"] == "passed", outcome.steps[0].stages["tests"]
    # The interpreter imports the code of the directory it runs in (a run's worktree), not the
    # installed checkout: flat layouts through the current directory, src/ layouts through the .pth line.
    import subprocess

    for layout in ("flat", "src"):
        elsewhere = tmp_path / f"worktree-{layout}"
        package = elsewhere / ("src/tiny" if layout == "src" else "tiny")
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f"WHERE = {layout!r}\n")
        done = subprocess.run([str(python), "-c", "import tiny; print(tiny.WHERE)"],
                              cwd=elsewhere, capture_output=True, text=True)
        assert done.stdout.strip() == layout, done.stderr
