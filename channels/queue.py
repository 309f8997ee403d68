"""Leased work queues on SQL tables, shared by the inbox and the outbox.

A row is *claimable* when it is pending and due, or when the worker holding it let its lease
expire (it crashed or hung). Only the oldest unfinished row of each contact is claimable, which
keeps every contact's messages in order however many workers or app instances run. On PostgreSQL
candidates are locked with ``FOR UPDATE SKIP LOCKED``; on every backend the claim itself is a
guarded UPDATE, so a row is never held by two workers at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.db import Database, utcnow
from channels.models import UNFINISHED, InboxMessage, OutboxMessage, QueueStatus

Queued = TypeVar("Queued", InboxMessage, OutboxMessage)

CANDIDATES_PER_CLAIM = 8


def retry_delay(attempts: int, base_seconds: float, max_seconds: float) -> timedelta:
    """Exponential backoff: ``base * 2**(attempts-1)``, capped at ``max_seconds``."""
    exponent = min(max(attempts - 1, 0), 32)
    return timedelta(seconds=min(max_seconds, base_seconds * 2**exponent))


def _claimable(model: type[Queued], now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(model.status == QueueStatus.PENDING, model.available_at <= now),
        and_(model.status == QueueStatus.PROCESSING, model.lease_expires_at < now),
    )


def claim_next(
    db: Database, model: type[Queued], owner: str, lease_seconds: float, now: datetime | None = None
) -> Queued | None:
    """Take the next due message of a contact whose earlier messages are all finished, or None."""
    now = now or utcnow()
    earlier = aliased(model)
    blocked_by_earlier = exists().where(
        earlier.contact_id == model.contact_id,
        earlier.id < model.id,
        earlier.status.in_(UNFINISHED),
    )
    candidates = (
        select(model.id)
        .where(_claimable(model, now), ~blocked_by_earlier)
        .order_by(model.available_at, model.id)
        .limit(CANDIDATES_PER_CLAIM)
    )
    if db.is_postgresql:
        candidates = candidates.with_for_update(skip_locked=True, of=model)
    with db.session() as session:
        for row_id in session.scalars(candidates).all():
            claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(model)
                .where(model.id == row_id, _claimable(model, now))
                .values(
                    status=QueueStatus.PROCESSING,
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=model.attempts + 1,
                )
            )
            if claimed.rowcount == 1:
                return session.execute(
                    select(model).where(model.id == row_id).execution_options(populate_existing=True)
                ).scalar_one()
    return None


def finish(db: Database, model: type[Queued], row_id: int, owner: str, **values: object) -> bool:
    """Mark a claimed row done; False if the lease was lost to another worker meanwhile."""
    with db.session() as session:
        return release(session, model, row_id, owner, status=QueueStatus.DONE, **values)


def retry_later(
    db: Database,
    model: type[Queued],
    row_id: int,
    owner: str,
    available_at: datetime,
    error: str,
    **values: object,
) -> bool:
    """Put a claimed row back in the queue until ``available_at``; False if the lease was lost."""
    with db.session() as session:
        return release(
            session,
            model,
            row_id,
            owner,
            status=QueueStatus.PENDING,
            available_at=available_at,
            last_error=error,
            **values,
        )


def fail(db: Database, model: type[Queued], row_id: int, owner: str, error: str) -> bool:
    """Give up on a claimed row for good; it no longer blocks the contact's later messages."""
    with db.session() as session:
        return release(session, model, row_id, owner, status=QueueStatus.FAILED, last_error=error)


def release(session: Session, model: type[Queued], row_id: int, owner: str, **values: object) -> bool:
    """Within ``session``, let go of a claimed row with new ``values``; False if the lease was lost."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(model)
        .where(model.id == row_id, model.status == QueueStatus.PROCESSING, model.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None, **values)
    )
    return bool(result.rowcount == 1)
