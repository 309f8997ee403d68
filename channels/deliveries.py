"""Delivery status per sent message, as the provider reports it: it only ever moves forward.

Providers report statuses late and out of order (Twilio may say "delivered" before "sent"), and a
status may arrive before Loket has recorded the message it belongs to; both cases end in the same
row, at the furthest status seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.db import Database, insert_if_absent, utcnow
from channels.models import Delivery

# How far along each status is; an update to a status of lower or equal rank is ignored.
RANK = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "failed": 5,
    "undelivered": 5,
    "canceled": 5,
    "delivered": 6,
    "read": 7,
}


@dataclass(frozen=True)
class Recorded:
    """The delivery row after a report, whether the report moved its status forward, and whether
    this report linked it to the sent message (a status that came before the sender had recorded it)."""

    delivery: Delivery
    moved: bool
    linked_late: bool


def record(
    db: Database,
    channel: str,
    provider_message_id: str,
    status: str,
    error_code: int | None = None,
    outbox_id: int | None = None,
) -> Recorded:
    """Store ``status`` for a message unless a further one is already known (repeated and stale
    reports do not move it)."""
    status = status.lower()
    with db.session() as session:
        inserted = insert_if_absent(
            session,
            Delivery.__table__,
            {
                "channel": channel,
                "provider_message_id": provider_message_id,
                "outbox_id": outbox_id,
                "status": status,
                "error_code": error_code,
                "updated_at": utcnow(),
            },
            ["channel", "provider_message_id"],
        )
        row = session.execute(
            select(Delivery)
            .where(Delivery.channel == channel, Delivery.provider_message_id == provider_message_id)
            .with_for_update()
        ).scalar_one()
        linked_late = inserted is None and row.outbox_id is None and outbox_id is not None
        if linked_late:
            row.outbox_id = outbox_id
        if inserted is not None:
            return Recorded(row, moved=True, linked_late=False)
        moved = RANK.get(status, 0) > RANK.get(row.status, 0)
        if moved:
            row.status, row.updated_at = status, utcnow()
            row.error_code = error_code if error_code is not None else row.error_code
        return Recorded(row, moved, linked_late)
