"""The catalog as the running bot sees it: built from the database, rebuilt when an entry changes.

Publishing a new version of an entry changes the catalog's generation; the next question notices
and the index is rebuilt (only changed rows are embedded again), so no Rasa retraining and no
restart is needed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from bot.db import Database
from bot.settings import PROJECT_ROOT, Settings
from catalog import store
from catalog.encoders import CachedEncoder, Encoder, load
from catalog.index import CatalogIndex
from catalog.retrieval import Retrieval, Retriever
from catalog.schema import ServiceContent

logger = logging.getLogger(__name__)

CONTENT_DIR = PROJECT_ROOT / "catalog" / "content"
NLU_DATA = PROJECT_ROOT / "nlu" / "data"
NOT_COVERED = PROJECT_ROOT / "catalog" / "not_covered.yml"
OFF_TOPIC = PROJECT_ROOT / "catalog" / "off_topic.yml"
LOCAL_PROGRAMS = PROJECT_ROOT / "catalog" / "local_programs.yml"


def off_topic_examples(folder: Path = NLU_DATA) -> list[str]:
    """The out_of_scope examples Rasa is trained on (every file of its NLU data): what a service
    question is not."""
    return [
        line.strip()[2:].strip()
        for path in sorted(folder.glob("*.yml"))
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]
        if block.get("intent") == "out_of_scope"
        for line in block["examples"].splitlines()
        if line.strip().startswith("- ")
    ]


def topics(path: Path) -> list[str]:
    """A bank of phrases no entry answers: ``not_covered.yml`` (public services the catalog does not
    cover yet; editors remove a topic when they add its entry), ``local_programs.yml`` (provincial,
    city and village programs, and own-case situations no entry answers) and ``off_topic.yml``
    (everyday questions that share words with entries). A question nearer to one of these than to any entry
    is not answered with an entry."""
    phrases: list[str] = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [str(phrase) for phrase in phrases]


@dataclass(frozen=True)
class Snapshot:
    """One built index and the catalog generation it was built from."""

    generation: tuple[int, datetime | None]
    retriever: Retriever
    entries: dict[str, ServiceContent]
    built_seconds: float


class LiveCatalog:
    """Answers retrieval questions from the current published catalog."""

    def __init__(self, db: Database, encoder: Encoder, cache_file: Path | None = None) -> None:
        self.db = db
        self.encoder = encoder
        self.cache_file = cache_file
        self._rows = CachedEncoder(encoder, cache_file)
        self._off_topic = (
            off_topic_examples() + topics(NOT_COVERED) + topics(LOCAL_PROGRAMS) + topics(OFF_TOPIC)
        )
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> LiveCatalog:
        """The live catalog with the encoder the settings name, caching vectors under var/."""
        encoder = load(settings.encoder_backend, settings.encoder_model, settings.encoder_prefix)
        cache = settings.var_dir / "cache" / f"vectors-{encoder.name.replace('/', '_').replace(':', '_')}.npz"
        return cls(db, encoder, cache)

    def current(self) -> Snapshot:
        """The snapshot for the catalog as it is now, rebuilding if an entry changed."""
        generation = store.generation(self.db)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != generation:
                self._snapshot = self._build(generation)
            return self._snapshot

    def _build(self, generation: tuple[int, datetime | None]) -> Snapshot:
        started = time.perf_counter()
        entries = store.all_entries(self.db, published_only=True)
        index = CatalogIndex(entries, self.encoder, row_encoder=self._rows)
        seconds = time.perf_counter() - started
        logger.info("catalog index built: %s services in %.2f s", len(entries), seconds)
        retriever = Retriever(index, self._off_topic, row_encoder=self._rows)
        self._rows.save()
        return Snapshot(generation, retriever, {entry.id: entry for entry in entries}, seconds)

    def retrieve(self, question: str) -> Retrieval:
        """What to answer for ``question`` from the current catalog."""
        return self.current().retriever.retrieve(question)

    def entry(self, service_id: str) -> ServiceContent | None:
        """A published entry by id, or None."""
        return self.current().entries.get(service_id)


def standalone(folder: Path, encoder: Encoder) -> LiveCatalog:
    """The shipped content in a fresh SQLite database under ``folder`` (benchmarks and tests)."""
    from bot import migrate

    url = f"sqlite:///{folder / 'loket.db'}"
    migrate.upgrade(url)
    db = Database(url)
    store.import_directory(db, CONTENT_DIR)
    return LiveCatalog(db, encoder, folder / "vectors.npz")


def ensure_imported(db: Database, folder: Path = CONTENT_DIR) -> store.ImportReport | None:
    """Import the shipped content when the database has no catalog yet (first run)."""
    count, _ = store.generation(db)
    if count:
        return None
    return store.import_directory(db, folder)
