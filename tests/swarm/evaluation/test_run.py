from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest

from swarm.config import parse_config
from swarm.evaluation.errors import EvaluationError
from swarm.evaluation.executors import open_executor
from swarm.evaluation.predictions import read_predictions
from swarm.evaluation.run import BenchJob, InstanceRun, RunSettings, done_ids, run_batch, run_job
from swarm.evaluation.swarm_solver import candidate_configs, model_label, split_tests
from tests.swarm.evaluation.conftest import FIXED, TinyRepo


def _settings(tiny: TinyRepo, tmp_path: Path, **extra: object) -> RunSettings:
    fields: dict[str, object] = {"mode": "oracle", "servers": False, "test_timeout": 120, **extra}
    return RunSettings(mirrors=tiny.mirrors, out=tmp_path / "out" / "preds.jsonl", **fields)  # type: ignore[arg-type]


def test_a_batch_writes_predictions_and_run_records_and_resumes(tiny: TinyRepo, tmp_path: Path) -> None:
    good = tiny.instance("acme__tiny-1")
    new_file = tiny.instance("acme__tiny-2", gold={"tiny/__init__.py": FIXED, "tiny/extra.py": "X = 1\n"})
    settings = _settings(tiny, tmp_path)
    seen: list[tuple[str, int, int]] = []
    with open_executor("local", workers=1) as executor:
        summary = run_batch([good, new_file], settings, executor=executor,
                            on_result=lambda r, done, total: seen.append((r.instance_id, done, total)))
    assert summary["ran"] == 2 and summary["statuses"] == {"accepted": 1, "not_expressible": 1}
    assert sorted(s[0] for s in seen) == ["acme__tiny-1", "acme__tiny-2"] and seen[-1][1:] == (2, 2)
    predictions = read_predictions(settings.out)
    # Only the instance that produced a patch has a prediction: the other is retried on resume.
    assert list(predictions) == ["acme__tiny-1"]
    assert predictions["acme__tiny-1"].model_name_or_path == "oracle"
    assert "return a + b" in (predictions["acme__tiny-1"].model_patch or "")
    runs = [json.loads(line) for line in settings.runs_path.read_text().splitlines()]
    assert settings.runs_path.name == "preds.runs.jsonl"
    by_id = {r["instance_id"]: r for r in runs}
    assert by_id["acme__tiny-1"]["run_ids"][0]  # the swarm run's id, for `swarm runs` / `swarm replay`
    assert by_id["acme__tiny-1"]["details"]["matches_gold"] == "same"
    assert by_id["acme__tiny-1"]["details"]["steps"][0]["stages"]["approval"]["status"] == "approved"
    assert by_id["acme__tiny-1"]["timings"]["checkout"] >= 0 and "solve" in by_id["acme__tiny-1"]["timings"]
    assert by_id["acme__tiny-2"]["status"] == "not_expressible" and "new file" in by_id["acme__tiny-2"]["reason"]

    with open_executor("local", workers=1) as executor:
        again = run_batch([good, new_file], settings, executor=executor)
    assert again["skipped"] == 1 and again["ran"] == 1
    assert done_ids(settings.out) == {"acme__tiny-1"}


def test_oracle_direct_mode_uses_the_pipeline_alone(tiny: TinyRepo, tmp_path: Path) -> None:
    result = run_job(BenchJob(tiny.instance("acme__tiny-1"), _settings(tiny, tmp_path, mode="oracle-direct")))
    assert result.status == "accepted" and result.model_name_or_path == "oracle"
    assert result.run_ids[0].startswith("oracle-") and "approval" not in result.details["steps"][0]["stages"]


def test_one_failing_instance_is_a_record_not_a_crash(tiny: TinyRepo, tmp_path: Path) -> None:
    broken = tiny.instance("acme__tiny-3")
    broken = type(broken)(**{**{f: getattr(broken, f) for f in broken.__dataclass_fields__}, "base_commit": "0" * 40})
    result = run_job(BenchJob(broken, _settings(tiny, tmp_path)))
    assert isinstance(result, InstanceRun)
    assert result.status == "error" and "cannot check out" in result.reason and result.patch is None


def test_swarm_mode_without_the_run_driver_says_what_to_do(tiny: TinyRepo, tmp_path: Path) -> None:
    if importlib.util.find_spec("swarm.run") is None:
        result = run_job(BenchJob(tiny.instance("acme__tiny-1"), _settings(tiny, tmp_path, mode="swarm")))
        assert result.status == "error" and "swarm.run.run_swarm) is not in this build" in result.reason
    else:
        assert hasattr(importlib.import_module("swarm.run"), "run_swarm")


def test_an_unknown_mode_is_refused(tiny: TinyRepo, tmp_path: Path) -> None:
    with open_executor("local", workers=1) as executor, pytest.raises(EvaluationError, match="unknown mode"):
        run_batch([], _settings(tiny, tmp_path, mode="psychic"), executor=executor)


def test_candidate_configs_vary_models_or_temperatures() -> None:
    config = parse_config({"models": {"provider": "openai", "model": "gpt-4.1"}}, env={})
    plain = candidate_configs(config, 3)
    assert [c.for_role("symbol_agent").temperature for c in plain] == [0.0, 0.2, 0.4]
    assert all(c.for_role("reviewer").temperature is None for c in plain)  # the reviewer votes; it keeps its settings
    assert model_label(plain[0]) == "openai:gpt-4.1"
    varied = parse_config(
        {"models": {"provider": "openai", "model": "gpt-4.1"},
         "bench": {"candidate_models": ["anthropic:claude-sonnet-4-5", "openai:gpt-4.1-mini"],
                   "candidate_temperatures": [0.0, 0.7, 1.0]}},
        env={},
    )
    configs = candidate_configs(varied, 3)
    assert [c.for_role("coordinator").spec for c in configs] == [
        "anthropic:claude-sonnet-4-5", "openai:gpt-4.1-mini", "anthropic:claude-sonnet-4-5"]
    assert [c.for_role("symbol_agent").temperature for c in configs] == [0.0, 0.7, 1.0]


def test_split_tests_takes_the_reproduction_files_a_run_wrote() -> None:
    patch = (
        "diff --git a/pkg/a.py b/pkg/a.py\n--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1 @@\n-x\n+y\n"
        "diff --git a/tests/test_repro.py b/tests/test_repro.py\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/tests/test_repro.py\n@@ -0,0 +1 @@\n+def test_r(): pass\n"
    )
    kept, tests = split_tests(patch, {"tests/test_repro.py": "def test_r(): pass\n"}.get)
    assert kept == patch and tests == {"tests/test_repro.py": "def test_r(): pass\n"}


@pytest.mark.slow
def test_a_batch_runs_on_ray_too(tiny: TinyRepo, tmp_path: Path) -> None:
    settings = _settings(tiny, tmp_path, mode="oracle-direct")
    with open_executor("ray", workers=1) as executor:
        summary = run_batch([tiny.instance("acme__tiny-1")], settings, executor=executor)
    assert summary["statuses"] == {"accepted": 1}
    assert list(read_predictions(settings.out)) == ["acme__tiny-1"]
