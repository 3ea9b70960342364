"""Localization quality on SWE-bench Lite instances, against a BM25 baseline.

    python -m bench.locate --instances ../shared/bench/swe-lite-dev.jsonl --mirrors /work/mirrors

For each instance whose repo has a local mirror: check the repo out at
`base_commit`, index it, run `locate` on the problem statement, and score
against the gold patch (gold files: files the patch changes; gold symbols:
innermost symbols whose pre-image spans hold a changed line, see
bench/gold.py). The baseline, in the same run: BM25 over each file's whole
text (files), and BM25 over each symbol's own text (symbols), with the same
tokenizer. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.gold import gold_symbols, parse_patch
from symbols.bm25 import Bm25
from symbols.index import RepoIndex
from symbols.locate import rank
from symbols.tokens import terms

SYMBOL_KS = (5, 10, 20)


class CheckoutFailed(Exception):
    pass


def _git(*args: str, cwd: Path) -> None:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise CheckoutFailed(result.stderr.strip().splitlines()[0] if result.stderr.strip() else "git failed")


def checkout(mirrors: Path, repo: str, commit: str, workdir: Path) -> Path:
    """One reusable checkout per repo under `workdir`, moved to `commit`.

    Reusing it (instead of a fresh clone per instance) lets the index cache
    do its job: only files that differ between commits are re-scoped.
    """
    from swarm.evaluation.mirrors import mirror_path

    target = workdir / "checkouts" / repo.replace("/", "+")
    if not (target / ".git").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _git("clone", "--quiet", "--shared", "--no-checkout", str(mirror_path(mirrors, repo)), str(target), cwd=workdir)
        # Source files only: some mirrors lack the blobs of big data files,
        # and the index reads nothing else anyway.
        _git("sparse-checkout", "set", "--no-cone", "*.py", "*.pyi", "*.rs", ".gitignore", cwd=target)
    _git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--force", "--detach", commit, cwd=target)
    _git("clean", "-qfdx", cwd=target)
    return target


def _own_texts(index: RepoIndex, path: str, source: bytes) -> list[str]:
    """Each symbol's own text (its span less its children's), in index order."""
    symbols = index.file(path).symbols
    by_id = {s.id: s for s in symbols}
    out: list[str] = []
    for s in symbols:
        pieces: list[bytes] = []
        position = s.start_byte
        for child_id in s.children:
            child = by_id[child_id]
            pieces.append(source[position : child.start_byte])
            position = max(position, child.end_byte)
        pieces.append(source[position : s.end_byte])
        out.append(b"".join(pieces).decode("utf-8", errors="replace"))
    return out


def baseline(index: RepoIndex, text: str) -> tuple[list[str], list[str]]:
    """(files, symbol ids) ranked by plain BM25 over whole file text / symbol own text."""
    file_docs: list[list[str]] = []
    symbol_docs: list[list[str]] = []
    symbol_ids: list[str] = []
    for path in index.paths():
        source = (index.root / path).read_bytes()
        texts = _own_texts(index, path, source)
        symbol_ids.extend(s.id for s in index.file(path).symbols)
        tokens = [terms(t) for t in texts]
        symbol_docs.extend(tokens)
        file_docs.append([t for doc in tokens for t in doc])
    paths = index.paths()
    file_index, file_vocabulary = Bm25.build(file_docs)
    file_scores = file_index.scores(file_vocabulary.query(text))
    symbol_index, symbol_vocabulary = Bm25.build(symbol_docs)
    symbol_scores = symbol_index.scores(symbol_vocabulary.query(text))
    files = [paths[i] for i in np.argsort(-file_scores, kind="stable")[:20]]
    symbols = [symbol_ids[i] for i in np.argsort(-symbol_scores, kind="stable")[: max(SYMBOL_KS)]]
    return files, symbols


def score(files: list[str], symbols: list[str], gold_files: set[str], gold: set[str]) -> dict[str, float]:
    out = {
        "file_hit@1": float(bool(set(files[:1]) & gold_files)),
        "file_hit@5": float(bool(set(files[:5]) & gold_files)),
    }
    for k in SYMBOL_KS:
        out[f"symbol_any@{k}"] = float(bool(set(symbols[:k]) & gold))
    return out


def run(instances: list[dict], mirrors: Path, workdir: Path, log) -> dict[str, object]:
    from swarm.evaluation.mirrors import MirrorError, mirror_path

    totals: dict[str, float] = {}
    n = skipped = no_gold = 0
    failed: list[str] = []
    skipped_repos: dict[str, int] = {}
    locate_times: list[float] = []
    first_times: list[float] = []
    index_times: list[float] = []
    for instance in instances:
        repo = instance["repo"]
        try:
            mirror_path(mirrors, repo)
        except MirrorError:
            skipped += 1
            skipped_repos[repo] = skipped_repos.get(repo, 0) + 1
            continue
        try:
            root = checkout(mirrors, repo, instance["base_commit"], workdir)
        except CheckoutFailed as exc:
            # The mirror lacks objects for this commit (size-limited snapshot).
            failed.append(instance["instance_id"])
            log(f"{instance['instance_id']}: checkout failed: {exc}")
            continue
        started = time.perf_counter()
        index = RepoIndex.build(root, cache_dir=workdir / "cache" / repo.replace("/", "+"))
        index_times.append(time.perf_counter() - started)
        changes = parse_patch(instance["patch"])
        gold_files = {c.path for c in changes}
        gold = gold_symbols(index, changes)
        if not gold:
            no_gold += 1
        text = instance["problem_statement"]
        started = time.perf_counter()
        rank(index, text)  # first query: builds the index's search data (BM25, graph)
        first_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        ranking = rank(index, text)
        files = [p for p, _ in ranking.files(20)]
        symbols = [s.symbol_id for s in ranking.symbols(max(SYMBOL_KS))]
        locate_times.append(time.perf_counter() - started)
        ours = score(files, symbols, gold_files, gold)
        base_files, base_symbols = baseline(index, text)
        theirs = score(base_files, base_symbols, gold_files, gold)
        for key, value in ours.items():
            totals[key] = totals.get(key, 0.0) + value
        for key, value in theirs.items():
            totals["bm25_" + key] = totals.get("bm25_" + key, 0.0) + value
        n += 1
        log(f"{instance['instance_id']}: ours {ours} bm25 {theirs} gold {sorted(gold)[:3]} top {symbols[:3]}")
    result: dict[str, object] = {key: round(value / n, 4) if n else 0.0 for key, value in sorted(totals.items())}
    result.update(
        n=n,
        skipped=skipped,
        skipped_repos=skipped_repos,
        checkout_failed=failed,
        no_gold_symbol=no_gold,
        locate_p50_s=round(float(np.median(locate_times)), 3) if locate_times else None,
        locate_max_s=round(max(locate_times), 3) if locate_times else None,
        first_locate_p50_s=round(float(np.median(first_times)), 3) if first_times else None,
        first_locate_max_s=round(max(first_times), 3) if first_times else None,
        index_p50_s=round(float(np.median(index_times)), 3) if index_times else None,
        symbol_kinds_counted="innermost symbol of each changed line: function, method, class (own code), module (module-level changes only)",
    )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.locate", description="Localization quality on SWE-bench Lite.")
    parser.add_argument("--instances", type=Path, required=True, help="SWE-bench JSONL")
    parser.add_argument("--mirrors", type=Path, required=True, help="directory of owner+name git mirrors")
    parser.add_argument("--workdir", type=Path, help="keep checkouts and index caches here between runs")
    parser.add_argument("--limit", type=int, help="only the first N instances")
    parser.add_argument("--half", choices=("even", "odd"), help="only every other instance (tuning / held out)")
    parser.add_argument("--verbose", action="store_true", help="one line per instance on stderr")
    args = parser.parse_args(argv)
    instances = [json.loads(line) for line in args.instances.read_text().splitlines() if line.strip()]
    if args.half:
        instances = instances[(0 if args.half == "even" else 1) :: 2]
    if args.limit:
        instances = instances[: args.limit]
    log = (lambda message: print(message, file=sys.stderr, flush=True)) if args.verbose else (lambda message: None)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run(instances, args.mirrors, args.workdir, log)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="bench-locate-"))
        try:
            result = run(instances, args.mirrors, workdir, log)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
