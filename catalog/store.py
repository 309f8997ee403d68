"""Reading and changing the catalog in the database: publish, import, export, unanswered questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db import Database, utcnow
from catalog import schema
from catalog.models import Service, ServiceVersion, UnansweredQuestion


@dataclass(frozen=True)
class ImportReport:
    """What an import did: entries created, updated and left as they were."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]


def save(db: Database, content: schema.ServiceContent, editor: str) -> int:
    """Store ``content`` as the entry's new current version (and in its history); returns the version.

    A change without a higher version number gets the next one, so history never has two
    different contents under one version.
    """
    document = content.to_document()
    now = utcnow()
    with db.session() as session:
        current = session.get(Service, content.id)
        if current is not None and current.content == document:
            return current.version
        version = content.version
        if current is not None and version <= current.version:
            version = current.version + 1
        document["version"] = version
        # merge() updates the row already loaded above, or inserts a new one.
        session.merge(
            Service(
                id=content.id,
                version=version,
                status=content.status,
                content=document,
                updated_at=now,
                updated_by=editor,
            )
        )
        session.add(
            ServiceVersion(
                service_id=content.id,
                version=version,
                status=content.status,
                content=document,
                created_at=now,
                created_by=editor,
            )
        )
        return version


def import_directory(db: Database, folder: Path, editor: str = "import") -> ImportReport:
    """Validate every file in ``folder`` (all or nothing), then store each changed entry."""
    entries = schema.load_directory(folder)
    with db.reading() as session:
        before = {service.id: service.content for service in session.scalars(select(Service))}
    created, updated, unchanged = [], [], []
    for content in entries:
        if content.id not in before:
            created.append(content.id)
        elif before[content.id] == content.to_document():
            unchanged.append(content.id)
            continue
        else:
            updated.append(content.id)
        save(db, content, editor)
    return ImportReport(created, updated, unchanged)


def export_directory(db: Database, folder: Path) -> int:
    """Write every current entry to ``folder/<id>.yml``; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = all_entries(db)
    for content in entries:
        (folder / f"{content.id}.yml").write_text(schema.dump(content), encoding="utf-8")
    return len(entries)


def all_entries(db: Database, published_only: bool = False) -> list[schema.ServiceContent]:
    """Current entries, ordered by id."""
    query = select(Service.content).order_by(Service.id)
    if published_only:
        query = query.where(Service.status == "published")
    with db.reading() as session:
        return [schema.ServiceContent.model_validate(content) for content in session.scalars(query)]


def generation(db: Database) -> tuple[int, datetime | None]:
    """A cheap fingerprint of the catalog that changes whenever an entry is saved."""
    with db.reading() as session:
        count, latest = session.execute(select(func.count(), func.max(Service.updated_at))).one()
    return int(count), latest


def record_unanswered(
    db: Database, text: str, channel: str, contact_id: int | None, best_guesses: list[dict[str, Any]]
) -> int:
    """Keep a question no entry fitted, with the best guesses, for editors."""
    with db.session() as session:
        question = UnansweredQuestion(
            text=text, channel=channel, contact_id=contact_id, best_guesses=best_guesses, status="open"
        )
        session.add(question)
        session.flush()
        return question.id
