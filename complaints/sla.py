"""Deadline jobs: mark what is due soon or overdue, escalate overdue tickets, close resolved ones
whose dispute window has passed. Safe to run from several app instances at once: only the tickets
whose state changes now are read, each taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and
every step is idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, SlaState, Status

DUE_SOON_WORKING_DAYS = 1


@dataclass
class SweepReport:
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    closed: int = 0
    skipped: int = 0  # changed by someone else while the sweep ran; the next sweep looks again


def sweep(session: Session, calendar: WorkingCalendar, now: datetime) -> SweepReport:
    """One pass over the deadlines whose state changes now, and the dispute windows that have ended."""
    report = SweepReport()
    escalable = tuple(workflow.TRANSITIONS["escalate"])
    # A ticket's state changes only when it is on track and due within a working day, due soon and
    # past its deadline, or overdue and not yet escalated; escalation holds until a workflow step
    # sets a new deadline (which clears escalated_at). ix_complaints_sweep serves this query.
    changing = select(Complaint).where(
        Complaint.due_at.is_not(None),
        Complaint.escalated_at.is_(None),
        or_(
            and_(
                Complaint.sla_state == SlaState.ON_TRACK,
                Complaint.due_at <= calendar.add_working_days(now, DUE_SOON_WORKING_DAYS),
            ),
            and_(Complaint.sla_state == SlaState.DUE_SOON, Complaint.due_at < now),
            and_(Complaint.sla_state == SlaState.OVERDUE, Complaint.status.in_(escalable)),
        ),
    )
    for complaint in _locked(session, changing):
        assert complaint.due_at is not None
        state = _state(calendar, complaint.due_at, now)
        if state == SlaState.OVERDUE and complaint.status in escalable:
            try:
                workflow.escalate(session, complaint, now)
            except workflow.ChangedMeanwhile:
                report.skipped += 1
                continue
            report.escalated += 1
        if state != complaint.sla_state:
            complaint.sla_state = state
            report.due_soon += state == SlaState.DUE_SOON
            report.overdue += state == SlaState.OVERDUE
    resolved = select(Complaint).where(
        Complaint.status == Status.SELESAI, Complaint.resolved_at < _dispute_window_start(calendar, now)
    )
    for complaint in _locked(session, resolved):
        assert complaint.resolved_at is not None
        if calendar.working_days_between(complaint.resolved_at, now) <= workflow.DISPUTE_WINDOW_DAYS:
            continue  # the query narrows, the workflow's own rule decides
        try:
            workflow.close(session, complaint, workflow.SYSTEM, now=now)
        except workflow.ChangedMeanwhile:
            report.skipped += 1
            continue
        report.closed += 1
    return report


def _state(calendar: WorkingCalendar, due_at: datetime, now: datetime) -> SlaState:
    if now > due_at:
        return SlaState.OVERDUE
    if calendar.add_working_days(now, DUE_SOON_WORKING_DAYS) >= due_at:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def _dispute_window_start(calendar: WorkingCalendar, now: datetime) -> datetime:
    """The start of the earliest local day whose dispute window is still open at ``now``: a ticket
    resolved before it has seen more than the window's working days begin."""
    day, begun = calendar.local_date(now), 0
    while True:
        begun += calendar.is_working_day(day)
        if begun > workflow.DISPUTE_WINDOW_DAYS:
            return datetime.combine(day, time.min, calendar.timezone)
        day -= timedelta(days=1)


def _locked(session: Session, query: Select[Complaint]) -> list[Complaint]:
    # The rows as locked, not as an earlier read in this session left them
    # (https://docs.sqlalchemy.org/en/20/orm/queryguide/api.html#populate-existing).
    statement = query.order_by(Complaint.id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE, the lock an UPDATE takes: a plain FOR UPDATE would also skip tickets
        # whose events or notifications someone is inserting, which hold a key-share lock on them
        # (https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-ROWS).
        statement = statement.with_for_update(skip_locked=True, key_share=True, of=Complaint)
    return list(session.scalars(statement))
