"""Indexing speed against universal-ctags, measured in one run.

    python -m bench.index [--mirrors /work/mirrors] [--rust DIR] [--edits 100]

Trees: the CPython standard library of the running interpreter (copied to a
temp dir without site-packages, so both tools see the same files), a large
third-party Python tree (sympy, checked out from a local mirror) and the
largest Rust tree on the machine (rustc's sources from Debian's `rust-src`
package, or --rust DIR). For each: ctags to a file, our cold index (empty
cache, one process per core), our warm re-index (same cache, nothing
changed), and the tree-sitter parse-only floor with the same processes.
Then p50 of single-file incremental updates over --edits edits of a ~200 KB
file. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from symbols import build
from symbols.files import candidate_files
from symbols.index import RepoIndex
from symbols.languages import language_for_path
from symbols.scope import parse, scope_source

_IDENTIFIER = re.compile(rb"\b[a-z_][a-z0-9_]{2,}\b")


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ctags(root: Path, language: str, out: Path) -> tuple[float, int]:
    started = time.perf_counter()
    subprocess.run(
        ["ctags", "-R", f"--languages={language}", "-f", str(out), str(root)],
        check=True, capture_output=True,
    )
    seconds = time.perf_counter() - started
    tags = sum(1 for line in out.read_text(errors="replace").splitlines() if not line.startswith("!_"))
    return seconds, tags


def _parse_batch(root: str, paths: list[str]) -> int:
    total = 0
    for rel in paths:
        language = language_for_path(rel)
        with open(os.path.join(root, rel), "rb") as handle:
            data = handle.read()
        if language is not None and len(data) <= 1_000_000:
            parse(language, data)
            total += len(data)
    return total


def parse_floor(root: Path, paths: list[str], workers: int) -> tuple[float, int]:
    """Parse (no scoping, no cache) every file with the index's process layout."""
    started = time.perf_counter()
    chunks = [paths[i::workers * 6] for i in range(workers * 6)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=build._pool_context()) as pool:
        total = sum(pool.map(_parse_batch, [str(root)] * len(chunks), chunks))
    return time.perf_counter() - started, total


def measure_tree(name: str, root: Path, language: str, workers: int, work: Path) -> dict[str, object]:
    lang = "python" if language == "Python" else "rust"
    ctags_s, tags = ctags(root, language, work / f"{name}.tags")
    ctags_rss = _children_rss_mb()
    paths = [p for p in candidate_files(root) if language_for_path(p).name == lang]  # type: ignore[union-attr]
    cache_dir = work / f"{name}-cache"
    started = time.perf_counter()
    index = RepoIndex.build(root, cache_dir=cache_dir, workers=workers)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    warm_index = RepoIndex.build(root, cache_dir=cache_dir, workers=workers)
    warm = time.perf_counter() - started
    floor, parsed_bytes = parse_floor(root, paths, workers)
    symbols = sum(len(warm_index.file(p).symbols) for p in warm_index.paths() if language_for_path(p).name == lang)  # type: ignore[union-attr]
    files = [p for p in index.paths() if language_for_path(p).name == lang]  # type: ignore[union-attr]
    return {
        "files": len(files),
        "megabytes": round(parsed_bytes / 1e6, 1),
        "symbols": symbols,
        "ctags_tags": tags,
        "ctags_s": round(ctags_s, 3),
        "cold_s": round(cold, 3),
        "warm_s": round(warm, 3),
        "parse_floor_s": round(floor, 3),
        "cold_vs_ctags": round(cold / ctags_s, 2),
        "warm_vs_ctags": round(warm / ctags_s, 3),
        "parse_floor_vs_ctags": round(floor / ctags_s, 2),
        "cold_vs_parse_floor": round(cold / floor, 2),
        "ctags_peak_rss_mb": round(ctags_rss, 1),
        "skipped": len(index.skipped()),
    }


def _edit(source: bytes, rng: random.Random, spans: list[tuple[int, int]], serial: int, keywords: frozenset[bytes]) -> bytes:
    """Rename one identifier occurrence (not a keyword) inside a random function."""
    for _ in range(50):
        start, end = rng.choice(spans)
        words = [w for w in _IDENTIFIER.finditer(source, start, end) if w.group(0) not in keywords]
        if words:
            word = rng.choice(words)
            return source[: word.start()] + word.group(0) + b"_%d" % serial + source[word.end() :]
    return source + b"\n"


def incremental(root: Path, rel: str, edits: int, work: Path, seed: int = 7) -> dict[str, object]:
    """Edit one file of `root` `edits` times through a RepoIndex holding just that file."""
    alone = work / f"incremental-{Path(rel).suffix[1:]}"
    (alone / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / rel, alone / rel)
    index = RepoIndex.build(alone, use_cache=False, workers=1)
    source = (alone / rel).read_bytes()
    language = language_for_path(rel)
    assert language is not None
    rng = random.Random(seed)
    spans = [(s.start_byte, s.end_byte) for s in index.file(rel).symbols[1:] if s.kind.value in ("function", "method")]
    started = time.perf_counter()
    index.update(rel, source)  # first touch in this process: a full parse
    first = time.perf_counter() - started
    times: list[float] = []
    for serial in range(edits):
        source = _edit(source, rng, spans, serial, language.keywords)
        started = time.perf_counter()
        index.update(rel, source)
        times.append(time.perf_counter() - started)
        # Spans drift by a few bytes per rename; refresh them from the index.
        spans = [(s.start_byte, s.end_byte) for s in index.file(rel).symbols[1:] if s.kind.value in ("function", "method")]
    assert index.file(rel) == scope_source(rel, source), "incremental result differs from a full scope"
    full_times = []
    for _ in range(5):
        started = time.perf_counter()
        scope_source(rel, source)
        full_times.append(time.perf_counter() - started)
    times.sort()
    full = sorted(full_times)[len(full_times) // 2]
    p50 = times[len(times) // 2]
    return {
        "file": rel,
        "bytes": len(source),
        "edits": edits,
        "p50_ms": round(p50 * 1000, 2),
        "p90_ms": round(times[int(len(times) * 0.9)] * 1000, 2),
        "first_update_ms": round(first * 1000, 2),
        "full_rescope_ms": round(full * 1000, 2),
        "incremental_vs_full": round(p50 / full, 3),
    }


def _copy_stdlib(target: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(
        stdlib, target,
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc", "*.so", "*.a"),
        symlinks=True,
    )
    return target


def _largest_rust_tree() -> Path | None:
    candidates = sorted(Path("/usr/src").glob("rustc-*"))
    candidates += sorted(Path.home().glob(".rustup/toolchains/*/lib/rustlib/src/rust"))
    registry = Path.home() / ".cargo/registry/src"
    if registry.is_dir():
        candidates.append(registry)
    best, best_count = None, 0
    for candidate in candidates:
        count = sum(1 for _ in candidate.rglob("*.rs"))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _near(root: Path, paths: list[str], size: int) -> str:
    """A ~`size` file of ordinary source: of the files within 25% of `size`,
    the one with the most definitions (not one giant generated function)."""
    near = [p for p in paths if abs((root / p).stat().st_size - size) <= size // 4]
    if not near:
        return min(paths, key=lambda p: abs((root / p).stat().st_size - size))
    definitions = re.compile(rb"^\s*(?:pub(?:\([^)]*\))? )?(?:async )?(?:def|fn|class|impl|struct) ", re.M)
    return max(near, key=lambda p: (len(definitions.findall((root / p).read_bytes())), p))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.index", description="Index speed vs universal-ctags.")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/mirrors"), help="local git mirrors (for sympy)")
    parser.add_argument("--python-repo", default="sympy/sympy", help="large Python tree to check out from --mirrors")
    parser.add_argument("--rust", type=Path, help="a large Rust tree (default: the largest found)")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if shutil.which("ctags") is None:
        print("bench.index needs universal-ctags (./scripts/setup test installs it)", file=sys.stderr)
        return 2
    result: dict[str, object] = {"workers": args.workers, "python": sys.version.split()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        work = Path(tmp)
        stdlib = _copy_stdlib(work / "stdlib")
        result["stdlib"] = measure_tree("stdlib", stdlib, "Python", args.workers, work)
        try:
            from swarm.evaluation.mirrors import clone_at, mirror_path

            mirror_path(args.mirrors, args.python_repo)
            head = subprocess.run(
                ["git", "--git-dir", str(mirror_path(args.mirrors, args.python_repo)), "rev-parse", "HEAD"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
            big = clone_at(args.mirrors, args.python_repo, head, work / "python-repo")
            result[args.python_repo] = measure_tree("pyrepo", big, "Python", args.workers, work)
        except Exception as exc:  # noqa: BLE001 - report, keep measuring the rest
            result[args.python_repo] = {"error": str(exc)}
        rust = args.rust or _largest_rust_tree()
        if rust is None:
            result["rust"] = {"error": "no large Rust tree on this machine (apt-get install rust-src provides one)"}
        else:
            result["rust"] = {"root": str(rust), **measure_tree("rust", rust, "Rust", args.workers, work)}
        py_files = [p for p in candidate_files(stdlib) if p.endswith(".py")]
        result["incremental"] = incremental(stdlib, _near(stdlib, py_files, 200_000), args.edits, work)
        if rust is not None:
            rs_files = [p for p in candidate_files(rust) if p.endswith(".rs")]
            result["incremental_rust"] = incremental(rust, _near(rust, rs_files, 200_000), args.edits, work)
    result["peak_rss_mb"] = round(_self_rss_mb(), 1)
    result["peak_worker_rss_mb"] = round(_children_rss_mb(), 1)
    stdlib_figures = result["stdlib"]
    assert isinstance(stdlib_figures, dict)
    result["cold_vs_ctags"] = stdlib_figures["cold_vs_ctags"]
    result["warm_vs_ctags"] = stdlib_figures["warm_vs_ctags"]
    result["parse_floor_vs_ctags"] = stdlib_figures["parse_floor_vs_ctags"]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
