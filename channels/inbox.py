"""The inbox: every inbound message is stored here before the provider is acknowledged."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from bot.db import Database, insert_if_absent, utcnow
from channels.base import Button, InboundMessage, Reply
from channels.contacts import ensure_contact
from channels.models import Contact, InboxMessage, OutboxMessage, QueueStatus
from channels.queue import release

P = ParamSpec("P")
T = TypeVar("T")

# A webhook is acknowledged only once its message is stored, and providers want that fast whatever
# the dialogue is doing. Its writes therefore run on threads of their own: the event loop's default
# pool (min(32, cores + 4) threads) is kept busy by actions, retrieval and the queue workers.
_INBOUND = ThreadPoolExecutor(max_workers=4, thread_name_prefix="loket-inbound")


async def on_inbound_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking store of an inbound webhook on the threads reserved for acknowledging."""
    return await asyncio.get_running_loop().run_in_executor(
        _INBOUND, functools.partial(function, *args, **kwargs)
    )


@dataclass(frozen=True)
class Stored:
    """Where an inbound message went: its inbox row, and False if it was a repeat."""

    inbox_id: int
    contact_id: int
    is_new: bool


def store(db: Database, message: InboundMessage) -> Stored:
    """Persist ``message`` once per (channel, provider message id); repeats return the first row."""
    return store_with_outbox(db, message, [], handled=False)


def store_with_outbox(
    db: Database, message: InboundMessage, queued: list[tuple[str, dict[str, Any]]], handled: bool
) -> Stored:
    """Persist ``message`` and queue ``queued`` ((kind, body) pairs, in order) in one transaction, once
    per (channel, provider message id); a repeat queues nothing.

    A ``handled`` message is stored done (it needs no dialogue turn); otherwise it waits for the dialogue,
    and the rows queued here are delivered ahead of the turn's replies (same contact, earlier ids).
    """
    now = utcnow()
    with db.session(urgent=True) as session:
        contact = ensure_contact(session, message.channel, message.sender)
        inserted = insert_if_absent(
            session,
            InboxMessage.__table__,
            {
                "channel": message.channel,
                "provider_message_id": message.provider_message_id,
                "contact_id": contact.id,
                "text": message.text,
                "payload": message.payload,
                "status": QueueStatus.DONE if handled else QueueStatus.PENDING,
                "attempts": 0,
                "received_at": now,
                "available_at": now,
                "processed_at": now if handled else None,
                "delay_notice_sent": False,
            },
            ["channel", "provider_message_id"],
        )
        if inserted is None:
            inbox_id = session.execute(
                select(InboxMessage.id).where(
                    InboxMessage.channel == message.channel,
                    InboxMessage.provider_message_id == message.provider_message_id,
                )
            ).scalar_one()
            return Stored(inbox_id=inbox_id, contact_id=contact.id, is_new=False)
        session.execute(
            update(Contact)
            .where(Contact.id == contact.id)
            .values(last_inbound_at=now, unreachable_reason=None)
        )
        session.add_all(
            OutboxMessage(
                contact_id=contact.id,
                channel=message.channel,
                inbox_id=inserted,
                kind=kind,
                body=body,
                status=QueueStatus.PENDING,
                attempts=0,
                created_at=now,
                available_at=now,
            )
            for kind, body in queued
        )
        return Stored(inbox_id=inserted, contact_id=contact.id, is_new=True)


def store_handled(db: Database, message: InboundMessage, replies: list[Reply]) -> Stored:
    """Persist a message that needs no dialogue turn (an edit, a refused attachment) as done, with its
    replies queued as notices in the same transaction; a repeat queues nothing."""
    queued = [("notice", reply.to_body()) for reply in replies if not reply.is_empty]
    return store_with_outbox(db, message, queued, handled=True)


def complete(db: Database, message: InboxMessage, owner: str, replies: list[Reply]) -> bool:
    """Mark a processed message done and queue its replies, atomically; False if the lease was lost."""
    with db.session() as session:
        if not release(
            session, InboxMessage, message.id, owner, status=QueueStatus.DONE, processed_at=utcnow()
        ):
            return False
        session.add_all(_outbox_rows(message, replies, kind="reply"))
        return True


def defer(
    db: Database, message: InboxMessage, owner: str, delay_seconds: float, error: str, notice: Reply | None
) -> bool:
    """Requeue a message the dialogue could not handle yet; queue ``notice`` once per message."""
    with db.session() as session:
        send_notice = notice is not None and not message.delay_notice_sent
        released = release(
            session,
            InboxMessage,
            message.id,
            owner,
            status=QueueStatus.PENDING,
            available_at=utcnow() + timedelta(seconds=delay_seconds),
            last_error=error,
            delay_notice_sent=message.delay_notice_sent or send_notice,
        )
        if released and send_notice and notice is not None:
            session.add_all(_outbox_rows(message, [notice], kind="notice"))
        return released


def _outbox_rows(message: InboxMessage, replies: list[Reply], kind: str) -> list[OutboxMessage]:
    return [
        outbox_row(message.contact_id, message.channel, reply, kind, inbox_id=message.id)
        for reply in replies
        if not reply.is_empty
    ]


def outbox_row(
    contact_id: int, channel: str, reply: Reply, kind: str, inbox_id: int | None = None
) -> OutboxMessage:
    """A reply queued for delivery to a contact on its channel."""
    now = utcnow()
    return OutboxMessage(
        contact_id=contact_id,
        channel=channel,
        inbox_id=inbox_id,
        kind=kind,
        body=reply.to_body(),
        status=QueueStatus.PENDING,
        attempts=0,
        created_at=now,
        available_at=now,
    )


def queue_notification(session: Session, contact_id: int, reply: Reply) -> bool:
    """Queue a message Loket sends on its own (a ticket update) unless the citizen opted out or the
    provider refused their address for good."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.opted_out or contact.unreachable_reason:
        return False
    session.add(outbox_row(contact.id, contact.channel, reply, kind="notification"))
    return True


def release_deferred(db: Database, now: datetime) -> int:
    """Make every message waiting for a retry due now (the dialogue is back); returns how many."""
    with db.session() as session:
        released: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(InboxMessage)
            .where(
                InboxMessage.status == QueueStatus.PENDING,
                InboxMessage.available_at > now,
                InboxMessage.last_error.is_not(None),
            )
            .values(available_at=now)
        )
        return released.rowcount


def last_offered_buttons(db: Database, contact_id: int, before_inbox_id: int) -> list[Button]:
    """The choices of the last reply sent to a contact before a message, for numbered answers ("2")."""
    with db.reading() as session:
        received_at = session.execute(
            select(InboxMessage.received_at).where(InboxMessage.id == before_inbox_id)
        ).scalar_one()
        body = session.scalar(
            select(OutboxMessage.body)
            .where(
                OutboxMessage.contact_id == contact_id,
                or_(
                    and_(OutboxMessage.kind == "reply", OutboxMessage.inbox_id < before_inbox_id),
                    OutboxMessage.kind == "notification",  # a ticket update asking for a rating
                ),
                OutboxMessage.created_at <= received_at,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    return list(Reply.from_body(body).buttons) if body else []


def replies_to(db: Database, inbox_id: int) -> tuple[str, list[OutboxMessage]]:
    """The inbox status of a message and the outbox rows queued in answer to it, in order."""
    with db.reading() as session:
        status = session.execute(select(InboxMessage.status).where(InboxMessage.id == inbox_id)).scalar_one()
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.inbox_id == inbox_id).order_by(OutboxMessage.id)
        ).all()
        return status, list(rows)


ERASED_TEXT = "[dihapus]"


def forget_texts(session: Session, contact_id: int, since_inbox_id: int | None = None) -> int:
    """Blank the stored texts of a contact's messages (all, or from ``since_inbox_id`` on); returns how many.

    Used when a citizen cancels a half-filled complaint and when they ask for their data to be erased.
    """
    query = update(InboxMessage).where(InboxMessage.contact_id == contact_id)
    if since_inbox_id is not None:
        query = query.where(InboxMessage.id >= since_inbox_id)
    result: CursorResult[Any] = session.execute(query.values(text=ERASED_TEXT, payload={}))  # type: ignore[assignment]
    return result.rowcount
