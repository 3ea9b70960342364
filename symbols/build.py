"""Bringing index entries up to date: find what changed since the cache, scope it.

Change detection is stat-first: a file whose (mtime_ns, size, inode) match
its cache entry is not even opened. A file whose stat changed is read and
hashed; only a new content hash is scoped. Scoping a big batch fans out over
processes (tree-sitter parsing holds the GIL, so threads would not help).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import stat
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from symbols.cache import Entry, pack
from symbols.files import MAX_FILE_BYTES, candidate_files, skip_reason
from symbols.scope import content_hash, scope_source

Progress = Callable[[int, int], None]
SKIP_PREFIX = "skip:"
# Below this much source to scope, a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 2_000_000
_CHUNKS_PER_WORKER = 6

# (path, entry or None when unreadable, reason it was skipped or None)
_Result = tuple[str, "Entry | None", "str | None"]


@dataclass(slots=True)
class Scan:
    """The outcome of one pass over a repository."""

    entries: dict[str, Entry] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    reused: int = 0
    rescoped: int = 0
    changed: bool = False


def skipped_reason(entry: Entry) -> str | None:
    digest = entry[3]
    return digest[len(SKIP_PREFIX):] if digest.startswith(SKIP_PREFIX) else None


def scope_file(root: str, rel: str, old: Entry | None) -> _Result:
    """Read, hash and (when new) scope one file. Runs in worker processes too."""
    full = os.path.join(root, rel)
    try:
        info = os.stat(full)
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        if info.st_size > MAX_FILE_BYTES:
            reason = f"larger than {MAX_FILE_BYTES} bytes"
            return rel, (*key, SKIP_PREFIX + reason, b""), reason
        with open(full, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return rel, None, f"unreadable: {exc.strerror or exc}"
    reason = skip_reason(len(data), data[:2048])
    if reason is not None:
        return rel, (*key, SKIP_PREFIX + reason, b""), reason
    digest = content_hash(data)
    if old is not None and old[3] == digest and old[4]:
        return rel, (*key, digest, old[4]), None
    return rel, (*key, digest, pack(scope_source(rel, data))), None


def _scope_batch(root: str, batch: Sequence[tuple[str, Entry | None]]) -> list[_Result]:
    return [scope_file(root, rel, old) for rel, old in batch]


def _balanced(jobs: list[tuple[str, Entry | None, int]], count: int) -> list[list[tuple[str, Entry | None]]]:
    # Longest-processing-time-first: biggest files spread first, so one
    # worker does not end up alone with the three largest files.
    bins: list[list[tuple[str, Entry | None]]] = [[] for _ in range(count)]
    loads = [0] * count
    for rel, old, size in sorted(jobs, key=lambda job: -job[2]):
        target = loads.index(min(loads))
        bins[target].append((rel, old))
        loads[target] += size + 4096
    return [b for b in bins if b]


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork is fastest (workers inherit the imported grammars) but unsafe once
    # the parent runs other threads; forkserver is the safe fallback.
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _scope_all(
    root: str,
    jobs: list[tuple[str, Entry | None, int]],
    workers: int,
    progress: Progress | None,
) -> list[_Result]:
    total = len(jobs)
    if workers <= 1 or sum(size for _, _, size in jobs) < PARALLEL_MIN_BYTES or total < 2 * workers:
        results: list[_Result] = []
        for done, (rel, old, _) in enumerate(jobs, 1):
            results.append(scope_file(root, rel, old))
            if progress is not None and (done % 50 == 0 or done == total):
                progress(done, total)
        return results
    batches = _balanced(jobs, workers * _CHUNKS_PER_WORKER)
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures: dict[Future[list[_Result]], Sequence[tuple[str, Entry | None]]] = {
            pool.submit(_scope_batch, root, batch): batch for batch in batches
        }
        for future in as_completed(futures):
            try:
                results.extend(future.result())
            except Exception:  # noqa: BLE001 - a dead worker must not lose the batch
                # A crashed worker (or a broken pool) costs time, not files.
                results.extend(_scope_batch(root, futures[future]))
            if progress is not None:
                progress(len(results), total)
    return results


def scan(
    root: Path,
    cached: dict[str, Entry],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Scan:
    """Entries for every current source file of `root`, reusing `cached` where valid."""
    root_str = str(root)
    out = Scan()
    jobs: list[tuple[str, Entry | None, int]] = []
    for rel in candidate_files(root):
        try:
            info = os.stat(os.path.join(root_str, rel))
        except OSError as exc:
            out.skipped[rel] = f"unreadable: {exc.strerror or exc}"
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        old = cached.get(rel)
        if old is not None and old[0] == info.st_mtime_ns and old[1] == info.st_size and old[2] == info.st_ino:
            out.entries[rel] = old
            reason = skipped_reason(old)
            if reason is not None:
                out.skipped[rel] = reason
            out.reused += 1
        else:
            jobs.append((rel, old, info.st_size))
    if jobs:
        for rel, entry, reason in _scope_all(root_str, jobs, workers or os.cpu_count() or 1, progress):
            if reason is not None:
                out.skipped[rel] = reason
            if entry is not None:
                out.entries[rel] = entry
        out.rescoped = len(jobs)
    out.changed = bool(jobs) or len(out.entries) != len(cached)
    return out
