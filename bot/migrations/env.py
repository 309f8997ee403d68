"""Alembic environment: migrates the database given by the caller or by the settings."""

from __future__ import annotations

from alembic import context

import catalog.models  # noqa: F401  (registers the tables on Base.metadata)
import channels.models  # noqa: F401
import complaints.models  # noqa: F401
from bot.db import Base, make_engine
from bot.settings import get_settings

config = context.config
url = config.attributes.get("url") or get_settings().effective_database_url
engine = make_engine(url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
