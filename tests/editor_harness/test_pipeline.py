"""The check pipeline end to end: real pyright / rust-analyzer, real pytest / cargo, real git repos."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import trio

from editor_harness.pipeline import CheckPipeline, CheckReport, StageStatus
from editor_harness.session import open_session
from editor_harness.workspace import Workspace

pytestmark = pytest.mark.anyio

APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"
FIX = "def applies_to(self, quantity: int) -> bool:\n    return quantity >= self.min_quantity\n"
FAILING = "tests/test_discounts.py::test_bulk_discount_applies_at_threshold"
TRANSFER = "src/ledger.rs::Ledger::transfer"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example runs on this venv's interpreter; keep our own dev plugins out of its pytest.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants: pyright-langserver is a Python launcher running node."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                stack.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def _signal_tree(pid: int, sig: signal.Signals) -> None:
    for member in _process_tree(pid):
        try:
            os.kill(member, sig)
        except ProcessLookupError:
            pass


def _statuses(report: CheckReport) -> tuple[str, str, str]:
    return (report.syntax.status.value, report.diagnostics.status.value, report.tests.status.value)


async def test_python_fix_passes_every_stage_and_fixes_the_failing_test(python_repo: Path) -> None:
    async with open_session(python_repo, test_timeout=120) as session:
        baseline = await session.pipeline.baseline([FAILING])
        assert baseline.counts["failed"] == 1
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1)
    assert _statuses(report) == ("passed", "passed", "passed"), report.render()
    assert report.ok and report.applied
    assert (report.base_version, report.new_version) == (1, 2)
    assert report.delta is not None and report.delta.source == "server" and report.delta.introduced == ()
    assert report.test_run is not None and report.test_run.counts["passed"] == 2
    assert report.selected_tests == (FAILING, "tests/test_discounts.py::test_bulk_discount_not_below_threshold")
    assert report.fixes == (FAILING,) and report.regressions == ()
    assert "quantity >= self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
    # JSON-serialisable and back.
    assert CheckReport.from_json(json.loads(json.dumps(report.to_json()))) == report
    assert "check shop/discounts.py::BulkDiscount.applies_to (v1 -> v2): OK" in report.render()


async def test_refused_rewrites_are_reported_not_raised(python_repo: Path) -> None:
    original = (python_repo / "shop/discounts.py").read_text()
    async with open_session(python_repo, servers=False) as session:
        pipeline = session.pipeline
        bad_syntax = await pipeline.rewrite_and_check(APPLIES_TO, "def applies_to(self, quantity:\n    return", 1)
        renamed = await pipeline.rewrite_and_check(APPLIES_TO, "def applies(self, q):\n    return True", 1)
        stale = await pipeline.rewrite_and_check(APPLIES_TO, FIX, 7)
        unknown = await pipeline.rewrite_and_check("shop/discounts.py::Nope", FIX, 1)
        outside = await pipeline.rewrite_and_check("../../etc/passwd.py::x", FIX, 1)
    for report in (bad_syntax, renamed, stale, unknown, outside):
        assert _statuses(report) == ("failed", "skipped", "skipped")
        assert not report.applied and not report.ok and report.new_version is None
    assert "SyntaxInvalid" in bad_syntax.syntax.summary
    assert "rename_symbol" in renamed.syntax.summary
    assert "StaleVersion" in stale.syntax.summary and "version 1" in stale.syntax.summary
    assert "SymbolNotFound" in unknown.syntax.summary
    assert "OutsideWorkspace" in outside.syntax.summary
    assert (python_repo / "shop/discounts.py").read_text() == original


async def test_type_error_fails_diagnostics_and_keep_passed_undoes_it(python_repo: Path) -> None:
    async with open_session(python_repo, test_timeout=120) as session:
        broken = FIX.replace("self.min_quantity", "self.min_quantityy")
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, broken, 1, keep="passed")
        assert report.diagnostics.status is StageStatus.FAILED, report.render()
        assert report.delta is not None
        assert any("min_quantityy" in d.message and d.severity == "error" for d in report.delta.introduced)
        assert report.tests.status is StageStatus.FAILED
        assert not report.applied
        assert "quantity > self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
        # The service was resynced on undo: the next clean rewrite has no stale error in its delta.
        version = session.workspace.version("shop/discounts.py")
        clean = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, version)
        assert clean.diagnostics.status is StageStatus.PASSED, clean.render()
        assert clean.delta is not None and clean.delta.introduced == ()


async def test_pre_existing_errors_are_ignored_by_the_delta(python_repo: Path) -> None:
    money = python_repo / "shop" / "money.py"
    money.write_text(money.read_text() + '\n\nBROKEN: int = "not an int"\n')
    async with open_session(python_repo, test_timeout=120) as session:
        report = await session.pipeline.rewrite_and_check(
            "shop/money.py::Money.times", "def times(self, quantity: int) -> Money:\n    return Money(self.cents * quantity)", 1,
            tests=["tests/test_money.py"],
        )  # fmt: skip
    assert report.diagnostics.status is StageStatus.PASSED, report.render()
    assert report.ok


async def test_dry_run_leaves_the_file_as_it_was(python_repo: Path) -> None:
    original = (python_repo / "shop/discounts.py").read_text()
    async with open_session(python_repo, servers=False) as session:
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1, keep="never", tests=[FAILING])
        assert report.ok and not report.applied
        assert session.workspace.diff() == ""
    assert (python_repo / "shop/discounts.py").read_text() == original


async def test_hanging_rewrite_is_killed_at_the_test_timeout(python_repo: Path) -> None:
    async with open_session(python_repo, servers=False, test_timeout=8) as session:
        hang = "def applies_to(self, quantity: int) -> bool:\n    while True:\n        pass\n"
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, hang, 1, tests=[FAILING])
    assert report.tests.status is StageStatus.FAILED
    assert report.test_run is not None and report.test_run.timed_out
    assert "killed" in report.tests.summary
    assert report.applied  # keep="always": the caller decides what to do with it


async def test_test_that_dials_out_fails_inside_and_is_reported(python_repo: Path) -> None:
    (python_repo / "tests" / "test_remote.py").write_text(
        "import socket\nfrom shop.discounts import BulkDiscount\n\n"
        "def test_remote_threshold():\n    socket.create_connection(('10.255.255.1', 80), timeout=20)\n"
        "    assert BulkDiscount(10, 5).applies_to(10)\n"
    )
    async with open_session(python_repo, servers=False, test_timeout=120) as session:
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1, tests=["tests/test_remote.py"])
    assert report.tests.status is StageStatus.FAILED
    assert report.test_run is not None and report.test_run.network_guard in ("netns", "socket-guard")
    assert report.test_run.results[0].duration_s < 15  # failed at once, not after the 20 s connect timeout


async def test_racing_rewrites_through_the_pipeline(python_repo: Path) -> None:
    reports: list[CheckReport] = []
    async with open_session(python_repo, servers=False) as session:

        async def agent(symbol_id: str, text: str) -> None:
            base = session.workspace.read_symbol(symbol_id).version
            await trio.sleep(0.01)
            reports.append(await session.pipeline.rewrite_and_check(symbol_id, text, base, tests=[]))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(agent, APPLIES_TO, FIX)
            nursery.start_soon(agent, "shop/discounts.py::parse_coupon", "def parse_coupon(code: str) -> PercentOff:\n    return PercentOff(15)")
    assert sorted(r.syntax.status.value for r in reports) == ["failed", "passed"]
    stale = next(r for r in reports if not r.applied)
    assert "StaleVersion" in stale.syntax.summary and "version 2" in stale.syntax.summary


async def test_a_crashed_language_server_is_reported_sanely(python_repo: Path) -> None:
    async with open_session(python_repo, test_timeout=120) as session:
        assert session.servers is not None
        client = await session.servers.client("python")
        pid = client.pid
        assert pid is not None
        _signal_tree(pid, signal.SIGKILL)
        report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1)
        # Restarted (or fallen back to the CLI): either way a real verdict, and the check went on.
        assert report.diagnostics.status in (StageStatus.PASSED, StageStatus.ERROR), report.render()
        assert report.tests.status is StageStatus.PASSED
        again = await session.pipeline.rewrite_and_check(
            APPLIES_TO, FIX.replace("self.min_quantity", "self.min_quantityy"), 2
        )
        assert again.diagnostics.status is StageStatus.FAILED, again.render()


async def test_a_hung_language_server_times_out_into_an_error_stage(python_repo: Path) -> None:
    async with open_session(python_repo, test_timeout=120) as session:
        assert session.servers is not None
        client = await session.servers.client("python")
        pid = client.pid
        assert pid is not None
        pipeline = CheckPipeline(session.workspace, diagnostics=session.diagnostics, diagnostics_timeout=3)
        stopped = _process_tree(pid)
        _signal_tree(pid, signal.SIGSTOP)
        try:
            report = await pipeline.rewrite_and_check(APPLIES_TO, FIX, 1, tests=[FAILING])
        finally:
            for member in stopped:  # the service may have killed and replaced them meanwhile
                try:
                    os.kill(member, signal.SIGCONT)
                except ProcessLookupError:
                    pass
    assert report.diagnostics.status is StageStatus.ERROR
    assert "no answer within 3s" in report.diagnostics.summary
    assert report.tests.status is StageStatus.PASSED and report.applied


async def test_rust_fix_and_type_error(rust_repo: Path) -> None:
    async with open_session(rust_repo, test_timeout=300) as session:
        await session.pipeline.baseline(["tests/transfers.rs::transfer_can_empty_an_account"])
        view = session.workspace.read_symbol(TRANSFER)
        fixed = view.text.replace("balance <= amount", "balance < amount")
        report = await session.pipeline.rewrite_and_check(TRANSFER, fixed, view.version)
        assert _statuses(report) == ("passed", "passed", "passed"), report.render()
        assert report.fixes == ("tests/transfers.rs::transfer_can_empty_an_account",)
        assert report.test_run is not None and report.test_run.runner == "cargo"
        broken = fixed.replace("let balance = self.balance(from)?;", "let balance: String = self.balance(from)?;")
        bad = await session.pipeline.rewrite_and_check(TRANSFER, broken, report.new_version, keep="passed")
        assert bad.diagnostics.status is StageStatus.FAILED, bad.render()
        assert bad.delta is not None and any(d.severity == "error" for d in bad.delta.introduced)
        assert not bad.applied
        assert "balance < amount" in (rust_repo / "src/ledger.rs").read_text()


async def test_insert_and_check_with_no_tests_selected(python_repo: Path) -> None:
    (python_repo / "shop" / "gifts.py").write_text("class GiftWrap:\n    price = 300\n")
    async with open_session(python_repo, servers=False) as session:
        report = await session.pipeline.insert_and_check("shop/gifts.py::GiftWrap", "def label(self) -> str:\n    return 'gift'")
    assert report.ok and report.symbol_id == "shop/gifts.py::GiftWrap.label"
    assert report.tests.status is StageStatus.SKIPPED and "no tests reference" in report.tests.summary


async def test_delete_and_check_runs_the_given_tests_and_undoes_exactly(python_repo: Path) -> None:
    target = python_repo / "shop" / "gifts.py"
    original = "class GiftWrap:\n    price = 300\n\n    def label(self) -> str:\n        return 'gift'\n\n    def unused(self) -> int:\n        return 1\n"
    target.write_text(original)
    (python_repo / "tests" / "test_gifts.py").write_text(
        "from shop.gifts import GiftWrap\n\n\ndef test_label():\n    assert GiftWrap().label() == 'gift'\n"
    )
    async with open_session(python_repo, servers=False) as session:
        report = await session.pipeline.delete_and_check("shop/gifts.py::GiftWrap.unused", tests=["tests/test_gifts.py"])
        assert report.ok and report.applied, report.render()
        assert report.edit is not None and report.edit.op.value == "delete"
        assert "unused" not in target.read_text() and "def label" in target.read_text()
        assert report.test_run is not None and [r.node_id for r in report.test_run.results] == ["tests/test_gifts.py::test_label"]
        assert await session.pipeline.undo(report.edit)
        assert target.read_text() == original
        # A delete that breaks a test is reported as failed, and `keep="passed"` takes it back.
        broken = await session.pipeline.delete_and_check("shop/gifts.py::GiftWrap.label", tests=["tests/test_gifts.py"], keep="passed")
        assert broken.tests.status is StageStatus.FAILED and not broken.applied
        assert target.read_text() == original
        gone = await session.pipeline.delete_and_check("shop/gifts.py::GiftWrap.nothing_here")
        assert not gone.applied and gone.syntax.status is StageStatus.FAILED and "nothing_here" in gone.syntax.summary


def test_pipeline_without_services_reports_skips(python_repo: Path) -> None:
    pipeline = CheckPipeline(Workspace.open(python_repo), run_selected_tests=False)
    report = trio.run(pipeline.rewrite_and_check, APPLIES_TO, FIX, 1)
    assert _statuses(report) == ("passed", "skipped", "skipped") and report.ok


def test_unwritable_file_is_an_error_stage_not_a_crash(python_repo: Path) -> None:
    if os.geteuid() == 0:
        # root writes through any mode bits: make the directory immutable another way
        target = python_repo / "shop" / "discounts.py"
        pipeline = CheckPipeline(Workspace.open(python_repo), run_selected_tests=False)
        view = pipeline.workspace.read_symbol(APPLIES_TO)
        target.unlink()
        target.mkdir()  # the path now names a directory: reading it fails with an OSError
        report = trio.run(pipeline.rewrite_and_check, APPLIES_TO, FIX, view.version)
    else:
        (python_repo / "shop").chmod(0o555)
        try:
            pipeline = CheckPipeline(Workspace.open(python_repo), run_selected_tests=False)
            report = trio.run(pipeline.rewrite_and_check, APPLIES_TO, FIX, 1)
        finally:
            (python_repo / "shop").chmod(0o755)
    assert report.syntax.status in (StageStatus.ERROR, StageStatus.FAILED)
    assert not report.applied and not report.ok
