"""Database engine, sessions and the declarative base shared by every package's models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


READ_ONLY_OPTION = "loket_read_only"


class Base(DeclarativeBase):
    """Base class of every Loket table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the zone, so it is put back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _begin_immediate) instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # SQLite has one writer: taking the write lock at BEGIN avoids deadlocking upgrades
    # from read to write between two workers (https://www.sqlite.org/lang_transaction.html).
    # Read-only sessions need no lock: in WAL mode they read a snapshot beside the writer.
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class WriterTurns:
    """Turns at SQLite's single writer for the threads of this process; urgent writers go first."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @contextmanager
    def turn(self, urgent: bool) -> Iterator[None]:
        """Hold the writer for the duration of the block."""
        with self._changed:
            self._urgent_waiting += urgent
            try:
                self._changed.wait_for(lambda: not self._busy and (urgent or not self._urgent_waiting))
            finally:
                self._urgent_waiting -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


class Database:
    """An engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        # SQLite has one writer. Threads of this process queue for it on a Python lock, which hands
        # over at once, instead of in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._writer = WriterTurns() if self.engine.dialect.name == "sqlite" else None

    @property
    def is_postgresql(self) -> bool:
        """Whether the queues can use ``FOR UPDATE SKIP LOCKED``."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self, urgent: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        ``urgent``: someone is waiting for this write (a provider for its webhook's answer); on
        SQLite it gets the writer's next turn before background work.
        """
        turn = self._writer.turn(urgent) if self._writer is not None else nullcontext()
        with turn, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; on SQLite it does not wait for or block writers."""
        with self._read_sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def insert_if_absent(session: Session, table: Any, values: dict[str, Any], unique: list[str]) -> int | None:
    """INSERT a row unless one with the same ``unique`` columns exists; the new row's id, or None.

    Uses the backend's own ``ON CONFLICT DO NOTHING`` so two concurrent writers never raise.
    """
    dialect_insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    statement = (
        dialect_insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(table.c.id)
    )
    inserted: int | None = session.execute(statement).scalar_one_or_none()
    return inserted
