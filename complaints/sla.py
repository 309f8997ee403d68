"""Deadline jobs: mark what is due soon or overdue, escalate overdue tickets, close resolved ones
whose dispute window has passed. Safe to run from several app instances at once: each ticket is
taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and every step is idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from complaints import workflow
from complaints.calendar import WorkingCalendar
from complaints.models import Complaint, SlaState, Status

DUE_SOON_WORKING_DAYS = 1
HORIZON = timedelta(days=14)
DISPUTE_MIN_CALENDAR_DAYS = 7  # five working days can never pass in fewer


@dataclass
class SweepReport:
    due_soon: int = 0
    overdue: int = 0
    escalated: int = 0
    closed: int = 0


def sweep(session: Session, calendar: WorkingCalendar, now: datetime) -> SweepReport:
    """One pass over deadlines that are near or past, and dispute windows that may have ended."""
    report = SweepReport()
    # Only tickets whose state can change are read: one working day ahead is never more than
    # HORIZON calendar days ahead, even across the Lebaran cuti bersama block.
    # An overdue ticket already escalated cannot change until a workflow step sets a new deadline.
    near = select(Complaint).where(
        Complaint.due_at.is_not(None),
        or_(Complaint.due_at <= now + HORIZON, Complaint.sla_state != SlaState.ON_TRACK),
        ~and_(Complaint.sla_state == SlaState.OVERDUE, Complaint.escalated_at.is_not(None)),
    )
    for complaint in _locked(session, near):
        assert complaint.due_at is not None
        state = _state(calendar, complaint.due_at, now)
        if state != complaint.sla_state:
            complaint.sla_state = state
            report.due_soon += state == SlaState.DUE_SOON
            report.overdue += state == SlaState.OVERDUE
        escalable = complaint.status in workflow.TRANSITIONS["escalate"]
        if state == SlaState.OVERDUE and complaint.escalated_at is None and escalable:
            workflow.escalate(session, complaint, now)
            report.escalated += 1
    resolved = select(Complaint).where(
        Complaint.status == Status.SELESAI,
        Complaint.resolved_at <= now - timedelta(days=DISPUTE_MIN_CALENDAR_DAYS),
    )
    for complaint in _locked(session, resolved):
        assert complaint.resolved_at is not None
        if calendar.working_days_between(complaint.resolved_at, now) > workflow.DISPUTE_WINDOW_DAYS:
            workflow.close(session, complaint, workflow.SYSTEM)
            report.closed += 1
    return report


def _state(calendar: WorkingCalendar, due_at: datetime, now: datetime) -> SlaState:
    if now > due_at:
        return SlaState.OVERDUE
    if calendar.add_working_days(now, DUE_SOON_WORKING_DAYS) >= due_at:
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


def _locked(session: Session, query: Select[Complaint]) -> list[Complaint]:
    statement = query.order_by(Complaint.id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=Complaint)
    return list(session.scalars(statement))
