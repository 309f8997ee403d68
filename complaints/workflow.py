"""Every change to a complaint goes through one of these functions.

Each checks that the change is allowed from the complaint's status (``IllegalTransition`` otherwise),
updates the deadlines, appends to the event log and queues the citizen's notification through the
outbox, all in the caller's transaction. Consoles and actions never change complaints directly.

Each change is written at once, all or nothing, and raises the complaint's version: a change made on
a copy read before someone else's change is refused (``ChangedMeanwhile``) instead of overwriting it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import messages
from bot.db import utcnow
from bot.logs import redact
from channels.base import Button, Reply, Template
from channels.inbox import ERASED_TEXT, queue_notification
from complaints import privacy, routing, tickets
from complaints.calendar import WorkingCalendar
from complaints.models import (
    Agency,
    Attachment,
    Category,
    CategoryExample,
    Complaint,
    ComplaintEvent,
    ExampleStatus,
    Officer,
    Privacy,
    RejectReason,
    SlaState,
    Status,
)

UPDATE_TEMPLATE = "complaint_update"  # key of the approved WhatsApp template in LOKET_TWILIO_TEMPLATES
DISPUTE_WINDOW_DAYS = 5  # working days after "selesai" in which the citizen may dispute the answer
ERASURE_REASON = "hapus_data"  # the citizen asked for their personal data to be erased (UU 27/2022)

S = Status
# action → {status it may start from: status it leads to}; None keeps the status.
TRANSITIONS: dict[str, dict[Status, Status | None]] = {
    "verify": {S.BARU: S.TERVERIFIKASI},
    "route": {S.BARU: None, S.TERVERIFIKASI: None},
    "assign": {S.TERVERIFIKASI: S.DIPROSES, S.DIPROSES: None},
    "request_info": {
        S.BARU: S.MENUNGGU_WARGA,
        S.TERVERIFIKASI: S.MENUNGGU_WARGA,
        S.DIPROSES: S.MENUNGGU_WARGA,
    },
    "provide_info": {S.MENUNGGU_WARGA: None},  # back to where it was (resume_status)
    "reply": {S.TERVERIFIKASI: S.DIPROSES, S.DIPROSES: None},
    "resolve": {S.DIPROSES: S.SELESAI},
    "reject": {s: S.DITOLAK for s in (S.BARU, S.TERVERIFIKASI, S.DIPROSES, S.MENUNGGU_WARGA)},
    "forward": {S.TERVERIFIKASI: S.TERVERIFIKASI, S.DIPROSES: S.TERVERIFIKASI},
    "mark_duplicate": {s: S.DITOLAK for s in (S.BARU, S.TERVERIFIKASI, S.DIPROSES, S.MENUNGGU_WARGA)},
    "reopen": {S.SELESAI: S.DIPROSES},
    "close": {S.SELESAI: S.DITUTUP, S.DITOLAK: S.DITUTUP},
    "rate": {S.SELESAI: None, S.DITUTUP: None},
    "escalate": {s: None for s in (S.BARU, S.TERVERIFIKASI, S.DIPROSES)},
    "recategorize": {s: None for s in (S.BARU, S.TERVERIFIKASI, S.DIPROSES, S.MENUNGGU_WARGA)},
    "anonymise": {S.DITUTUP: None, S.DITOLAK: None},  # open tickets still need the citizen
}


class WorkflowError(Exception):
    """A change that the rules do not allow; the message says which and why."""


class IllegalTransition(WorkflowError):
    def __init__(self, complaint: Complaint, action: str) -> None:
        super().__init__(f"{complaint.number}: '{action}' is not allowed in status '{complaint.status}'")
        self.action, self.status = action, complaint.status


class DisputeWindowClosed(WorkflowError):
    """The citizen disputed a resolution after the dispute window."""


class InvalidRating(WorkflowError):
    """A rating outside 1-5, or a second rating."""


class MissingAgency(WorkflowError):
    """Verification needs an agency: the routed one or one the verifier chose."""


class ChangedMeanwhile(WorkflowError):
    """Someone else changed the complaint after it was read; nothing of this change was written.

    ``actor`` (citizen | officer | system), ``by`` (the officer's name) and ``at`` describe the latest
    change, from the event log. Read the complaint again before deciding anew.
    """

    def __init__(self, number: str, actor: str | None, by: str | None, at: datetime | None) -> None:
        super().__init__(f"{number}: changed by the {actor or 'unknown'} actor since it was read")
        self.number, self.actor, self.by, self.at = number, actor, by, at


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the citizen, an officer, or Loket itself (deadline jobs)."""

    kind: str  # citizen | officer | system
    officer_id: int | None = None

    @classmethod
    def officer(cls, officer: Officer) -> Actor:
        return cls("officer", officer.id)


CITIZEN = Actor("citizen")
SYSTEM = Actor("system")


@dataclass(frozen=True)
class Draft:
    """What the complaint conversation collected, once the citizen confirmed it."""

    contact_id: int
    channel: str
    description: str
    category_slug: str | None
    privacy: Privacy
    citizen_name: str | None = None
    location_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    region_code: str | None = None
    service_id: str | None = None
    consented_at: datetime | None = None
    attachments: tuple[dict[str, Any], ...] = ()  # media a channel received: url, content_type, size


P = ParamSpec("P")
R = TypeVar("R")


def _one_change(
    change: Callable[Concatenate[Session, Complaint, P], R],
) -> Callable[Concatenate[Session, Complaint, P], R]:
    """Run ``change`` in a savepoint and write it at once: a refused change leaves nothing behind,
    and a complaint changed by someone else since it was read raises ``ChangedMeanwhile`` here, with
    the caller's transaction still usable, rather than as a StaleDataError at commit."""

    @functools.wraps(change)
    def written(session: Session, complaint: Complaint, /, *args: P.args, **kwargs: P.kwargs) -> R:
        number, complaint_id = complaint.number, complaint.id
        try:
            with session.begin_nested():
                return change(session, complaint, *args, **kwargs)
        except StaleDataError:
            if not session.is_active:  # a stale write pending from before: the transaction is lost
                raise ChangedMeanwhile(number, None, None, None) from None
            raise _changed_meanwhile(session, number, complaint_id) from None

    return written


def _changed_meanwhile(session: Session, number: str, complaint_id: int) -> ChangedMeanwhile:
    latest = session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return ChangedMeanwhile(number, None, None, None)
    officer = session.get(Officer, latest.officer_id) if latest.officer_id is not None else None
    return ChangedMeanwhile(number, latest.actor, officer.display_name if officer else None, latest.at)


def changed_meanwhile_text(changed: ChangedMeanwhile, language: str = "id") -> str:
    """What a console says when its change lost to someone else's (the 409 page's text)."""
    name = changed.by or messages.text(f"changed_by_{changed.actor or 'someone'}", language)
    return messages.text("complaint_changed_by", language).format(name=name)


def file_complaint(
    session: Session, draft: Draft, calendar: WorkingCalendar, now: datetime | None = None
) -> Complaint:
    """Create the ticket with a fresh number, route it by the rules and set the verification deadline."""
    now = now or utcnow()
    category = (
        session.scalar(select(Category).where(Category.slug == draft.category_slug))
        if draft.category_slug
        else None
    )
    agency = routing.responsible_agency(session, category.id if category else None, draft.region_code)
    complaint = Complaint(
        contact_id=draft.contact_id,
        channel=draft.channel,
        privacy=draft.privacy,
        citizen_name=None if draft.privacy == Privacy.ANONIM else draft.citizen_name,
        description=draft.description,
        category_id=category.id if category else None,
        service_id=draft.service_id,
        location_text=draft.location_text,
        latitude=draft.latitude,
        longitude=draft.longitude,
        region_code=draft.region_code,
        agency_id=agency.id if agency else None,
        status=Status.BARU,
        consented_at=draft.consented_at,
        received_at=now,
        updated_at=now,
        due_kind="verify",
        due_at=calendar.add_working_days(now, category.verify_days if category else 3),
        sla_state=SlaState.ON_TRACK,
    )
    _insert_with_unique_number(session, complaint)
    session.add_all(
        Attachment(
            complaint_id=complaint.id,
            content_type=str(media.get("content_type", "application/octet-stream")),
            size_bytes=media.get("size"),
            source_url=media.get("url"),
        )
        for media in draft.attachments
    )
    _log(
        session,
        complaint,
        "file",
        CITIZEN,
        None,
        Status.BARU,
        data={"agency": agency.slug if agency else None},
    )
    return complaint


def _insert_with_unique_number(session: Session, complaint: Complaint, attempts: int = 5) -> None:
    # Numbers are random, so two tickets can draw the same one (about 1 in 30 billion per pair);
    # the unique index decides, and the loser draws again inside a savepoint.
    for _ in range(attempts):
        complaint.number = tickets.new_number()
        try:
            with session.begin_nested():
                session.add(complaint)
                session.flush()
            return
        except IntegrityError:
            continue  # the savepoint's rollback expunged the pending row; draw again
    raise RuntimeError("could not draw a free ticket number")


@_one_change
def verify(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    calendar: WorkingCalendar,
    agency: Agency | None = None,
) -> None:
    """Accept a new complaint as genuine and hand it to its agency (the routed one unless ``agency``)."""
    _check(complaint, "verify")  # before the agency changes: a refused verify changes nothing
    agency_id = agency.id if agency is not None else complaint.agency_id
    if agency_id is None:
        raise MissingAgency(f"{complaint.number}: choose the agency before verifying")
    now = _change(
        session, complaint, "verify", actor, data={"agency": agency.slug} if agency else None,
        notify="complaint_verified",
    )  # fmt: skip
    complaint.agency_id, complaint.verified_at = agency_id, now
    _set_due(complaint, "response", calendar, now)


@_one_change
def recategorize(session: Session, complaint: Complaint, actor: Actor, category: Category) -> None:
    """Correct a ticket's category (verifiers and officers). A new ticket is routed again by the rules
    for its new category; the citizen's words, personal data masked, are proposed as an example of
    the right category, so the suggester learns from the correction once it is reviewed."""
    if complaint.category_id == category.id:
        return
    previous = complaint.category
    routed = None
    if complaint.status == Status.BARU:
        routed = routing.responsible_agency(session, category.id, complaint.region_code)
    _change(
        session,
        complaint,
        "recategorize",
        actor,
        data={"from": previous.slug if previous else None, "to": category.slug}
        | ({"agency": routed.slug} if routed else {}),
    )
    complaint.category_id, complaint.category = category.id, category
    if routed is not None:
        complaint.agency_id = routed.id
    if complaint.anonymised_at is None and complaint.description:
        session.add(
            CategoryExample(
                category_id=category.id,
                text=privacy.mask_personal_data(complaint.description),
                status=ExampleStatus.PROPOSED,
                source="correction",
                complaint_id=complaint.id,
                from_category_id=previous.id if previous else None,
                proposed_by=actor.officer_id,
            )
        )


@_one_change
def route(session: Session, complaint: Complaint, actor: Actor, agency: Agency) -> None:
    """Set or change the responsible agency before work starts (the verifiers' queue)."""
    _change(session, complaint, "route", actor, data={"agency": agency.slug})
    complaint.agency_id = agency.id


@_one_change
def assign(session: Session, complaint: Complaint, actor: Actor, officer: Officer) -> None:
    """Give the complaint to one officer of its agency."""
    _change(session, complaint, "assign", actor, data={"officer": officer.username})
    complaint.officer_id = officer.id


@_one_change
def request_info(
    session: Session,
    complaint: Complaint,
    actor: Actor,
    question: str,
    calendar: WorkingCalendar,
    now: datetime | None = None,
) -> None:
    """Ask the citizen for more; the running deadline pauses with the working days it had left."""
    resume = Status(complaint.status)
    now = _change(
        session, complaint, "request_info", actor, message=question, notify="complaint_needs_info", now=now
    )
    complaint.resume_status = resume
    complaint.paused_due_kind = complaint.due_kind
    complaint.paused_days_left = (
        calendar.working_days_between(now, complaint.due_at)
        if complaint.due_at and complaint.due_at > now
        else 0
    )
    _clear_due(complaint, "citizen")


@_one_change
def provide_info(
    session: Session, complaint: Complaint, text: str, calendar: WorkingCalendar, now: datetime | None = None
) -> None:
    """The citizen's answer to a request for information; work resumes where it stopped, with the
    working days the paused deadline had left (at least one)."""
    resume = Status(complaint.resume_status or Status.BARU)
    now = _change(session, complaint, "provide_info", CITIZEN, to_status=resume, message=text, now=now)
    stage = complaint.paused_due_kind or {Status.BARU: "verify", Status.TERVERIFIKASI: "response"}.get(
        resume, "resolve"
    )
    left = complaint.paused_days_left
    complaint.resume_status, complaint.paused_due_kind, complaint.paused_days_left = None, None, None
    _set_due(complaint, stage, calendar, now, days=max(left, 1) if left is not None else None)


@_one_change
def reply_to_citizen(
    session: Session, complaint: Complaint, actor: Actor, text: str, calendar: WorkingCalendar
) -> None:
    """An officer's answer to the citizen. A reply that answers an awaited response (the first one,
    or the first after a forward or a reopening) starts the resolution clock; later replies leave it."""
    now = _change(session, complaint, "reply", actor, message=text, notify="complaint_reply")
    if complaint.first_response_at is None:
        complaint.first_response_at = now
    if complaint.due_kind != "resolve":
        _set_due(complaint, "resolve", calendar, now)


@_one_change
def resolve(session: Session, complaint: Complaint, actor: Actor, text: str) -> None:
    """The agency says the problem is solved; the citizen is asked to rate it (or dispute it)."""
    now = _change(
        session, complaint, "resolve", actor, message=text, notify="complaint_resolved", rating=True
    )
    complaint.resolved_at = now
    _clear_due(complaint)


@_one_change
def reject(session: Session, complaint: Complaint, actor: Actor, reason: RejectReason, note: str) -> None:
    """Refuse the complaint with a reason the citizen is told (use forward/mark_duplicate where they fit)."""
    _change(
        session, complaint, "reject", actor, reason=reason, message=note, notify="complaint_rejected",
        notify_values={"reason": messages.text(f"reject_{reason}")},
    )  # fmt: skip
    complaint.reject_reason = reason
    _clear_due(complaint)


@_one_change
def forward(
    session: Session, complaint: Complaint, actor: Actor, agency: Agency, note: str, calendar: WorkingCalendar
) -> None:
    """Not this agency's authority: hand it to the right one, which gets a fresh response deadline."""
    now = _change(
        session, complaint, "forward", actor, reason=RejectReason.BUKAN_WEWENANG, message=note,
        data={"from": complaint.agency_id, "to": agency.slug}, notify="complaint_forwarded",
    )  # fmt: skip
    complaint.agency_id, complaint.officer_id = agency.id, None
    _set_due(complaint, "response", calendar, now)


@_one_change
def mark_duplicate(session: Session, complaint: Complaint, actor: Actor, original: Complaint) -> None:
    """Close as a duplicate of ``original``; the citizen gets the original's number to follow."""
    if original.id == complaint.id:
        raise WorkflowError("a complaint cannot duplicate itself")
    _change(
        session, complaint, "mark_duplicate", actor, reason=RejectReason.DUPLIKAT,
        data={"original": original.number},
        notify="complaint_duplicate", notify_values={"original": original.number},
    )  # fmt: skip
    complaint.reject_reason, complaint.duplicate_of_id = RejectReason.DUPLIKAT, original.id
    _clear_due(complaint)


@_one_change
def reopen(
    session: Session,
    complaint: Complaint,
    reason: str,
    calendar: WorkingCalendar,
    now: datetime | None = None,
) -> None:
    """The citizen disputes the resolution within the window; the agency must respond again."""
    now = now or utcnow()
    if (
        complaint.resolved_at
        and calendar.working_days_between(complaint.resolved_at, now) > DISPUTE_WINDOW_DAYS
    ):
        raise DisputeWindowClosed(
            f"{complaint.number}: resolved more than {DISPUTE_WINDOW_DAYS} working days ago"
        )
    _change(
        session, complaint, "reopen", CITIZEN, message=reason, now=now
    )  # the citizen is answered directly
    complaint.resolved_at, complaint.rating = None, None
    _set_due(complaint, "response", calendar, now)


@_one_change
def close(session: Session, complaint: Complaint, actor: Actor, now: datetime | None = None) -> None:
    """Close for good (after the dispute window, or a rejected complaint)."""
    now = _change(session, complaint, "close", actor, now=now)
    complaint.closed_at = now


@_one_change
def rate(session: Session, complaint: Complaint, rating: int) -> None:
    """The citizen's 1-5 satisfaction rating, once."""
    if not 1 <= rating <= 5 or complaint.rating is not None:
        raise InvalidRating(f"{complaint.number}: rating must be 1-5 and given once")
    _change(session, complaint, "rate", CITIZEN, data={"rating": rating})
    complaint.rating = rating


@_one_change
def escalate(session: Session, complaint: Complaint, now: datetime) -> None:
    """An overdue complaint goes up to the supervisors (once per deadline)."""
    _change(session, complaint, "escalate", SYSTEM, data={"due_kind": complaint.due_kind}, now=now)
    complaint.escalated_at = now


@_one_change
def anonymise(session: Session, complaint: Complaint, now: datetime) -> None:
    """Erase the citizen from a finished ticket at their request (HAPUS DATA): no name, no link to
    their contact, personal numbers masked in the text, their own words in the log replaced and their
    photos deleted (a picture can show a face or a house). The event says who asked, when and why,
    and nothing about them."""
    _change(session, complaint, "anonymise", CITIZEN, reason=ERASURE_REASON, now=now)
    complaint.contact_id, complaint.citizen_name, complaint.anonymised_at = None, None, now
    complaint.description = redact(complaint.description)
    complaint.location_text = redact(complaint.location_text) if complaint.location_text else None
    # The one sanctioned change to the append-only log: erasing the citizen's own words.
    session.execute(
        update(ComplaintEvent)
        .where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.actor == CITIZEN.kind,
            ComplaintEvent.message.is_not(None),
        )
        .values(message=ERASED_TEXT)
        .execution_options(synchronize_session=False)
    )
    for attachment in session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)):
        if attachment.stored_path:
            Path(attachment.stored_path).unlink(missing_ok=True)
        attachment.stored_path = attachment.source_url = None
        attachment.fetch_error = "erased"


def _change(
    session: Session,
    complaint: Complaint,
    action: str,
    actor: Actor,
    *,
    to_status: Status | None = None,
    reason: str | None = None,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    notify: str | None = None,
    notify_values: dict[str, str] | None = None,
    rating: bool = False,
    now: datetime | None = None,
) -> datetime:
    current = _check(complaint, action)
    target = to_status or TRANSITIONS[action][current] or current
    now = now or utcnow()
    complaint.status, complaint.updated_at = target, now
    complaint.version += 1
    _log(
        session, complaint, action, actor, current, target, reason=reason, message=message, data=data, at=now
    )
    if notify and complaint.contact_id is not None:
        queue_notification(
            session, complaint.contact_id, notification(complaint, notify, message, notify_values, rating)
        )
    return now


def _check(complaint: Complaint, action: str) -> Status:
    """The complaint's status, if ``action`` is allowed from it."""
    current = Status(complaint.status)
    if current not in TRANSITIONS[action]:
        raise IllegalTransition(complaint, action)
    return current


def notification(
    complaint: Complaint,
    key: str,
    message: str | None,
    values: dict[str, str] | None = None,
    rating: bool = False,
) -> Reply:
    """The citizen's message about a change of their ticket (text from bot/messages.yml)."""
    text = messages.text(key).format(number=complaint.number, **(values or {}))
    if message:
        text += "\n\n" + message
    # Outside WhatsApp's 24-hour window only an approved template may be sent: it says there is news
    # about the ticket, and the citizen's reply opens the window again.
    template = Template(UPDATE_TEMPLATE, {"1": complaint.number})
    if not rating:
        return Reply(
            text=text + "\n\n" + messages.text("complaint_check_hint").format(number=complaint.number),
            template=template,
        )
    ratings = [
        Button(title=str(score), payload=f'/rate{{"rating": {score}, "ticket": "{complaint.number}"}}')
        for score in range(1, 6)
    ]
    dispute = Button(messages.text("complaint_not_solved"), f'/dispute{{"ticket": "{complaint.number}"}}')
    buttons = (*ratings, dispute)
    return Reply(text=text + "\n\n" + messages.text("complaint_rate_ask"), buttons=buttons, template=template)


def _clear_due(complaint: Complaint, kind: str | None = None) -> None:
    """No deadline runs (``kind`` "citizen": the clock waits for them), so none is due soon or late:
    a queue must not show a rejected or waiting ticket as "terlambat"."""
    complaint.due_kind, complaint.due_at, complaint.sla_state = kind, None, SlaState.ON_TRACK


def _set_due(
    complaint: Complaint, stage: str, calendar: WorkingCalendar, start: datetime, days: int | None = None
) -> None:
    """Start the ``stage`` deadline: the category's working days for it, or ``days``."""
    category = complaint.category
    if days is None:
        days = getattr(category, f"{stage}_days", None) or {"verify": 3, "response": 5, "resolve": 14}[stage]
    complaint.due_kind, complaint.due_at = stage, calendar.add_working_days(start, days)
    complaint.sla_state, complaint.escalated_at = SlaState.ON_TRACK, None


def _log(
    session: Session,
    complaint: Complaint,
    action: str,
    actor: Actor,
    from_status: Status | None,
    to_status: Status | None,
    *,
    reason: str | None = None,
    message: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            at=at or utcnow(),
            actor=actor.kind,
            officer_id=actor.officer_id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            message=message,
            data=data or {},
        )
    )
