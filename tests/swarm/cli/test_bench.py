"""`swarm bench`: the command line over the grader, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.cli.main import main
from tests.swarm.evaluation.conftest import TinyRepo, env_cache, make_tiny_repo, wheelhouse

__all__ = ["env_cache", "wheelhouse"]  # session fixtures shared with tests/swarm/evaluation


@pytest.fixture
def tiny(tmp_path: Path) -> TinyRepo:
    return make_tiny_repo(tmp_path)


def write_instances(path: Path, tiny: TinyRepo, count: int) -> Path:
    lines = [json.dumps(tiny.instance(f"acme__tiny-{n}").as_swebench()) for n in range(1, count + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def offline_args(tiny: TinyRepo, wheelhouse: Path, env_cache: Path) -> list[str]:
    return ["--mirrors", str(tiny.mirrors), "--cache-dir", str(env_cache),
            "--find-links", str(wheelhouse), "--no-index", "--workers", "1"]


@pytest.mark.slow
def test_eval_grades_gold_writes_the_report_and_resumes(
    tiny: TinyRepo, wheelhouse: Path, env_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instances = write_instances(tmp_path / "instances.jsonl", tiny, 2)
    report = tmp_path / "out" / "gold.json"
    argv = ["bench", "eval", "--instances", str(instances), "--predictions", "gold",
            "--report", str(report), *offline_args(tiny, wheelhouse, env_cache)]

    assert main(argv) == 0
    out, err = capsys.readouterr()
    data = json.loads(report.read_text())
    assert (data["resolved"], data["total"]) == (2, 2)
    assert "resolved 2/2 (unresolved 0, error 0, not graded 0)" in out
    assert "[1/2] acme__tiny-" in err and "[2/2] acme__tiny-" in err
    logs = report.with_name("gold.logs") / "gold"
    assert sorted(p.name for p in logs.iterdir()) == ["acme__tiny-1", "acme__tiny-2"]

    assert main([*argv, "--ids", "acme__tiny-1"]) == 0
    out, err = capsys.readouterr()
    assert "grading 0 instance(s) (1 already in" in err
    assert "resolved 1/1" in out


@pytest.mark.slow
def test_eval_reads_prediction_files_and_takes_spec_overrides(
    tiny: TinyRepo, wheelhouse: Path, env_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instances = write_instances(tmp_path / "instances.jsonl", tiny, 1)
    predictions = tmp_path / "preds.jsonl"
    predictions.write_text(json.dumps({"instance_id": "acme__tiny-1", "model_name_or_path": "org/m",
                                       "model_patch": ""}) + "\n")
    overrides = tmp_path / "specs.toml"
    overrides.write_text('["acme/tiny"."*"]\ntest_cmd = "pytest -rA -p no:cacheprovider"\n')

    code = main(["bench", "eval", "--instances", str(instances), "--predictions", str(predictions),
                 "--spec-overrides", str(overrides), "--report", str(tmp_path / "r.json"),
                 *offline_args(tiny, wheelhouse, env_cache)])

    assert code == 0
    entry = json.loads((tmp_path / "r.json").read_text())["instances"]["acme__tiny-1"]
    assert entry["status"] == "unresolved" and entry["env"]["spec_source"] == "overrides"
    assert "pytest -rA -p no:cacheprovider tests/test_tiny.py" in Path(entry["log_path"]).read_text()


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "eval", "--instances", str(tmp_path / "none.jsonl"), "--predictions", "gold",
                 "--mirrors", str(tmp_path)])
    assert code == 1
    assert capsys.readouterr().err.strip() == f"swarm: error: instances file {tmp_path / 'none.jsonl'} does not exist"

    code = main(["bench", "eval", "--instances", "x.jsonl", "--predictions", "gold", "--mirrors", str(tmp_path / "nope")])
    assert code == 1
    assert "mirrors directory" in capsys.readouterr().err


def test_envs_lists_cached_environments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / "acme__tiny-1.0-abc"
    env.mkdir()
    (env / "swarm-env.json").write_text(json.dumps({
        "spec": {"repo": "acme/tiny", "version": "1.0"}, "python": "3.11.7", "build_seconds": 4.2, "note": "",
    }))

    assert main(["bench", "envs", "--cache-dir", str(tmp_path), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["key"], row["repo"], row["python"], row["build_seconds"]) == ("acme__tiny-1.0-abc", "acme/tiny", "3.11.7", 4.2)

    assert main(["bench", "envs", "--cache-dir", str(tmp_path / "empty")]) == 0
    assert "no environments in" in capsys.readouterr().out


def test_bench_without_a_command_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench"]) == 2
    assert "eval" in capsys.readouterr().out


def test_run_oracle_writes_predictions_resumes_and_grades(
    tiny: TinyRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instances = write_instances(tmp_path / "instances.jsonl", tiny, 2)
    out = tmp_path / "out" / "oracle.jsonl"
    argv = ["bench", "run", "--oracle-direct", "--instances", str(instances), "--mirrors", str(tiny.mirrors),
            "--out", str(out), "--no-env", "--no-servers", "--workers", "1", "--timeout", "120"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "running 2 instance(s) in oracle-direct mode (0 already in" in captured.err
    assert "[2/2] acme__tiny-" in captured.err and " accepted oracle-" in captured.err
    assert "ran 2 (accepted 2); skipped 0" in captured.out
    predictions = [json.loads(line) for line in out.read_text().splitlines()]
    assert {p["model_name_or_path"] for p in predictions} == {"oracle"}
    assert all("return a + b" in p["model_patch"] for p in predictions)
    assert len(out.with_name("oracle.runs.jsonl").read_text().splitlines()) == 2

    assert main(argv) == 0
    assert "ran 0 (nothing to run); skipped 2" in capsys.readouterr().out


def test_run_refuses_bad_combinations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["bench", "run", "--instances", str(tmp_path / "i.jsonl"), "--mirrors", str(tmp_path), "--out", str(tmp_path / "o.jsonl")]
    assert main([*base, "--oracle", "--candidates", "3"]) != 0
    assert "--oracle runs the gold patch once" in capsys.readouterr().err
    assert main([*base, "--candidates", "0"]) != 0
    assert "--candidates must be at least 1" in capsys.readouterr().err
