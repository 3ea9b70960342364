"""Fixtures for the trace tool: target interpreters, and repositories whose
tests hang, crash or misbehave on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, git, make_repo

TARGETS = ROOT / ".venv" / "targets"

PYTHON_FAULTS = '''\
import os
import time

from shop.money import Money


def spin(n):
    while True:
        n += 1


def test_hangs_in_a_loop():
    Money.parse("1.00")
    spin(0)


def test_sleeps():
    Money.parse("1.00")
    time.sleep(600)


def test_exits_hard():
    Money.parse("2.00")
    os._exit(3)


def test_segfaults():
    import ctypes

    Money.parse("3.00")
    ctypes.string_at(0)


class Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr for you")


def takes(x, *rest, **options):
    return x


def test_bad_repr_does_not_break_the_test():
    assert takes(Unprintable(), 1, 2, key=Unprintable()) is not None


def countdown(n):
    while n > 0:
        yield n
        n -= 1
    return "liftoff"


def fails_deep(n):
    if n == 0:
        raise ValueError("bottom")
    return fails_deep(n - 1)


def test_generators_and_recursion():
    assert list(countdown(3)) == [3, 2, 1]
    assert sum(Money.parse(str(i)).cents for i in range(10)) == 4500
    try:
        fails_deep(2)
    except ValueError:
        pass
'''

RUST_FAULTS = '''

fn spin(n: u64) -> u64 { let mut x = n; loop { x = x.wrapping_add(1); if x == 0 { return x; } std::hint::black_box(x); } }

#[test]
fn hangs() {
    let l = Ledger::new();
    spin(l.accounts().count() as u64 + 1);
}

#[test]
fn segfaults() {
    let l = Ledger::new();
    let _ = l.accounts().count();
    unsafe { std::ptr::null_mut::<u64>().write_volatile(7); }
}

fn depth(n: u32) -> u32 { if n == 0 { panic!("bottom reached") } else { depth(n - 1) + 1 } }

#[test]
fn panics_deep() {
    depth(3);
}
'''


def target_python(minor: str) -> str:
    """The target venv `scripts/setup test` builds from pyenv's Python `minor`."""
    python = TARGETS / f"py{minor}" / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"no Python {minor} target venv at {python}: `scripts/setup test` builds it when "
                    f"pyenv has {minor} (~/.pyenv/versions/{minor}.*)")
    return str(python)


def require_gdb() -> None:
    if shutil.which("gdb") is None:
        pytest.skip("gdb is not on PATH: `scripts/setup test` installs it (apt: gdb)")


@pytest.fixture
def python_faults_repo(tmp_path: Path) -> Path:
    repo = make_repo(tmp_path, "python_shop")
    (repo / "tests" / "test_faults.py").write_text(PYTHON_FAULTS)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "faults")
    return repo


@pytest.fixture(scope="module")
def rust_faults_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rust_ledger plus tests that hang, crash and panic deep; built once per module."""
    repo = make_repo(tmp_path_factory.mktemp("rust"), "rust_ledger")
    with (repo / "tests" / "transfers.rs").open("a") as handle:
        handle.write(RUST_FAULTS)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "faults")
    return repo
