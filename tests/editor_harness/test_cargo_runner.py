"""CargoRunner: real `cargo test` runs (offline) on the bundled Rust example, faults included."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.cargo_runner import CargoRunner, _Parse, cargo_invocations, package_dir, target_flags
from editor_harness.errors import TestRunError
from editor_harness.network_guard import netns_available
from editor_harness.testrun import Outcome, TestRun

pytestmark = pytest.mark.anyio

FAILING = "tests/transfers.rs::transfer_can_empty_an_account"
UNIT = "src/lib.rs::account::tests::balance_sums_signed_entries"


def _by_id(run: TestRun) -> dict[str, Outcome]:
    return {r.node_id: r.outcome for r in run.results}


async def test_whole_suite_reports_each_test(rust_repo: Path) -> None:
    run = await CargoRunner(rust_repo).run([], timeout=300)
    outcomes = _by_id(run)
    assert outcomes == {
        UNIT: Outcome.PASSED,
        "tests/transfers.rs::transfer_moves_money": Outcome.PASSED,
        "tests/transfers.rs::transfer_rejects_overdraft": Outcome.PASSED,
        FAILING: Outcome.FAILED,
        "tests/transfers.rs::summary_and_render": Outcome.PASSED,
    }
    failed = run.failures()[0]
    assert "panicked at tests/transfers.rs:27" in failed.message and "InsufficientFunds" in failed.message
    assert run.exit_code == 101 and not run.ok and run.runner == "cargo"


async def test_exact_node_ids_run_only_those_tests(rust_repo: Path) -> None:
    run = await CargoRunner(rust_repo).run([FAILING, UNIT, "tests/transfers.rs::no_such_test"], timeout=300)
    outcomes = _by_id(run)
    assert outcomes == {FAILING: Outcome.FAILED, UNIT: Outcome.PASSED, "tests/transfers.rs::no_such_test": Outcome.ERROR}
    assert "no such test" in next(r.message for r in run.results if r.node_id.endswith("no_such_test"))


async def test_plain_filters_match_substrings_in_every_target(rust_repo: Path) -> None:
    run = await CargoRunner(rust_repo).run(["transfer_"], timeout=300)
    assert sorted(_by_id(run)) == [
        "tests/transfers.rs::transfer_can_empty_an_account",
        "tests/transfers.rs::transfer_moves_money",
        "tests/transfers.rs::transfer_rejects_overdraft",
    ]
    run = await CargoRunner(rust_repo).run(["matches_nothing_at_all"], timeout=300)
    assert run.results == () and "no tests matched" in run.note


async def test_build_failure_is_reported(rust_repo: Path) -> None:
    ledger = rust_repo / "src" / "ledger.rs"
    ledger.write_text(ledger.read_text().replace("Ok(())\n    }\n\n    pub fn accounts", "Ok(()) + 1\n    }\n\n    pub fn accounts"))
    run = await CargoRunner(rust_repo).run([], timeout=300)
    assert run.results == () and run.exit_code == 101
    assert run.note.startswith("build failed: error")
    assert "error" in run.stdout_tail


async def test_hanging_test_is_killed(rust_repo: Path) -> None:
    (rust_repo / "tests" / "slow.rs").write_text(
        "#[test]\nfn quick() {}\n\n#[test]\nfn hangs() {\n    std::thread::sleep(std::time::Duration::from_secs(600));\n}\n"
    )
    runner = CargoRunner(rust_repo)
    await runner.run(["tests/slow.rs::quick"], timeout=300)  # build first: the timeout is for the hang
    run = await runner.run(["tests/slow.rs::quick", "tests/slow.rs::hangs"], timeout=8)
    assert run.timed_out and run.exit_code is None
    outcomes = _by_id(run)
    assert outcomes["tests/slow.rs::quick"] is Outcome.PASSED
    assert outcomes["tests/slow.rs::hangs"] is Outcome.ERROR
    assert "killed at the 8s timeout" in run.note


async def test_rust_test_that_dials_out_cannot_leave(rust_repo: Path) -> None:
    (rust_repo / "tests" / "net.rs").write_text(
        "use std::net::{TcpListener, TcpStream};\nuse std::time::Duration;\n\n"
        "#[test]\nfn dials_out() {\n"
        "    let addr = \"10.255.255.1:80\".parse().unwrap();\n"
        "    TcpStream::connect_timeout(&addr, Duration::from_secs(20)).unwrap();\n}\n\n"
        "#[test]\nfn loopback_works() {\n"
        "    let server = TcpListener::bind(\"127.0.0.1:0\").unwrap();\n"
        "    TcpStream::connect(server.local_addr().unwrap()).unwrap();\n}\n"
    )
    run = await CargoRunner(rust_repo).run(["tests/net.rs::dials_out", "tests/net.rs::loopback_works"], timeout=300)
    if await netns_available():
        assert run.network_guard == "netns"
        assert _by_id(run) == {"tests/net.rs::dials_out": Outcome.FAILED, "tests/net.rs::loopback_works": Outcome.PASSED}
        assert "unreachable" in run.failures()[0].message.lower()
    else:
        # No namespaces: cargo cannot be guarded, and the run says so.
        assert run.network_guard == "none" and "NOT isolated" in run.note


def test_parser_reads_targets_outcomes_and_sections() -> None:
    parse = _Parse(Path("/nonexistent"), "")
    text = """\
   Compiling ledger v0.1.0 (/x)
     Running unittests src/lib.rs (target/debug/deps/ledger-1)

running 2 tests
test a::tests::ok_one ... ok
test a::tests::slow ... ignored, needs a database
     Running tests/t.rs (target/debug/deps/t-2)
test broken ... FAILED

failures:

---- broken stdout ----
thread 'broken' panicked at tests/t.rs:3:5:
boom

failures:
    broken

test result: FAILED. 0 passed; 1 failed; 0 ignored
   Doc-tests ledger
test src/lib.rs - cents (line 12) ... ok
"""
    for line in text.splitlines():
        parse.feed(line)
    results = {r.node_id: (r.outcome, r.message) for r in parse.results()}
    assert results == {
        "src/lib.rs::a::tests::ok_one": (Outcome.PASSED, ""),
        "src/lib.rs::a::tests::slow": (Outcome.SKIPPED, "needs a database"),
        "tests/t.rs::broken": (Outcome.FAILED, "thread 'broken' panicked at tests/t.rs:3:5:\nboom"),
        "doc::src/lib.rs - cents (line 12)": (Outcome.PASSED, ""),
    }


def test_selection_to_cargo_arguments(rust_repo: Path) -> None:
    assert target_flags("src/lib.rs") == ["--lib"]
    assert target_flags("src/main.rs") == ["--bins"]
    assert target_flags("src/bin/tool.rs") == ["--bin", "tool"]
    assert target_flags("tests/transfers.rs") == ["--test", "transfers"]
    assert target_flags("benches/speed.rs") == ["--bench", "speed"]
    assert target_flags("src/account.rs") == []
    assert cargo_invocations(rust_repo, [FAILING, UNIT, "tests/transfers.rs::transfer_moves_money"]) == [
        (
            "",
            ["--test", "transfers", "--lib", "--", "--exact", "transfer_can_empty_an_account",
             "account::tests::balance_sums_signed_entries", "transfer_moves_money"],
            {FAILING, UNIT, "tests/transfers.rs::transfer_moves_money"},
        )
    ]  # fmt: skip
    assert cargo_invocations(rust_repo, ["transfer", "render"]) == [("", ["--", "transfer", "render"], None)]
    assert cargo_invocations(rust_repo, []) == [("", ["--"], None)]
    assert cargo_invocations(rust_repo, ["doc::src/lib.rs - cents (line 12)"])[0][1][:2] == ["--doc", "--"]
    with pytest.raises(TestRunError, match="not a test target"):
        cargo_invocations(rust_repo, ["src/account.rs::tests::balance_sums_signed_entries"])


def test_package_dir_finds_nearest_manifest(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[workspace]\n")
    (tmp_path / "crates" / "core" / "src").mkdir(parents=True)
    (tmp_path / "crates" / "core" / "Cargo.toml").write_text("[package]\n")
    assert package_dir(tmp_path, "crates/core/src/lib.rs") == "crates/core"
    assert package_dir(tmp_path, "src/lib.rs") == ""
    assert package_dir(tmp_path, "tests/x.rs") == ""
