"""The symbols a run touched, gathered from its evidence in order of first
sight: traced calls (a journal), backtrace frames, the test functions that
ran, calls named on a panicking line. Better evidence replaces weaker:
counted calls > backtrace frames > "this test ran" / "named on that line"."""

from __future__ import annotations

from dataclasses import dataclass, field

from editor_harness.tracing.journal import Journal
from editor_harness.tracing.model import CallSample, Evidence, TracedSymbol
from editor_harness.tracing.symbol_map import SymbolMap
from symbols.errors import SymbolsError
from symbols.model import Symbol

_RANK: dict[Evidence, int] = {"call": 3, "backtrace": 2, "test": 1, "panic-line": 0}


@dataclass
class _Entry:
    symbol: Symbol
    evidence: Evidence
    calls: int = 0
    samples: list[CallSample] = field(default_factory=list)
    is_test: bool = False


class CallTable:
    def __init__(self, max_samples: int) -> None:
        self.max_samples = max_samples
        self._entries: dict[str, _Entry] = {}
        self.lower_bounds = False  # some counts are only "at least"

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, symbol_id: str) -> bool:
        return symbol_id in self._entries

    def add(self, symbol: Symbol, evidence: Evidence, calls: int = 1, is_test: bool = False) -> None:
        entry = self._entries.get(symbol.id)
        if entry is None:
            self._entries[symbol.id] = _Entry(symbol, evidence, calls, is_test=is_test)
            return
        entry.is_test = entry.is_test or is_test
        if _RANK[evidence] > _RANK[entry.evidence]:
            entry.evidence, entry.calls = evidence, calls
        elif evidence == entry.evidence and evidence in ("call", "backtrace"):
            entry.calls += calls

    def add_journal(self, symbols: SymbolMap, journal: Journal) -> None:
        """Every code object the journal saw, mapped to its symbol."""
        by_key: dict[int, _Entry] = {}
        for code in journal.codes:
            symbol = _code_symbol(symbols, code.symbol_id, code.path, code.line, code.body and code.name == "<module>")
            if symbol is None:
                continue
            calls = journal.counts.get(code.key, 0) if journal.counts is not None else 0
            self.add(symbol, "call", calls)
            by_key[code.key] = self._entries[symbol.id]
        for sample in journal.samples:
            entry = by_key.get(sample.key)
            if entry is None:
                continue
            if journal.counts is None:
                entry.calls += 1  # sampled calls are the only ones known
                self.lower_bounds = True
            if len(entry.samples) < self.max_samples:
                entry.samples.append(CallSample(sample.args, sample.returned, sample.raised, sample.yielded))
        for test in journal.tests:
            symbol = symbols.at(test.path, test.line)
            if symbol is not None and symbol.id in self._entries:
                self._entries[symbol.id].is_test = True

    def traced(self, limit: int) -> tuple[TracedSymbol, ...]:
        return tuple(
            TracedSymbol(
                symbol_id=e.symbol.id,
                calls=max(e.calls, 1) if e.evidence in ("call", "backtrace", "test") else e.calls,
                first_calls=tuple(e.samples),
                is_test=e.is_test,
                evidence=e.evidence,
            )
            for e in list(self._entries.values())[:limit]
        )


def _code_symbol(symbols: SymbolMap, symbol_id: str | None, path: str, line: int, module: bool) -> Symbol | None:
    if symbol_id:
        try:
            return symbols.index.symbol(symbol_id)
        except SymbolsError:
            return None
    return symbols.module(path) if module else symbols.at(path, line)
