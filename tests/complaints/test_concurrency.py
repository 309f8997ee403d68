"""Many citizens filing at the same moment each get their own ticket number; two changes made on the
same ticket by sessions that read it before either wrote cannot both be written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import Database
from complaints import sla, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, ComplaintEvent, Officer, Privacy, Role, Status

TICKETS = 1000
WIB = ZoneInfo("Asia/Jakarta")
OFFICER = workflow.Actor("officer")


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


# The dispute window of a ticket resolved on Friday 20 November 2026 ends with Friday the 27th: the
# citizen's "belum selesai" at 23:59 that day is in time, the deadline job's run after midnight on
# Monday the 30th closes the ticket.
RESOLVED = datetime(2026, 11, 20, 10, tzinfo=WIB)
DISPUTED = datetime(2026, 11, 27, 23, 59, tzinfo=WIB)
SWEPT = datetime(2026, 11, 30, 0, 1, tzinfo=WIB)


def resolved_ticket(db: Database, contact_id: int, calendar: WorkingCalendar) -> int:
    draft = workflow.Draft(contact_id, "api", "Sampah menumpuk di TPS", "sampah", Privacy.BIASA, "Siti")
    with db.session() as session:
        complaint = workflow.file_complaint(session, draft, calendar, now=RESOLVED - timedelta(days=10))
        workflow.verify(session, complaint, OFFICER, calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Diangkut besok.", calendar)
        workflow.resolve(session, complaint, OFFICER, "Sudah diangkut.")
        complaint.resolved_at = RESOLVED
        return complaint.id


def history(db: Database, complaint_id: int) -> tuple[str, list[str]]:
    with db.reading() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        actions = session.scalars(
            select(ComplaintEvent.action)
            .where(ComplaintEvent.complaint_id == complaint_id)
            .order_by(ComplaintEvent.id)
        ).all()
        return complaint.status, list(actions)


def test_a_dispute_made_on_a_ticket_the_deadline_job_closed_meanwhile_is_refused_not_applied(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    ticket = resolved_ticket(seeded, citizen, calendar)
    with seeded.reading() as session:  # the citizen's side reads the ticket: still "selesai"
        seen = session.get(Complaint, ticket)
    assert seen is not None
    number = seen.number

    with seeded.session() as session:  # the deadline job closes it
        assert sla.sweep(session, calendar, SWEPT).closed == 1

    with seeded.session() as session, pytest.raises(workflow.ChangedMeanwhile) as refused:
        session.add(seen)
        workflow.reopen(session, seen, "Belum diangkut", calendar, now=DISPUTED)

    assert refused.value.number == number
    assert (refused.value.actor, refused.value.by, refused.value.at) == ("system", None, SWEPT)
    assert history(seeded, ticket) == (Status.DITUTUP, ["file", "verify", "reply", "resolve", "close"])


def test_overlapping_transactions_of_a_dispute_and_the_deadline_job_cannot_both_commit(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    if not seeded.is_postgresql:
        pytest.skip("SQLite hands its one writer lock out at BEGIN: two writers never overlap")
    ticket = resolved_ticket(seeded, citizen, calendar)

    with Session(seeded.engine) as dispute, dispute.begin():
        seen = dispute.get(Complaint, ticket)  # the dispute's transaction reads "selesai" ...
        assert seen is not None and seen.status == Status.SELESAI
        with seeded.session() as job:  # ... the job's closes the ticket and commits ...
            assert sla.sweep(job, calendar, SWEPT).closed == 1
        with pytest.raises(workflow.ChangedMeanwhile):  # ... and the dispute's change is refused
            workflow.reopen(dispute, seen, "Belum diangkut", calendar, now=DISPUTED)
        assert seen.status == Status.DITUTUP  # the transaction goes on, with the ticket as it is now

    assert history(seeded, ticket) == (Status.DITUTUP, ["file", "verify", "reply", "resolve", "close"])


def test_a_console_is_told_who_changed_the_ticket_in_plain_indonesian(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    ticket = resolved_ticket(seeded, citizen, calendar)
    with seeded.session() as session:
        rina = Officer(username="rina", display_name="Rina", role=Role.SUPERVISOR)
        session.add(rina)
        session.flush()
        rina_id = rina.id
    with seeded.reading() as session:
        seen = session.get(Complaint, ticket)
    assert seen is not None
    with seeded.session() as session:
        workflow.close(session, session.get_one(Complaint, ticket), workflow.Actor("officer", rina_id))

    with seeded.session() as session, pytest.raises(workflow.ChangedMeanwhile) as refused:
        session.add(seen)
        workflow.rate(session, seen, 5)

    assert workflow.changed_meanwhile_text(refused.value) == (
        "Tiket ini diubah oleh Rina barusan. Muat ulang untuk melihat perubahannya."
    )
