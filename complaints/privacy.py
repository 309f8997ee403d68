"""A citizen's rights over their data (UU 27/2022): see what Loket holds (DATA SAYA) and have it
erased (HAPUS DATA) where no open ticket still needs it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.logs import redact
from catalog.models import UnansweredQuestion
from channels.inbox import ERASED_TEXT, forget_texts
from channels.models import Contact, InboxMessage, OutboxMessage, QueueStatus
from complaints import workflow
from complaints.models import Complaint, Privacy, Role

ERASED = ERASED_TEXT  # what an erased message or a citizen's erased words read


@dataclass(frozen=True)
class Holdings:
    """What Loket holds about one contact."""

    channel: str
    address: str  # masked
    since: datetime
    opted_out: bool
    messages: int
    tickets: list[tuple[str, str, bool]]  # number, status, whether a name is kept
    questions: int


def held_data(session: Session, contact_id: int) -> Holdings:
    contact = session.get(Contact, contact_id)
    assert contact is not None
    complaints = session.execute(
        select(Complaint.number, Complaint.status, Complaint.citizen_name)
        .where(Complaint.contact_id == contact_id)
        .order_by(Complaint.id)
    ).all()
    return Holdings(
        channel=contact.channel,
        address=mask(contact.address),
        since=contact.created_at,
        opted_out=contact.opted_out,
        messages=session.scalar(select(func.count()).where(InboxMessage.contact_id == contact_id)) or 0,
        tickets=[(number, status, name is not None) for number, status, name in complaints],
        questions=session.scalar(select(func.count()).where(UnansweredQuestion.contact_id == contact_id))
        or 0,
    )


# Who may see a citizen's identity at each privacy level (CONVERSATION.md, CONSOLE.md): nobody sees
# an anonymous citizen; a confidential one only verifiers, supervisors and administrators.
IDENTITY_VISIBLE_TO: dict[Privacy, frozenset[Role]] = {
    Privacy.BIASA: frozenset({Role.OFFICER, Role.VERIFIER, Role.SUPERVISOR, Role.ADMIN}),
    Privacy.RAHASIA: frozenset({Role.VERIFIER, Role.SUPERVISOR, Role.ADMIN}),
    Privacy.ANONIM: frozenset(),
}
PERSON_MASK = "[nama]"
# A person named in a citizen's text: an honorific or "atas nama" and the capitalised words after it
# ("Pak Asep Sunandar", "a.n. Siti Rahma"). Lower-case words after the honorific are left alone
# ("pak rt", "bu lurah"): they name an office, not a person.
_PERSON = re.compile(
    r"\b((?i:bapak|bpk|pak|ibu|bu|sdr|sdri|saudara|saudari|mas|mbak|kang|teh|teteh|akang)\.?\s+)"
    r"([A-Z][a-zA-Z']+(?:\s+[A-Z][a-zA-Z']+){0,3})"
)
# A name given in so many words is masked whatever its case ("nama saya budi santoso, ...").
_NAMED = re.compile(
    r"\b((?:atas nama|a\.n\.?|namanya|nama saya|nama sy|nama aku|namaku|saya bernama)\s*:?\s+)"
    r"([a-z][a-z']+(?:\s+(?!(?:dan|mau|ingin|dari|di|warga|yang|yg|tinggal|alamat|rt|rw|nik|no)\b)[a-z][a-z']+){0,3})",
    re.IGNORECASE,
)
_OFFICES = {
    "wali", "walikota", "lurah", "camat", "bupati", "gubernur", "kades", "rt", "rw", "kadis", "kepala",
    "presiden", "menteri", "dewan", "polisi", "satpam", "dokter", "guru", "kapolsek", "sekda", "kaling",
}  # fmt: skip


def may_see_identity(role: str, privacy: str) -> bool:
    """Whether an account of ``role`` may see who filed a ticket of ``privacy``."""
    return Role(role) in IDENTITY_VISIBLE_TO[Privacy(privacy)] if role in Role.__members__.values() else False


def mask_personal_data(text: str) -> str:
    """``text`` with NIKs, phone numbers, e-mail addresses and the names of people masked, as in the
    logs: for readers who may not see who is involved (UU 27/2022)."""
    text = _NAMED.sub(lambda match: match.group(1) + PERSON_MASK, redact(text))
    return _PERSON.sub(_mask_person, text)


def _mask_person(match: re.Match[str]) -> str:
    if match.group(2).split()[0].lower() in _OFFICES:
        return match.group(0)  # "Pak Wali", "Bu Lurah": an office, not a person
    return match.group(1) + PERSON_MASK


def description_for(role: str, complaint: Complaint) -> str:
    """A ticket's description as ``role`` may read it: personal data masked unless the role may see
    the citizen's identity at the ticket's privacy level."""
    if may_see_identity(role, complaint.privacy):
        return complaint.description
    return mask_personal_data(complaint.description)


def mask(address: str) -> str:
    """An identity shown back to its owner without revealing it whole: "+62812****7890"."""
    if len(address) <= 6:
        return "*" * len(address)
    return address[:4] + "*" * (len(address) - 7) + address[-3:]


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed and what it kept (and why: open tickets)."""

    anonymised_tickets: list[str]
    kept_tickets: list[str]
    messages_cleared: int
    contact_removed: bool


def erase(session: Session, contact_id: int, now: datetime) -> Erasure:
    """Remove the contact's personal data except what open tickets need.

    Finished tickets stay, anonymised through the workflow (``workflow.anonymise``), which logs it.
    Message texts are cleared. Without open tickets the contact itself is removed once the last
    reply to it has been delivered (``finish_erasures``), together with its Rasa conversation.
    Raises ``workflow.ChangedMeanwhile`` if a ticket changed while this ran: roll back and ask again.
    """
    rows = session.scalars(select(Complaint).where(Complaint.contact_id == contact_id)).all()
    finishable = workflow.TRANSITIONS["anonymise"]
    finished = [complaint for complaint in rows if complaint.status in finishable]
    kept = [complaint.number for complaint in rows if complaint.status not in finishable]
    for complaint in finished:
        workflow.anonymise(session, complaint, now)
    for question in session.scalars(
        select(UnansweredQuestion).where(UnansweredQuestion.contact_id == contact_id)
    ):
        question.contact_id, question.text = (
            None,
            redact(question.text),
        )  # editors keep the question, not the asker
    cleared = forget_texts(session, contact_id)
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.contact_id == contact_id,
            OutboxMessage.status.in_((QueueStatus.DONE, QueueStatus.FAILED)),
        )
    )
    if not kept:
        session.execute(update(Contact).where(Contact.id == contact_id).values(erase_requested_at=now))
    return Erasure([complaint.number for complaint in finished], kept, cleared, not kept)
