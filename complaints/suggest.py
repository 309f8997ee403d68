"""Suggesting a complaint's category by meaning, the way the catalog answers questions.

Each category is one document of the catalog's hybrid index (catalog/index.py): BM25 over its name,
description, keywords and example complaints, and the multilingual embedding of its description
and each example. The keyword lists stay a signal of their own (``intake.keyword_scores``). When no
category scores well enough the suggester says so, and the conversation offers the whole list
instead of three categories that were never really suggested.

The examples are data: seeded from ``complaints/data/examples.yml`` and grown by officers'
corrections after review (``workflow.recategorize``, ``loket categories review``). Constants were
fitted on tests/data/complaints_dev.yml with ``bench/fit_categories.py``; the held-out set was not
used to choose them (docs/performance.md).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bot.db import Database
from catalog.encoders import CachedEncoder, Encoder
from catalog.index import Document, HybridIndex, Scoring
from catalog.live import LiveCatalog
from complaints import intake
from complaints.models import Category, CategoryExample, ExampleStatus
from nlu.framing import strip_courtesy

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CategoryPolicy:
    """How the signals are combined and when a suggestion is made at all."""

    dense_weight: float = 0.5  # inside the hybrid score
    bm25_half: float = 6.0
    keyword_weight: float = 0.1  # how much the keyword lists add on top
    keyword_half: float = 2.0  # matched keyword words that count as half the keyword signal
    suggest_at: float = 0.54  # below: nothing fits well enough to suggest


@dataclass(frozen=True)
class CategoryText:
    """What the suggester knows of one category."""

    slug: str
    name: str
    description: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Suggested:
    """One category and its score for a complaint."""

    slug: str
    name: str
    score: float


@dataclass(frozen=True)
class Suggestions:
    """The ranked categories of one complaint; ``confident`` is False when none fits well."""

    ranked: list[Suggested]
    confident: bool

    @property
    def offered(self) -> list[str]:
        """The three categories to offer, best first (none when nothing fits: the whole list is
        shown instead)."""
        return [suggested.slug for suggested in self.ranked[:3]] if self.confident else []


class CategorySuggester:
    """Scores every category for a complaint text."""

    def __init__(
        self,
        categories: list[CategoryText],
        encoder: Encoder,
        policy: CategoryPolicy = CategoryPolicy(),
        row_encoder: Encoder | None = None,
    ) -> None:
        self.categories = {category.slug: category for category in categories}
        self.policy = policy
        documents = [
            Document(
                category.slug,
                "\n".join([category.name, category.description, *category.keywords, *category.examples]),
                (category.description, *category.examples),
            )
            for category in categories
        ]
        scoring = Scoring(dense_weight=policy.dense_weight, bm25_half=policy.bm25_half)
        self.index = HybridIndex(documents, encoder, scoring, row_encoder)

    def scores(self, text: str) -> dict[str, float]:
        """Every category's combined score for ``text``."""
        fused = {
            candidate.id: candidate.score for candidate in self.index.score(text, dense_part=_gist(text))
        }
        keywords = intake.keyword_scores(
            [(slug, category.keywords) for slug, category in self.categories.items()], text
        )
        half = self.policy.keyword_half
        return {
            slug: score
            + self.policy.keyword_weight * (keywords.get(slug, 0.0) / (keywords.get(slug, 0.0) + half))
            for slug, score in fused.items()
        }

    def suggest(self, text: str) -> Suggestions:
        """The categories ranked for ``text``, and whether the best one fits well enough to suggest."""
        scores = self.scores(text)
        order = sorted(scores, key=lambda slug: -scores[slug])
        ranked = [Suggested(slug, self.categories[slug].name, scores[slug]) for slug in order]
        confident = bool(ranked) and ranked[0].score >= self.policy.suggest_at
        return Suggestions(ranked, confident)


# Embedding costs about 0.6 ms a token: a long complaint is embedded by its first words after the
# greeting (where citizens say what is wrong), and matched lexically in full. On the development set
# the first 14 words place complaints as well as the first 24 (top-1 0.941 against 0.943, top-3 the
# same) at two thirds of the time (docs/performance.md).
GIST_WORDS = 14


def _gist(text: str) -> str:
    return " ".join((strip_courtesy(text) or text).split()[:GIST_WORDS])


def category_texts(db: Database) -> list[CategoryText]:
    """Every category with its accepted examples, as the suggester indexes them."""
    with db.reading() as session:
        categories = list(session.scalars(select(Category).order_by(Category.id)))
        examples: dict[int, list[str]] = {}
        for category_id, text in session.execute(
            select(CategoryExample.category_id, CategoryExample.text)
            .where(CategoryExample.status == ExampleStatus.ACCEPTED)
            .order_by(CategoryExample.id)
        ):
            examples.setdefault(category_id, []).append(text)
        return [
            CategoryText(
                category.slug,
                category.name,
                category.description or "",
                tuple(category.keywords or ()),
                tuple(examples.get(category.id, ())),
            )
            for category in categories
        ]


def generation(db: Database) -> tuple[object, ...]:
    """What changes when a category or its accepted examples change (cheap: one small read)."""
    with db.reading() as session:
        columns = (Category.id, Category.slug, Category.name, Category.description, Category.keywords)
        categories = tuple(tuple(row) for row in session.execute(select(*columns).order_by(Category.id)))
        examples = session.execute(
            select(func.count(), func.max(CategoryExample.id), func.max(CategoryExample.reviewed_at)).where(
                CategoryExample.status == ExampleStatus.ACCEPTED
            )
        ).one()
    return (hash(repr(categories)), *examples)


class LiveCategories:
    """The suggester over the categories as they are now; rebuilt when a category or an accepted
    example changes (administrators' edits and reviewed corrections take effect at once)."""

    def __init__(self, db: Database, encoder: Encoder, cache_file: Path | None = None) -> None:
        self.db = db
        self._rows = CachedEncoder(encoder, cache_file)
        self._encoder = encoder
        self._lock = threading.Lock()
        self._built: tuple[tuple[object, ...], CategorySuggester] | None = None

    @classmethod
    def beside(cls, catalog: LiveCatalog) -> LiveCategories:
        """Categories matched with the live catalog's encoder (one model in memory), their vectors
        cached beside the catalog's."""
        cache = (
            catalog.cache_file.with_name("category-" + catalog.cache_file.name)
            if catalog.cache_file
            else None
        )
        return cls(catalog.db, catalog.encoder, cache)

    def current(self) -> CategorySuggester:
        """The suggester for the categories as stored now."""
        current = generation(self.db)
        built = self._built
        if built is not None and built[0] == current:
            return built[1]
        with self._lock:
            if self._built is None or self._built[0] != current:
                texts = category_texts(self.db)
                suggester = CategorySuggester(texts, self._encoder, row_encoder=self._rows)
                self._rows.save()
                self._built = (current, suggester)
                logger.info("category suggester built: %s categories", len(texts))
            return self._built[1]

    def suggest(self, text: str) -> Suggestions:
        """The categories ranked for ``text`` (see ``CategorySuggester.suggest``)."""
        return self.current().suggest(text)
