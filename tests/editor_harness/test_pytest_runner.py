"""PytestRunner: real pytest runs on the bundled Python example, faults included."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from editor_harness.errors import OutsideWorkspace, TestRunError
from editor_harness.network_guard import GuardMode
from editor_harness.pytest_runner import PytestRunner, default_python, looks_like_node_id, parse_report, pytest_arguments
from editor_harness.testrun import Outcome, TestRun

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example runs on this venv's interpreter, whose pytest would otherwise
    # import every test plugin we develop with (seconds per run on a busy box).
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"


def _by_id(run: TestRun) -> dict[str, Outcome]:
    return {r.node_id: r.outcome for r in run.results}


async def test_whole_suite_reports_each_test(python_repo: Path) -> None:
    run = await PytestRunner(python_repo).run([], timeout=120)
    outcomes = _by_id(run)
    assert len(outcomes) == 10
    assert outcomes[FAILING] is Outcome.FAILED
    assert outcomes["tests/test_money.py::test_parse_and_format"] is Outcome.PASSED
    assert run.exit_code == 1 and not run.timed_out and not run.ok
    assert run.counts == {"passed": 9, "failed": 1, "error": 0, "skipped": 0}
    failed = run.failures()[0]
    assert "assert False" in failed.message and "applies_to" in failed.message
    assert run.runner == "pytest" and run.network_guard in ("netns", "socket-guard")
    assert not (python_repo / ".pytest_cache").exists()


async def test_node_id_and_keyword_selections(python_repo: Path) -> None:
    runner = PytestRunner(python_repo)
    run = await runner.run(["tests/test_money.py::test_percent_rounds_half_up", "tests/test_catalog.py"], timeout=120)
    assert sorted(_by_id(run)) == [
        "tests/test_catalog.py::test_find_and_search",
        "tests/test_catalog.py::test_unknown_sku",
        "tests/test_money.py::test_percent_rounds_half_up",
    ]
    assert run.ok
    run = await runner.run(["coupon", "subtotal"], timeout=120)
    assert sorted(_by_id(run)) == [
        "tests/test_cart.py::test_coupon_discount",
        "tests/test_cart.py::test_subtotal",
        "tests/test_discounts.py::test_coupon_parsing",
    ]
    with pytest.raises(TestRunError, match="mixes node ids"):
        await runner.run([FAILING, "coupon"], timeout=120)


async def test_nothing_matching_and_missing_paths_are_explained(python_repo: Path) -> None:
    runner = PytestRunner(python_repo)
    run = await runner.run(["no_such_keyword_anywhere"], timeout=120)
    assert run.results == () and run.exit_code == 5 and "no tests matched" in run.note
    run = await runner.run(["tests/test_nope.py::test_x"], timeout=120)
    assert run.exit_code == 4 and "does not exist" in run.note
    with pytest.raises(OutsideWorkspace):
        await runner.run(["../elsewhere/test_x.py::test_y"], timeout=120)


async def test_hanging_test_is_killed_and_named(python_repo: Path) -> None:
    (python_repo / "tests" / "test_slow.py").write_text(
        "import time\n\ndef test_fast():\n    assert True\n\ndef test_hangs():\n    time.sleep(600)\n\n"
        "def test_after():\n    assert True\n"
    )
    run = await PytestRunner(python_repo).run(["tests/test_slow.py"], timeout=8)
    assert run.timed_out and run.exit_code is None
    outcomes = _by_id(run)
    assert outcomes["tests/test_slow.py::test_fast"] is Outcome.PASSED
    assert outcomes["tests/test_slow.py::test_hangs"] is Outcome.ERROR
    hung = next(r for r in run.results if r.node_id.endswith("test_hangs"))
    assert "hung" in hung.message
    after = next(r for r in run.results if r.node_id.endswith("test_after"))
    assert after.outcome is Outcome.ERROR and "not run" in after.message
    assert "killed at the 8s timeout" in run.note
    assert run.elapsed_s < 100


@pytest.mark.parametrize("network", [GuardMode.AUTO, GuardMode.SOCKET])
async def test_test_that_dials_out_fails_inside_the_test(python_repo: Path, network: GuardMode) -> None:
    (python_repo / "tests" / "test_net.py").write_text(
        "import socket, urllib.request\n\n"
        "def test_private_address():\n    socket.create_connection(('10.255.255.1', 80), timeout=20)\n\n"
        "def test_public_name():\n    urllib.request.urlopen('http://example.com', timeout=20)\n\n"
        "def test_loopback_server_works():\n"
        "    server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen()\n"
        "    socket.create_connection(server.getsockname(), timeout=5).close()\n"
    )
    run = await PytestRunner(python_repo).run(["tests/test_net.py"], timeout=120, network=network)
    outcomes = _by_id(run)
    assert outcomes["tests/test_net.py::test_private_address"] is Outcome.FAILED
    assert outcomes["tests/test_net.py::test_public_name"] is Outcome.FAILED
    assert outcomes["tests/test_net.py::test_loopback_server_works"] is Outcome.PASSED
    if run.network_guard == "socket-guard":
        assert all("blocked by symbol-swarm" in r.message for r in run.failures())
    else:
        assert run.network_guard == "netns"
        assert any("unreachable" in r.message.lower() or "errno" in r.message.lower() for r in run.failures())
    # Both fail at once instead of waiting for the 20 s connect timeout.
    assert all(r.duration_s < 15 for r in run.results)


async def test_collection_errors_skips_xfails_and_classes(python_repo: Path) -> None:
    tests = python_repo / "tests"
    (tests / "test_broken.py").write_text("import not_a_module_anywhere\n\ndef test_x():\n    pass\n")
    (tests / "test_kinds.py").write_text(
        "import pytest\n\n"
        "class TestGroup:\n    @pytest.mark.parametrize('n', [1, 2])\n    def test_param(self, n):\n        assert n < 2\n\n"
        "@pytest.mark.skip(reason='not today')\ndef test_skipped():\n    pass\n\n"
        "@pytest.mark.xfail(reason='known bug')\ndef test_xfail():\n    assert False\n\n"
        "@pytest.fixture\ndef broken_fixture():\n    raise RuntimeError('fixture exploded')\n\n"
        "def test_setup_error(broken_fixture):\n    pass\n"
    )
    run = await PytestRunner(python_repo).run(["tests/test_broken.py", "tests/test_kinds.py"], timeout=120)
    outcomes = _by_id(run)
    assert outcomes["tests/test_broken.py"] is Outcome.ERROR
    broken = next(r for r in run.results if r.node_id == "tests/test_broken.py")
    assert "not_a_module_anywhere" in broken.message
    # A collection error interrupts pytest before any test runs.
    assert run.exit_code == 2 and "collecting" in run.note
    run = await PytestRunner(python_repo).run(["tests/test_kinds.py"], timeout=120)
    outcomes = _by_id(run)
    assert outcomes["tests/test_kinds.py::TestGroup::test_param[1]"] is Outcome.PASSED
    assert outcomes["tests/test_kinds.py::TestGroup::test_param[2]"] is Outcome.FAILED
    assert outcomes["tests/test_kinds.py::test_skipped"] is Outcome.SKIPPED
    assert outcomes["tests/test_kinds.py::test_xfail"] is Outcome.SKIPPED
    assert outcomes["tests/test_kinds.py::test_setup_error"] is Outcome.ERROR
    skipped = next(r for r in run.results if r.node_id.endswith("test_skipped"))
    assert "not today" in skipped.message
    assert "fixture exploded" in next(r for r in run.results if r.node_id.endswith("test_setup_error")).message


async def test_api_keys_do_not_reach_the_tests(python_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-should-never-leak")
    (python_repo / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_env():\n    print(sorted(os.environ.items()))\n"
        "    assert 'ANTHROPIC_API_KEY' not in os.environ\n"
    )
    run = await PytestRunner(python_repo).run(["tests/test_env.py"], timeout=120)
    assert run.ok
    assert "sk-ant-should-never-leak" not in run.stdout_tail + run.stderr_tail


async def test_dead_interpreter_is_reported(python_repo: Path, tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'No module named pytest' >&2\nexit 1\n")
    fake.chmod(0o755)
    run = await PytestRunner(python_repo, python=str(fake)).run([], timeout=60, network=GuardMode.SOCKET)
    assert run.results == () and run.exit_code == 1
    assert "did not start properly" in run.note and "No module named pytest" in run.note


def test_selection_arguments() -> None:
    root = Path("/repo")
    assert looks_like_node_id("tests/test_a.py::test_b[x-1]")
    assert looks_like_node_id("test_a.py")
    assert not looks_like_node_id("coupon and not slow")
    assert pytest_arguments(root, ["a and not b", "c"]) == ["-k", "(a and not b) or (c)"]
    assert pytest_arguments(root, ["tests/t.py::A::b", " "]) == ["tests/t.py::A::b"]
    assert pytest_arguments(root, ["/repo/tests/t.py::x"]) == ["tests/t.py::x"]


def test_repo_virtualenv_is_preferred(tmp_path: Path) -> None:
    assert default_python(tmp_path) == sys.executable
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert default_python(tmp_path) == str(venv_python)


def test_report_parsing_rebases_node_ids_and_survives_cut_lines(tmp_path: Path) -> None:
    lines = [
        '{"event": "session", "rootdir": "%s"}' % (tmp_path / "sub"),
        '{"event": "collected", "nodeids": ["t.py::a", "t.py::b"]}',
        '{"event": "start", "nodeid": "t.py::a"}',
        '{"event": "report", "nodeid": "t.py::a", "when": "setup", "outcome": "passed", "duration": 0.1, "wasxfail": false}',
        '{"event": "report", "nodeid": "t.py::a", "when": "call", "outcome": "passed", "duration": 0.2, "wasxfail": false}',
        '{"event": "report", "nodeid": "t.py::a", "when": "teardown", "outcome": "failed", "duration": 0.0, "wasxfail": false, "message": "boom"}',
        '{"event": "start", "nodeid": "t.py::b"}',
        '{"event": "report", "nodeid": "t.py::b", "when": "setup", "outco',
    ]
    results, status = parse_report(lines, tmp_path, timed_out=True, timeout=5)
    assert status is None
    assert [(r.node_id, r.outcome.value) for r in results] == [("sub/t.py::a", "error"), ("sub/t.py::b", "error")]
    assert results[0].message == "teardown failed: boom" and results[0].duration_s == pytest.approx(0.3)
    assert "hung" in results[1].message
