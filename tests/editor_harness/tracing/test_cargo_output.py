"""Reading cargo test output: the formats rustc/libtest print, recorded from
real runs (rustc 1.95 and the pre-1.73 panic format)."""

from __future__ import annotations

from editor_harness.tracing.cargo_output import parse_cargo_test

PANIC_WITH_BACKTRACE = """\
   Compiling ledger v0.1.0 (/tmp/rl)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.61s
     Running unittests src/lib.rs (target/debug/deps/ledger-6bc935356f631c94)

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.00s

     Running tests/transfers.rs (target/debug/deps/transfers-c7560fd45433d076)

running 1 test
test transfer_can_empty_an_account ... 
thread 'transfer_can_empty_an_account' (12041) panicked at tests/transfers.rs:27:38:
called `Result::unwrap()` on an `Err` value: InsufficientFunds { account: AccountId(1), balance: 2550, wanted: 2550 }
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/std/src/panicking.rs:689:5
   1: core::panicking::panic_fmt
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/panicking.rs:80:14
   2: core::result::unwrap_failed
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/result.rs:1867:5
   3: core::result::Result<T,E>::unwrap
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/result.rs:1233:23
   4: transfers::transfer_can_empty_an_account
             at ./tests/transfers.rs:27:38
   5: transfers::transfer_can_empty_an_account::{{closure}}
             at ./tests/transfers.rs:23:35
   6: core::ops::function::FnOnce::call_once
             at /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/ops/function.rs:250:5
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
FAILED

failures:

failures:
    transfer_can_empty_an_account

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.10s

error: test failed, to rerun pass `--test transfers`
"""


def test_a_panic_with_its_message_location_and_frames() -> None:
    output = parse_cargo_test(PANIC_WITH_BACKTRACE)

    assert output.ran == 1
    assert output.binaries == ("src/lib.rs", "tests/transfers.rs")
    assert [(t.name, t.outcome, t.binary) for t in output.tests] == [
        ("transfer_can_empty_an_account", "FAILED", "tests/transfers.rs")
    ]
    (panic,) = output.panics
    assert panic.thread == "transfer_can_empty_an_account"
    assert (panic.path, panic.line, panic.column) == ("tests/transfers.rs", 27, 38)
    assert panic.message.startswith("called `Result::unwrap()` on an `Err` value: InsufficientFunds")
    assert len(panic.frames) == 7
    frame = panic.frames[4]
    assert (frame.function, frame.path, frame.line, frame.column) == (
        "transfers::transfer_can_empty_an_account", "./tests/transfers.rs", 27, 38)
    assert panic.binary == "tests/transfers.rs"
    assert not output.build_failed and output.abnormal_exit is None


def test_multi_line_messages_and_results_on_the_same_line() -> None:
    text = (
        "running 3 tests\n"
        "test account::tests::ok_one ... ok\n"
        "test ledger::tests::panics_deep ... \n"
        "thread 'ledger::tests::panics_deep' (28610) panicked at src/ledger.rs:84:42:\n"
        "bottom reached\nsecond line\n"
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
        "FAILED\n"
        "test ledger::tests::skipped ... ignored, needs a database\n"
    )
    output = parse_cargo_test(text, binary="src/lib.rs")

    assert [(t.name, t.outcome, t.binary) for t in output.tests] == [
        ("account::tests::ok_one", "ok", "src/lib.rs"),
        ("ledger::tests::panics_deep", "FAILED", "src/lib.rs"),
        ("ledger::tests::skipped", "ignored", "src/lib.rs"),
    ]
    assert output.panics[0].message == "bottom reached\nsecond line"
    assert output.panics[0].frames == ()


def test_the_pre_1_73_panic_format() -> None:
    text = "thread 'main' panicked at 'index out of bounds: the len is 3', src/main.rs:4:5\n"
    (panic,) = parse_cargo_test(text).panics
    assert (panic.thread, panic.message, panic.path, panic.line, panic.column) == (
        "main", "index out of bounds: the len is 3", "src/main.rs", 4, 5)


def test_a_stack_overflow_and_an_abnormal_exit() -> None:
    text = (
        "running 1 test\n"
        "test overflow ... \n"
        "thread 'overflow' (28601) has overflowed its stack\n"
        "fatal runtime error: stack overflow, aborting\n"
        "error: test failed, to rerun pass `--test transfers`\n\n"
        "Caused by:\n"
        "  process didn't exit successfully: `/tmp/rl/target/debug/deps/transfers-c75 overflow --exact` "
        "(signal: 6, SIGABRT: process abort signal)\n"
    )
    output = parse_cargo_test(text, binary="tests/transfers.rs")

    assert output.stack_overflow == "overflow"
    assert output.abnormal_exit == "signal: 6, SIGABRT: process abort signal"
    assert [(t.name, t.outcome) for t in output.tests] == [("overflow", "unfinished")]
    assert output.build_errors == ()  # "error: test failed" is not a build error


def test_build_errors_with_their_location() -> None:
    text = (
        "   Compiling ledger v0.1.0 (/tmp/x)\n"
        "error[E0412]: cannot find type `Nope` in this scope\n"
        "  --> src/report.rs:33:31\n"
        "   |\n"
        "error: could not compile `ledger` (lib) due to 1 previous error\n"
    )
    output = parse_cargo_test(text)

    assert output.build_failed
    first, second = output.build_errors
    assert (first.message, first.path, first.line, first.column) == (
        "cannot find type `Nope` in this scope", "src/report.rs", 33, 31)
    assert second.path is None and "could not compile" in second.message
