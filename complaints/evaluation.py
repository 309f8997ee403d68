"""Measuring complaint understanding on a labelled set: what `loket eval complaints FILE` prints.

Each item is ``{text, category}``: a category slug, a list of acceptable slugs, or null for a message
that is not a complaint. A complaint is *detected* when the conversation would start the complaint
form for it (``intake.starts_complaint`` on the trained model's intent); the category scores count
the suggestions the citizen is offered (none when the suggester says nothing fits).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from catalog.evaluation import load_labelled, percentile
from complaints import intake
from complaints.suggest import Suggestions

LONG_WORDS = 25  # "long texts" in the intent confusion table


@dataclass(frozen=True)
class Item:
    """A message and its truth: acceptable category slugs, or None when it is not a complaint."""

    text: str
    categories: frozenset[str] | None


def load_items(path: Path) -> list[Item]:
    """Read YAML items ``{text, category}``."""
    return [Item(text, slugs) for text, slugs in load_labelled(path, "category")]


@dataclass
class Report:
    detected: float
    category_top1: float
    category_top3: float
    false_complaint: float
    n: int
    p50_ms: float
    p95_ms: float
    confusion: dict[str, Counter[str]]
    misses: list[str]

    def line(self) -> str:
        """The summary line other tools parse."""
        return (
            f"detected={self.detected:.3f} category_top1={self.category_top1:.3f} "
            f"category_top3={self.category_top3:.3f} false_complaint={self.false_complaint:.3f} n={self.n}"
        )

    def table(self) -> list[str]:
        """The intents the model gave, for complaints and for other messages, all and long ones."""
        intents = sorted({intent for row in self.confusion.values() for intent in row})
        lines = ["intents given:  " + "  ".join(intents)]
        for truth, row in self.confusion.items():
            total = sum(row.values()) or 1
            cells = "  ".join(f"{row[intent] / total:.2f}" for intent in intents)
            lines.append(f"{truth} (n={sum(row.values())}): {cells}")
        return lines


def evaluate(items: list[Item], intents: list[str], suggest: Callable[[str], Suggestions]) -> Report:
    """Score detection (from the model's ``intents``, one per item) and category suggestion."""
    detected: list[bool] = []
    false_alarms: list[bool] = []
    top1: list[bool] = []
    top3: list[bool] = []
    latencies: list[float] = []
    misses: list[str] = []
    confusion: dict[str, Counter[str]] = {
        name: Counter() for name in ("complaint", "complaint, long", "other", "other, long")
    }
    for item, intent in zip(items, intents, strict=True):
        started = time.perf_counter()
        suggestions = suggest(item.text)
        latencies.append((time.perf_counter() - started) * 1000)
        starts = intake.starts_complaint(intent, suggestions.confident)
        truth = "complaint" if item.categories is not None else "other"
        confusion[truth][intent] += 1
        if len(item.text.split()) >= LONG_WORDS:
            confusion[f"{truth}, long"][intent] += 1
        if item.categories is None:
            false_alarms.append(starts)
            if starts:
                misses.append(f"MISS taken for a complaint ({intent}): {item.text}")
            continue
        detected.append(starts)
        offered = suggestions.offered
        top1.append(bool(offered) and offered[0] in item.categories)
        top3.append(any(slug in item.categories for slug in offered))
        if not starts:
            misses.append(f"MISS not detected ({intent}): {item.text}")
        if not top1[-1]:
            shown = offered or "nothing fits"
            misses.append(f"MISS category {shown} expected {sorted(item.categories)}: {item.text}")
    return Report(
        detected=_share(detected),
        category_top1=_share(top1),
        category_top3=_share(top3),
        false_complaint=_share(false_alarms),
        n=len(items),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        confusion=confusion,
        misses=misses,
    )


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0
