"""Scanning a repository: stat-first change detection, hashing, parallel scoping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from symbols import build
from symbols.build import scan, skipped_reason
from symbols.cache import unpack


def test_cold_scan_scopes_every_file(python_repo: Path):
    result = scan(python_repo, {})
    assert result.rescoped == len(result.entries) == 10 and result.reused == 0
    assert result.changed
    fs = unpack("shop/discounts.py", result.entries["shop/discounts.py"][4])
    assert "shop/discounts.py::BulkDiscount.applies_to" in fs.by_id()


def test_warm_scan_reuses_by_stat_and_reports_no_change(python_repo: Path):
    first = scan(python_repo, {})
    second = scan(python_repo, first.entries)
    assert second.reused == 10 and second.rescoped == 0 and not second.changed
    assert second.entries == first.entries


def test_touched_but_identical_file_keeps_its_symbols(python_repo: Path):
    first = scan(python_repo, {})
    path = python_repo / "shop/cart.py"
    os.utime(path, ns=(1, 1))
    second = scan(python_repo, first.entries)
    assert second.rescoped == 1
    old, new = first.entries["shop/cart.py"], second.entries["shop/cart.py"]
    assert new[0] == 1 and new[3:] == old[3:]


def test_changed_and_deleted_files_invalidate(python_repo: Path):
    first = scan(python_repo, {})
    (python_repo / "shop/cart.py").write_text("def only():\n    pass\n")
    (python_repo / "shop/money.py").unlink()
    second = scan(python_repo, first.entries)
    assert second.changed and "shop/money.py" not in second.entries
    fs = unpack("shop/cart.py", second.entries["shop/cart.py"][4])
    assert [s.qualname for s in fs.symbols] == ["<module>", "only"]


def test_skipped_files_are_remembered_with_their_reason(tmp_path: Path):
    (tmp_path / "gen.py").write_text("# @generated\nX = 1\n")
    (tmp_path / "ok.py").write_text("X = 1\n")
    first = scan(tmp_path, {})
    assert first.skipped == {"gen.py": "generated (its header says so)"}
    assert skipped_reason(first.entries["gen.py"]) == "generated (its header says so)"
    second = scan(tmp_path, first.entries)
    assert second.skipped == first.skipped and second.reused == 2


def test_unreadable_file_is_skipped_not_fatal(tmp_path: Path):
    if os.geteuid() == 0:
        # root reads anything: make the file vanish between listing and reading instead.
        (tmp_path / "gone.py").symlink_to(tmp_path / "missing-target.py")
    else:
        (tmp_path / "gone.py").write_text("x = 1\n")
        (tmp_path / "gone.py").chmod(0)
    (tmp_path / "fine.py").write_text("x = 1\n")
    result = scan(tmp_path, {})
    assert result.skipped["gone.py"].startswith("unreadable: ")
    assert "gone.py" not in result.entries and "fine.py" in result.entries


def test_parallel_scan_equals_serial(rust_repo: Path, python_repo: Path, monkeypatch: pytest.MonkeyPatch):
    serial = scan(python_repo, {}, workers=1)
    monkeypatch.setattr(build, "PARALLEL_MIN_BYTES", 0)
    seen: list[tuple[int, int]] = []
    parallel = scan(python_repo, {}, workers=2, progress=lambda done, total: seen.append((done, total)))
    assert parallel.entries == serial.entries
    assert seen and seen[-1] == (10, 10)


def test_progress_is_reported_in_process(python_repo: Path):
    seen: list[tuple[int, int]] = []
    scan(python_repo, {}, workers=1, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (10, 10)
