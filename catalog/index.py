"""Hybrid retrieval: BM25 on stemmed terms plus dense vectors, fused per document.

``HybridIndex`` scores any set of documents (each one BM25 text and several short dense rows; a
document's dense score is its best row); complaint categories use it too. ``CatalogIndex`` is it over
the catalog. Each service is one BM25 document (title, aliases, summary, product, example questions, English
title and summary) and several dense rows (the title, each example question, the English title);
a service's dense score is its best row. The two scores are fused as
a weighted sum after putting BM25 on a 0..1 scale with a saturating transform, so an absolute
score (not just a rank) is left to decide whether anything fits at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import bm25s
import numpy as np

from catalog.encoders import Encoder, Vectors
from catalog.schema import ServiceContent
from nlu.lexical import split_joined, terms_of
from nlu.normalize import normalize, tokenize

Method = Literal["bm25", "dense", "hybrid"]


@dataclass(frozen=True)
class Scoring:
    """How scores are combined; fitted on the development set (docs/performance.md)."""

    dense_weight: float = 0.6
    bm25_half: float = 6.0  # the BM25 score that maps to 0.5 on the lexical scale


@dataclass(frozen=True)
class Candidate:
    """One document's score for a query."""

    id: str
    score: float
    dense: float
    lexical: float

    @property
    def service_id(self) -> str:
        """The catalog's name for the document id."""
        return self.id


@dataclass(frozen=True)
class Document:
    """What one scored thing (a service, a complaint category) is matched by."""

    id: str
    lexical: str  # the text BM25 matches against
    rows: tuple[str, ...]  # the short texts a question's vector is compared with


def lexical_document(entry: ServiceContent) -> str:
    """All text of an entry that BM25 matches against."""
    english = entry.translations["en"]
    parts = [entry.title, *entry.aliases, entry.summary, entry.product, *entry.example_questions]
    return "\n".join([*parts, english.title, english.summary])


def dense_rows(entry: ServiceContent) -> list[str]:
    """The short texts a question is compared with, one vector each.

    Aliases and the summary are left to BM25: embedding them too cost 43% more indexing time for
    no gain on the development set (bench notes in docs/performance.md).
    """
    return [entry.title, *entry.example_questions, entry.translations["en"].title]


class HybridIndex:
    """Scores every document for a question."""

    def __init__(
        self,
        documents: list[Document],
        encoder: Encoder,
        scoring: Scoring = Scoring(),
        row_encoder: Encoder | None = None,
    ) -> None:
        """Index ``documents``; ``row_encoder`` (e.g. a vector cache) encodes the document side."""
        self.ids = [document.id for document in documents]
        self.encoder = encoder
        self.scoring = scoring
        tokenized = [tokenize(document.lexical) for document in documents]
        self.vocabulary = frozenset(token.text for tokens in tokenized for token in tokens)
        corpus = [terms_of(tokens) or ["_"] for tokens in tokenized]
        self._terms = {doc.id: frozenset(terms) for doc, terms in zip(documents, corpus, strict=True)}
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)
        rows = [
            (number, normalize(text)) for number, document in enumerate(documents) for text in document.rows
        ]
        self._row_service = np.array([number for number, _ in rows], dtype=np.int64)
        self._rows: Vectors = (row_encoder or encoder).encode([text for _, text in rows])

    def __len__(self) -> int:
        return len(self.ids)

    def score(
        self, question: str, method: Method = "hybrid", dense_part: str | None = None
    ) -> list[Candidate]:
        """Every document scored for ``question``, best first; ``dense_part``, when given, is the part
        of the question that is embedded (all of it is matched lexically)."""
        if not self.ids:
            return []
        lexical = self._lexical(question) if method != "dense" else np.zeros(len(self.ids))
        dense = self._dense(dense_part or question) if method != "bm25" else np.zeros(len(self.ids))
        if method == "bm25":
            fused = lexical
        elif method == "dense":
            fused = dense
        else:
            fused = self.scoring.dense_weight * dense + (1 - self.scoring.dense_weight) * lexical
        order = np.argsort(-fused, kind="stable")
        return [Candidate(self.ids[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in order]

    def foreign_share(self, question: str, document_id: str) -> float:
        """The share of the question's terms that the document's text never uses (0 = all covered)."""
        query = self._query_terms(question)
        if not query:
            return 0.0
        covered = self._terms[document_id]
        return sum(term not in covered for term in query) / len(query)

    @lru_cache(maxsize=4096)  # noqa: B019  (one index lives as long as its cache should)
    def _query_terms(self, question: str) -> tuple[str, ...]:
        words = [part for token in tokenize(question) for part in split_joined(token.text, self.vocabulary)]
        return tuple(terms_of(tokenize(" ".join(words))))

    def _lexical(self, question: str) -> np.ndarray:
        known = [term for term in self._query_terms(question) if term in self._bm25.vocab_dict]
        if not known:
            return np.zeros(len(self.ids))
        raw = np.asarray(self._bm25.get_scores(known), dtype=np.float64)
        return raw / (raw + self.scoring.bm25_half)

    def query_vector(self, question: str) -> np.ndarray:
        """The question's dense vector (remembered: the same question is often asked again)."""
        return self._query_vector(normalize(question))

    @lru_cache(maxsize=4096)  # noqa: B019  (one index lives as long as its cache should)
    def _query_vector(self, normalized: str) -> Vectors:
        vector: Vectors = self.encoder.encode([normalized])[0]
        return vector

    def _dense(self, question: str) -> np.ndarray:
        similarities = self._rows @ self.query_vector(question)
        best = np.full(len(self.ids), -1.0)
        np.maximum.at(best, self._row_service, similarities)
        return best


class CatalogIndex(HybridIndex):
    """Scores every published service for a question."""

    def __init__(
        self,
        entries: list[ServiceContent],
        encoder: Encoder,
        scoring: Scoring = Scoring(),
        row_encoder: Encoder | None = None,
    ) -> None:
        """Index ``entries``; ``row_encoder`` (e.g. a vector cache) encodes the catalog side."""
        self.entries = {entry.id: entry for entry in entries}
        documents = [
            Document(entry.id, lexical_document(entry), tuple(dense_rows(entry))) for entry in entries
        ]
        super().__init__(documents, encoder, scoring, row_encoder)
