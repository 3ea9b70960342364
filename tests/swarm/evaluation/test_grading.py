"""Grading a tiny instance for real: cached venv, real pip, real pytest,
network blocked."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from swarm.evaluation.grading import GradeJob, GradeSettings, grade_job, instance_log_dir
from swarm.evaluation.predictions import Prediction
from swarm.evaluation.report import ERROR, RESOLVED, UNRESOLVED
from swarm.evaluation.specs import spec_for
from tests.swarm.evaluation.conftest import EXISTING_TESTS, NEW_TEST, TinyRepo

pytestmark = pytest.mark.slow


def job(tiny: TinyRepo, settings: GradeSettings, patch: str | None, *, model: str = "test-model", **kw) -> GradeJob:
    instance = tiny.instance("acme__tiny-1", **kw)
    return GradeJob(instance, Prediction(instance.instance_id, model, patch), spec_for(instance), settings)


def test_gold_patch_resolves(tiny: TinyRepo, settings: GradeSettings) -> None:
    gold = tiny.instance("acme__tiny-1").patch
    result = grade_job(job(tiny, settings, gold, model="gold"))

    assert result.status == RESOLVED, result.error
    assert result.resolution == "RESOLVED_FULL"
    assert result.patch_successfully_applied
    assert result.tests_status["FAIL_TO_PASS"]["success"] == ["tests/test_tiny.py::test_add"]
    assert result.tests_status["PASS_TO_PASS"]["success"] == ["tests/test_tiny.py::test_zero"]
    assert result.env["spec_source"] == "default"
    assert result.env["network_block"] in ("namespace", "socket-guard")
    for step in ("warmup", "environment", "checkout", "setup", "patch", "install", "tests", "total"):
        assert result.timings[step] >= 0


def test_empty_patch_is_unresolved(tiny: TinyRepo, settings: GradeSettings) -> None:
    result = grade_job(job(tiny, settings, ""))

    assert result.status == UNRESOLVED
    assert result.resolution == "RESOLVED_NO"
    assert result.tests_status["FAIL_TO_PASS"]["failure"] == ["tests/test_tiny.py::test_add"]
    assert result.tests_status["PASS_TO_PASS"]["success"] == ["tests/test_tiny.py::test_zero"]


def test_patch_that_does_not_apply_is_an_error(tiny: TinyRepo, settings: GradeSettings) -> None:
    bad = (
        "diff --git a/tiny/__init__.py b/tiny/__init__.py\n"
        "--- a/tiny/__init__.py\n+++ b/tiny/__init__.py\n"
        "@@ -1,2 +1,2 @@\n-def nothing_like_this():\n-    pass\n+def add(a, b):\n+    return a * b\n"
    )
    result = grade_job(job(tiny, settings, bad))

    assert result.status == ERROR
    assert not result.patch_successfully_applied
    assert "does not apply" in result.error
    run_log = Path(result.log_dir) / "run_instance.log"
    assert ">>>>> Patch Apply Failed" in run_log.read_text()


def test_logs_follow_the_official_layout(tiny: TinyRepo, settings: GradeSettings) -> None:
    gold = tiny.instance("acme__tiny-1").patch
    result = grade_job(job(tiny, settings, gold, model="org/model"))
    logs = instance_log_dir(settings, Prediction("acme__tiny-1", "org/model", gold))

    assert Path(result.log_dir) == logs and logs.name == "acme__tiny-1" and logs.parent.name == "org__model"
    assert (logs / "patch.diff").read_text() == gold
    output = (logs / "test_output.txt").read_text()
    start, end = output.index(">>>>> Start Test Output"), output.index(">>>>> End Test Output")
    assert start < output.index("PASSED tests/test_tiny.py::test_add") < end
    report = json.loads((logs / "report.json").read_text())
    assert report["acme__tiny-1"]["resolved"] is True
    assert report["acme__tiny-1"]["tests_status"]["FAIL_TO_PASS"]["success"] == ["tests/test_tiny.py::test_add"]


def test_environment_is_built_once_then_cached(tiny: TinyRepo, settings: GradeSettings) -> None:
    first = grade_job(job(tiny, settings, ""))
    second = grade_job(job(tiny, settings, ""))

    assert first.env["key"] == second.env["key"]
    assert second.env["cached"] is True


def test_tests_run_against_this_checkout(tiny: TinyRepo, settings: GradeSettings) -> None:
    """Two instances share one environment; each must test its own code."""
    gold = tiny.instance("acme__tiny-1").patch
    fixed = grade_job(job(tiny, settings, gold))
    broken = grade_job(job(tiny, settings, ""))
    fixed_again = grade_job(job(tiny, settings, gold))

    assert fixed.env["key"] == broken.env["key"]
    assert [fixed.status, broken.status, fixed_again.status] == [RESOLVED, UNRESOLVED, RESOLVED]


def test_tests_cannot_reach_the_network(tiny: TinyRepo, settings: GradeSettings) -> None:
    network_tests = EXISTING_TESTS + NEW_TEST + '''

def test_tarpit_times_out():
    import socket
    import pytest

    with pytest.raises(OSError):  # socket.timeout is an OSError
        socket.create_connection(("10.255.255.1", 80), timeout=1)


def test_names_do_not_resolve():
    import socket
    import pytest

    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 80)


def test_loopback_works():
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=5)
    client.close()
    server.close()
'''
    gold = tiny.instance("acme__tiny-1").patch
    ids = ["tests/test_tiny.py::" + name for name in ("test_tarpit_times_out", "test_names_do_not_resolve", "test_loopback_works")]
    result = grade_job(
        job(tiny, settings, gold, test_changes={"tests/test_tiny.py": network_tests}, fail_to_pass=["tests/test_tiny.py::test_add", *ids])
    )

    assert result.status == RESOLVED, (result.error, result.tests_status)


def test_hung_tests_time_out_as_an_error(tiny: TinyRepo, settings: GradeSettings) -> None:
    hanging = EXISTING_TESTS + NEW_TEST + "\n\ndef test_hangs():\n    import time\n    time.sleep(600)\n"
    gold = tiny.instance("acme__tiny-1").patch
    result = grade_job(
        job(tiny, replace(settings, test_timeout=20), gold, test_changes={"tests/test_tiny.py": hanging})
    )

    assert result.status == ERROR
    assert "timed out" in result.error
    assert "Timed out after 20 s" in (Path(result.log_dir) / "test_output.txt").read_text()


def test_a_patch_that_breaks_the_install_is_graded_not_errored(tiny: TinyRepo, settings: GradeSettings) -> None:
    breaks_build = tiny.diff({"pyproject.toml": "this is [not toml", "tiny/__init__.py": "def add(a, b):\n    return a + b\n"})
    result = grade_job(job(tiny, settings, breaks_build))

    assert result.status in (RESOLVED, UNRESOLVED)
    assert "install step exited" in (Path(result.log_dir) / "run_instance.log").read_text()


def test_a_missing_mirror_is_an_error_with_the_reason(tiny: TinyRepo, settings: GradeSettings, tmp_path: Path) -> None:
    result = grade_job(job(tiny, replace(settings, mirrors=tmp_path / "no-mirrors"), ""))

    assert result.status == ERROR
    assert "no mirror of acme/tiny" in result.error


def test_network_blocks_are_the_harness_guard_with_a_tarpit() -> None:
    from editor_harness.network_guard import GuardMode
    from swarm.evaluation.errors import EvaluationError
    from swarm.evaluation.grading import block_name, network_block

    guard = network_block("socket-guard")
    assert guard.mode is GuardMode.SOCKET and guard.tarpit and block_name(guard) == "socket-guard"
    assert block_name(network_block("auto")) in ("namespace", "socket-guard")
    with pytest.raises(EvaluationError, match="unknown network block 'firewall'"):
        network_block("firewall")
