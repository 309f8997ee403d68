"""Contacts: one per channel identity, with the citizen's messaging preferences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import CursorResult, delete, exists, select, update
from sqlalchemy.orm import Session

from bot.db import Database, insert_if_absent, utcnow
from channels.base import ContactState
from channels.models import UNFINISHED, Contact, InboxMessage, OutboxMessage

CONVERSATION_PREFIX = "c"


class UnknownContact(LookupError):
    """No contact has this id or conversation id."""


def contact_for(db: Database, channel: str, address: str) -> Contact:
    """The contact for a channel identity, created on first sight (safe under concurrency)."""
    with db.reading() as session:
        known = session.execute(select(Contact).where(*_identity(channel, address))).scalar_one_or_none()
    if known is not None:
        return known
    with db.session() as session:
        return ensure_contact(session, channel, address)


def ensure_contact(session: Session, channel: str, address: str) -> Contact:
    """The contact for a channel identity inside a write transaction, created if new."""
    known = session.execute(select(Contact).where(*_identity(channel, address))).scalar_one_or_none()
    if known is not None:
        return known
    insert_if_absent(
        session,
        Contact.__table__,
        {
            "channel": channel,
            "address": address,
            "phone": phone_of(channel, address),
            "opted_out": False,
            "created_at": utcnow(),
        },
        ["channel", "address"],
    )
    return session.execute(select(Contact).where(*_identity(channel, address))).scalar_one()


def _identity(channel: str, address: str) -> tuple[Any, Any]:
    return Contact.channel == channel, Contact.address == address


def contact_id_of(conversation_id: str) -> int:
    """The contact id inside a Rasa conversation id (``c42`` -> 42)."""
    if not conversation_id.startswith(CONVERSATION_PREFIX) or not conversation_id[1:].isdigit():
        raise UnknownContact(conversation_id)
    return int(conversation_id[1:])


def set_opted_out(db: Database, contact_id: int, opted_out: bool) -> None:
    """Record whether the contact accepts proactive messages (STOP / MULAI)."""
    with db.session() as session:
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Contact).where(Contact.id == contact_id).values(opted_out=opted_out)
        )
        if changed.rowcount != 1:
            raise UnknownContact(str(contact_id))


def set_phone(db: Database, contact_id: int, phone: str) -> None:
    """Record the E.164 number a citizen shared as their own (Telegram's contact button), which links
    this contact with their WhatsApp and SMS contacts."""
    with db.session() as session:
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Contact).where(Contact.id == contact_id).values(phone=phone)
        )
        if changed.rowcount != 1:
            raise UnknownContact(str(contact_id))


def mark_refused(db: Database, contact_id: int, state: ContactState, reason: str) -> None:
    """Record a provider's permanent refusal: opted out (no proactive messages until MULAI), or an
    address that does not work (no proactive messages until the citizen writes again)."""
    values: dict[str, Any] = (
        {"opted_out": True} if state is ContactState.OPTED_OUT else {"unreachable_reason": reason[:200]}
    )
    with db.session() as session:
        session.execute(update(Contact).where(Contact.id == contact_id).values(**values))


def get(db: Database, contact_id: int) -> Contact:
    """One contact by id."""
    with db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UnknownContact(str(contact_id))
        return contact


def finish_erasures(db: Database, forget_conversation: Callable[[str], None]) -> int:
    """Remove contacts that asked to be erased once nothing is waiting for or from them; returns how many.

    Their inbox and outbox rows go with them (foreign keys cascade); ``forget_conversation`` removes
    the dialogue history Rasa keeps under the contact's conversation id.
    """
    unfinished = [
        select(queued.id).where(queued.contact_id == Contact.id, queued.status.in_(UNFINISHED))
        for queued in (InboxMessage, OutboxMessage)
    ]
    with db.session() as session:
        ready = session.scalars(
            select(Contact).where(Contact.erase_requested_at.is_not(None), *[~exists(q) for q in unfinished])
        ).all()
        for contact in ready:
            forget_conversation(contact.conversation_id)
        session.execute(delete(Contact).where(Contact.id.in_([contact.id for contact in ready])))
        return len(ready)


PHONE_CHANNELS = frozenset({"sms_gateway", "twilio_sms", "whatsapp"})


def phone_of(channel: str, address: str) -> str | None:
    """The E.164 number behind a phone channel's address ("whatsapp:+62812…" → "+62812…")."""
    if channel not in PHONE_CHANNELS:
        return None
    number = address.removeprefix("whatsapp:")
    return number if number.startswith("+") and number[1:].isdigit() else None


def same_person(session: Session, contact_id: int) -> list[int]:
    """The contact and every other contact with the same phone number (WhatsApp and SMS of one citizen)."""
    phone = session.scalar(select(Contact.phone).where(Contact.id == contact_id))
    if phone is None:
        return [contact_id]
    return list(session.scalars(select(Contact.id).where(Contact.phone == phone).order_by(Contact.id)))
