"""Deadline jobs: due soon, overdue and escalated once, resolved tickets closed after the dispute window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.db import Database
from complaints import sla, workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, ComplaintEvent, Privacy, RejectReason, SlaState, Status

WIB = ZoneInfo("Asia/Jakarta")
OFFICER = workflow.Actor("officer")


def new_complaint(db: Database, contact_id: int, calendar: WorkingCalendar, at: datetime) -> int:
    draft = workflow.Draft(contact_id, "api", "Sampah menumpuk di TPS", "sampah", Privacy.BIASA, "Siti")
    with db.session() as session:
        return workflow.file_complaint(session, draft, calendar, now=at).id


def sweep(db: Database, calendar: WorkingCalendar, now: datetime) -> sla.SweepReport:
    with db.session() as session:
        return sla.sweep(session, calendar, now)


def state(db: Database, complaint_id: int) -> tuple[str, str, int]:
    with db.reading() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        escalations = session.scalars(
            select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.action == "escalate"
            )
        ).all()
        return complaint.status, complaint.sla_state, len(escalations)


def test_a_complaint_becomes_due_soon_then_overdue_and_is_escalated_once(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    complaint = new_complaint(
        seeded, citizen, calendar, datetime(2026, 11, 20, 9, tzinfo=WIB)
    )  # due Wed 25th

    sweep(seeded, calendar, datetime(2026, 11, 23, 9, tzinfo=WIB))
    assert state(seeded, complaint) == (Status.BARU, SlaState.ON_TRACK, 0)
    sweep(seeded, calendar, datetime(2026, 11, 24, 9, tzinfo=WIB))
    assert state(seeded, complaint) == (Status.BARU, SlaState.DUE_SOON, 0)
    report = sweep(seeded, calendar, datetime(2026, 11, 26, 9, tzinfo=WIB))
    assert report.escalated == 1
    sweep(seeded, calendar, datetime(2026, 11, 27, 9, tzinfo=WIB))
    assert state(seeded, complaint) == (Status.BARU, SlaState.OVERDUE, 1)


def test_a_resolved_complaint_is_closed_when_the_dispute_window_has_passed(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    complaint_id = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 2, 9, tzinfo=WIB))
    with seeded.session() as session:
        complaint = session.get(Complaint, complaint_id)
        assert complaint is not None
        workflow.verify(session, complaint, OFFICER, calendar)
        workflow.reply_to_citizen(session, complaint, OFFICER, "Diangkut besok.", calendar)
        workflow.resolve(session, complaint, OFFICER, "Sudah diangkut.")
        complaint.resolved_at = datetime(2026, 11, 20, 10, tzinfo=WIB)  # a Friday

    sweep(seeded, calendar, datetime(2026, 11, 27, 9, tzinfo=WIB))  # 5 working days: still open
    assert state(seeded, complaint_id)[0] == Status.SELESAI
    assert sweep(seeded, calendar, datetime(2026, 11, 30, 9, tzinfo=WIB)).closed == 1
    assert state(seeded, complaint_id)[0] == Status.DITUTUP


def untouched(db: Database, complaint_id: int) -> tuple[Any, ...]:
    with db.reading() as session:
        complaint = session.get_one(Complaint, complaint_id)
        return complaint.sla_state, complaint.updated_at, complaint.escalated_at, complaint.due_at


def test_sweeps_read_only_the_tickets_whose_deadline_state_changes_and_escalate_once(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    due = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 20, 9, tzinfo=WIB))  # due Wed 25th
    later = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 25, 9, tzinfo=WIB))  # due Mon 30th
    before = untouched(seeded, later)
    read: list[int] = []

    def record(complaint: Complaint, _context: Any) -> None:
        read.append(complaint.id)

    event.listen(Complaint, "load", record)
    try:  # two app instances sweep at the same moment
        with ThreadPoolExecutor(max_workers=2) as pool:
            thursday = datetime(2026, 11, 26, 9, tzinfo=WIB)
            reports = list(pool.map(lambda _: sweep(seeded, calendar, thursday), range(2)))
    finally:
        event.remove(Complaint, "load", record)

    assert set(read) == {due}
    assert sum(report.escalated for report in reports) == 1
    assert state(seeded, due) == (Status.BARU, SlaState.OVERDUE, 1)
    assert untouched(seeded, later) == before


def test_a_running_sweep_locks_only_the_tickets_it_changes(
    seeded: Database, citizen: int, calendar: WorkingCalendar
) -> None:
    if not seeded.is_postgresql:
        pytest.skip("SQLite locks the whole database, not rows")
    due = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 20, 9, tzinfo=WIB))
    later = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 25, 9, tzinfo=WIB))

    with Session(seeded.engine) as running, running.begin():
        assert sla.sweep(running, calendar, datetime(2026, 11, 26, 9, tzinfo=WIB)).escalated == 1

        assert locked(seeded, due)
        assert not locked(seeded, later)


def locked(db: Database, complaint_id: int) -> bool:
    with Session(db.engine) as probe, probe.begin():
        try:
            probe.scalars(
                select(Complaint.id).where(Complaint.id == complaint_id).with_for_update(nowait=True)
            ).one()
        except OperationalError:  # "could not obtain lock on row"
            return True
        return False


@pytest.mark.parametrize("stop", ["reject", "request_info", "mark_duplicate"])
def test_a_late_ticket_whose_clock_stops_is_no_longer_shown_late(
    seeded: Database, citizen: int, calendar: WorkingCalendar, stop: str
) -> None:
    complaint = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 20, 9, tzinfo=WIB))
    original = new_complaint(seeded, citizen, calendar, datetime(2026, 11, 20, 9, tzinfo=WIB))
    sweep(seeded, calendar, datetime(2026, 11, 26, 9, tzinfo=WIB))
    assert state(seeded, complaint) == (Status.BARU, SlaState.OVERDUE, 1)

    with seeded.session() as session:
        ticket = session.get(Complaint, complaint)
        assert ticket is not None
        if stop == "reject":
            workflow.reject(session, ticket, OFFICER, RejectReason.SPAM, "Bukan laporan.")
        elif stop == "mark_duplicate":
            workflow.mark_duplicate(session, ticket, OFFICER, session.get_one(Complaint, original))
        else:
            workflow.request_info(session, ticket, OFFICER, "Di RT berapa?", calendar)

    with seeded.reading() as session:
        ticket = session.get_one(Complaint, complaint)
        assert (ticket.due_at, ticket.sla_state) == (None, SlaState.ON_TRACK)
