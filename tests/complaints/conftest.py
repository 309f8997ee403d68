"""Complaint fixtures: a database with the seeded reference data, and a calendar."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.db import Database
from channels.contacts import contact_for
from complaints.calendar import WorkingCalendar
from complaints.reference import ensure_seeded


@pytest.fixture
def seeded(db: Database) -> Iterator[Database]:
    ensure_seeded(db)
    yield db


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def citizen(seeded: Database) -> int:
    return contact_for(seeded, "api", "warga-1").id
