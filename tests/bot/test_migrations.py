"""The Alembic migrations create exactly the schema the models describe, on every backend, and keep
the rows that were there usable."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import catalog.models  # noqa: F401  (registers the tables)
import channels.models  # noqa: F401
from bot import migrate
from bot.db import Base, Database


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_tickets_filed_before_versioning_start_at_version_one(db: Database) -> None:
    config = migrate.alembic_config(db.url)
    command.downgrade(config, "0007")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO complaints (number, channel, privacy, description, status, received_at,"
                " updated_at, sla_state) VALUES ('ADU-2222-2222', 'api', 'biasa', 'Lampu mati', 'baru',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'on_track')"
            )
        )

    command.upgrade(config, "head")

    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM complaints")).scalar_one() == 1
