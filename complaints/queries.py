"""Reads of complaints, each deciding what the reader may see: the filer sees details; anyone else
holding a number sees only its status and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.contacts import same_person
from complaints import tickets
from complaints.models import OPEN_STATUSES, Complaint


@dataclass(frozen=True)
class StatusView:
    """A ticket's status as one reader may see it; the detail fields are None for non-filers."""

    number: str
    status: str
    updated_at: datetime
    is_filer: bool
    category: str | None = None
    agency: str | None = None
    due_kind: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Lookup:
    """The answer to a status question: a view, a probable typo, or nothing found."""

    verdict: str  # found | typo | not_found
    number: str
    view: StatusView | None = None


def status_for_contact(session: Session, number: str, contact_id: int) -> Lookup:
    """Look up a ticket number (already parsed) for a contact: details only if they filed it."""
    complaint = session.scalar(select(Complaint).where(Complaint.number == number))
    if complaint is None:
        return Lookup("not_found", number)
    return Lookup("found", number, view_for_contact(session, complaint, contact_id))


def lookup_text(session: Session, text: str, contact_id: int) -> Lookup | None:
    """A status lookup for the first ticket number in free text, or None when there is none."""
    parsed = tickets.parse(text)
    if parsed is None:
        return None
    if parsed.verdict == "typo":
        return Lookup("typo", parsed.number)
    return status_for_contact(session, parsed.number, contact_id)


def view_for_contact(session: Session, complaint: Complaint, contact_id: int) -> StatusView:
    """What ``contact_id`` may see of ``complaint``: everything if they filed it (on any of their
    channels), else only its status and date."""
    if complaint.contact_id is None or complaint.contact_id not in same_person(session, contact_id):
        return StatusView(complaint.number, complaint.status, complaint.updated_at, is_filer=False)
    return _filer_view(complaint)


def _filer_view(complaint: Complaint) -> StatusView:
    return StatusView(
        complaint.number,
        complaint.status,
        complaint.updated_at,
        is_filer=True,
        category=complaint.category.name if complaint.category else None,
        agency=complaint.agency.name if complaint.agency else None,
        due_kind=complaint.due_kind,
        due_at=complaint.due_at,
    )


def open_for_contact(session: Session, contact_id: int, limit: int = 5) -> list[StatusView]:
    """The contact's own unfinished tickets (from any of their channels), newest first."""
    rows = session.scalars(
        select(Complaint)
        .where(
            Complaint.contact_id.in_(same_person(session, contact_id)), Complaint.status.in_(OPEN_STATUSES)
        )
        .order_by(Complaint.id.desc())
        .limit(limit)
    )
    return [_filer_view(complaint) for complaint in rows]
