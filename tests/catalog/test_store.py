"""The database is the catalog's source of truth: import, export, versions, unanswered questions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.db import Database
from catalog import schema, store
from catalog.live import CONTENT_DIR
from catalog.models import ServiceVersion, UnansweredQuestion


def test_import_then_export_round_trips_without_loss(db: Database, tmp_path: Path) -> None:
    first = store.import_directory(db, CONTENT_DIR)
    exported = tmp_path / "export"
    count = store.export_directory(db, exported)

    assert count == len(first.created) == len(list(CONTENT_DIR.glob("*.yml")))
    for original in CONTENT_DIR.glob("*.yml"):
        assert yaml.safe_load((exported / original.name).read_text()) == yaml.safe_load(original.read_text())
    again = store.import_directory(db, exported)
    assert again.created == again.updated == []


def test_a_changed_entry_gets_the_next_version_and_history_keeps_both(db: Database, tmp_path: Path) -> None:
    store.import_directory(db, CONTENT_DIR)
    entry = schema.load_file(CONTENT_DIR / "skck.yml")
    edited = entry.model_copy(update={"duration": "1 hari kerja."})

    version = store.save(db, edited, editor="editor-1")

    assert version == entry.version + 1
    current = {e.id: e for e in store.all_entries(db)}["skck"]
    assert current.duration == "1 hari kerja." and current.version == version
    with db.reading() as session:
        history = session.scalars(
            select(ServiceVersion.version)
            .where(ServiceVersion.service_id == "skck")
            .order_by(ServiceVersion.version)
        ).all()
    assert history == [entry.version, version]


def test_an_invalid_folder_imports_nothing(db: Database, tmp_path: Path) -> None:
    (tmp_path / "skck.yml").write_text((CONTENT_DIR / "skck.yml").read_text())
    (tmp_path / "broken.yml").write_text("id: broken\n")

    with pytest.raises(schema.InvalidContent):
        store.import_directory(db, tmp_path)

    assert store.all_entries(db) == []


def test_drafts_are_not_served(db: Database) -> None:
    store.import_directory(db, CONTENT_DIR)
    draft = schema.load_file(CONTENT_DIR / "skck.yml").model_copy(update={"status": "draft"})
    store.save(db, draft, editor="editor-1")

    published = {entry.id for entry in store.all_entries(db, published_only=True)}
    assert "skck" not in published and "sim-baru" in published


def test_an_unanswered_question_is_kept_with_its_best_guesses(db: Database) -> None:
    question_id = store.record_unanswered(
        db, "cara daftar ojol", "api", None, [{"service_id": "nib-oss", "score": 0.61}]
    )

    with db.reading() as session:
        saved = session.get(UnansweredQuestion, question_id)
    assert saved is not None and saved.text == "cara daftar ojol" and saved.status == "open"
    assert saved.best_guesses == [{"service_id": "nib-oss", "score": 0.61}]
