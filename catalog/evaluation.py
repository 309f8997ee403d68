"""Measuring retrieval on a question set: what `loket eval retrieval FILE` prints."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalog.index import Method
from catalog.retrieval import Retrieval, Retriever


@dataclass(frozen=True)
class Item:
    """A question and what should come back: service ids, or none when nothing fits."""

    text: str
    expected: frozenset[str] | None


def load_items(path: Path) -> list[Item]:
    """Read YAML items ``{text, expected}`` (expected: an id, a list of ids, or null)."""
    return [Item(text, ids) for text, ids in load_labelled(path, "expected")]


def load_labelled(path: Path, label: str) -> list[tuple[str, frozenset[str] | None]]:
    """Read a YAML list of ``{text, <label>}`` items; the label is an id, a list of ids, or null."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a YAML list of {{text, {label}}} items")
    items = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) or label not in entry:
            raise ValueError(f"{path}: item {number} needs 'text' and '{label}'")
        value = entry[label]
        ids = None if value is None else frozenset([value] if isinstance(value, str) else value)
        items.append((entry["text"], ids))
    return items


@dataclass
class Report:
    """Scores over a question set (see docs/performance.md for the definitions)."""

    top1: float
    top3: float
    mrr: float
    abstain: float
    p50_ms: float
    p95_ms: float
    n: int
    misses: list[str]

    def line(self) -> str:
        """The summary line other tools parse."""
        return (
            f"top1={self.top1:.3f} top3={self.top3:.3f} mrr={self.mrr:.3f} abstain={self.abstain:.3f} "
            f"p50_ms={self.p50_ms:.1f} p95_ms={self.p95_ms:.1f} n={self.n}"
        )


def evaluate(retriever: Retriever, items: list[Item], method: Method = "hybrid") -> Report:
    """Run every item; an abstention on an in-catalog question counts as a miss at every rank."""
    ranks: list[int | None] = []
    abstained: list[bool] = []
    latencies: list[float] = []
    misses: list[str] = []
    for item, outcome, elapsed in _timed(retriever, items, method):
        latencies.append(elapsed)
        shown = outcome.ranked_ids
        if item.expected is None:
            abstained.append(outcome.decision == "abstain")
            if outcome.decision != "abstain":
                misses.append(f"MISS answered {shown[:1]} for no-fit question: {item.text}")
            continue
        rank = next((position for position, sid in enumerate(shown, start=1) if sid in item.expected), None)
        ranks.append(rank)
        if rank != 1:
            what = "abstained" if outcome.decision == "abstain" else f"got {shown[:3]}"
            misses.append(f"MISS {what} expected {sorted(item.expected)}: {item.text}")
    answered = len(ranks) or 1
    return Report(
        top1=sum(rank == 1 for rank in ranks) / answered,
        top3=sum(rank is not None and rank <= 3 for rank in ranks) / answered,
        mrr=sum(1 / rank for rank in ranks if rank) / answered,
        abstain=(sum(abstained) / len(abstained)) if abstained else 1.0,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        n=len(items),
        misses=misses,
    )


def _timed(
    retriever: Retriever, items: list[Item], method: Method
) -> Iterator[tuple[Item, Retrieval, float]]:
    for item in items:
        started = time.perf_counter()
        outcome = retriever.retrieve(item.text, method)
        yield item, outcome, (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]
