"""Many citizens filing at the same moment each get their own ticket number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from bot.db import Database
from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, Privacy

TICKETS = 1000


def test_a_thousand_concurrent_complaints_get_a_thousand_distinct_numbers(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    draft = workflow.Draft(citizen, "api", "Lampu jalan mati", "penerangan-jalan", Privacy.ANONIM)

    def file(_: int) -> str:
        with seeded.session() as session:
            return workflow.file_complaint(session, draft, calendar).number

    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(file, range(TICKETS)))

    with seeded.reading() as session:
        stored = session.scalar(select(func.count(func.distinct(Complaint.number))))
    assert len(set(numbers)) == TICKETS
    assert stored == TICKETS
