"""Delivery status per sent message, as the provider reports it: it only ever moves forward.

Providers report statuses late and out of order (Twilio may say "delivered" before "sent"), and a
status may arrive before Loket has recorded the message it belongs to; both cases end in the same
row, at the furthest status seen.
"""

from __future__ import annotations

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


def record(
    db: Database,
    channel: str,
    provider_message_id: str,
    status: str,
    error_code: int | None = None,
    outbox_id: int | None = None,
) -> tuple[Delivery, bool]:
    """Store ``status`` for a message unless a further one is already known; returns the current row
    and whether this report moved it (repeated and stale reports do not)."""
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
        if row.outbox_id is None and outbox_id is not None:
            row.outbox_id = outbox_id
        if inserted is not None:
            return row, True
        moved = RANK.get(status, 0) > RANK.get(row.status, 0)
        if moved:
            row.status, row.updated_at = status, utcnow()
            row.error_code = error_code if error_code is not None else row.error_code
        return row, moved
