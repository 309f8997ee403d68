"""Fetching the files citizens attached to complaints, by the maintenance job.

Claims the attachments still waiting for their file (several app instances may run the job), downloads
each through its channel's source (channels/media.py: size and type limits, credentials only for the
provider's origin) into ``{var_dir}/media/{complaint}/``, and records the outcome: a refusal for good,
an outage tried again later with a growing delay, an erasure (HAPUS DATA) made meanwhile respected.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import CursorResult, or_, select, update

from bot.db import Database
from channels.media import EXTENSIONS, TIMEOUT, Refused, Source, Unavailable, download
from complaints.models import Attachment

logger = logging.getLogger(__name__)

CLAIM = timedelta(minutes=5)  # another instance leaves an attachment alone while one fetches it
RETRY_BASE = timedelta(minutes=1)
MAX_ATTEMPTS = 8


def fetch_pending(
    db: Database, sources: list[Source], media_dir: Path, max_bytes: int, now: datetime, limit: int = 20
) -> int:
    """Fetch attachments still waiting for their file; returns how many were stored."""
    stored = 0
    with httpx.Client(timeout=TIMEOUT) as client:
        for attachment_id in _claim(db, now, limit):
            stored += _fetch_one(db, client, sources, media_dir, max_bytes, attachment_id, now)
    return stored


def _claim(db: Database, now: datetime, limit: int) -> list[int]:
    with db.reading() as session:
        waiting = session.scalars(
            select(Attachment.id)
            .where(
                Attachment.stored_path.is_(None),
                Attachment.fetch_error.is_(None),
                Attachment.source_url.is_not(None),
                or_(Attachment.next_fetch_at.is_(None), Attachment.next_fetch_at <= now),
            )
            .order_by(Attachment.id)
            .limit(limit)
        ).all()
    claimed = []
    for attachment_id in waiting:
        with db.session() as session:
            taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Attachment)
                .where(
                    Attachment.id == attachment_id,
                    or_(Attachment.next_fetch_at.is_(None), Attachment.next_fetch_at <= now),
                )
                .values(next_fetch_at=now + CLAIM)
            )
        if taken.rowcount:
            claimed.append(attachment_id)
    return claimed


def _fetch_one(
    db: Database,
    client: httpx.Client,
    sources: list[Source],
    media_dir: Path,
    max_bytes: int,
    attachment_id: int,
    now: datetime,
) -> int:
    with db.reading() as session:
        attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.source_url is None:
        return 0
    reference = attachment.source_url
    source = next((source for source in sources if source.handles(reference)), None)
    target = media_dir / str(attachment.complaint_id) / f"{attachment.id}"
    try:
        if source is None:
            raise Refused("untrusted_source")
        content_type, size = download(client, source, reference, target, max_bytes)
    except Refused as refused:
        _finish(db, attachment_id, fetch_error=str(refused))
        logger.info("attachment %s not kept: %s", attachment_id, refused)
        return 0
    except Unavailable as unavailable:
        attempts = attachment.fetch_attempts + 1
        if attempts >= MAX_ATTEMPTS:
            _finish(db, attachment_id, fetch_error="unavailable", fetch_attempts=attempts)
        else:
            retry = now + RETRY_BASE * 2 ** (attempts - 1)
            _finish(db, attachment_id, fetch_attempts=attempts, next_fetch_at=retry)
        logger.warning("attachment %s not fetched yet (%s), attempt %s", attachment_id, unavailable, attempts)
        return 0
    final = target.with_suffix(EXTENSIONS[content_type])
    target.replace(final)
    if not _finish(db, attachment_id, stored_path=str(final), content_type=content_type, size_bytes=size):
        final.unlink(missing_ok=True)  # erased (HAPUS DATA) while it was being downloaded
        return 0
    return 1


def _finish(db: Database, attachment_id: int, **values: object) -> bool:
    """Record the outcome, unless the attachment was erased meanwhile; whether it was recorded."""
    with db.session() as session:
        recorded: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Attachment)
            .where(Attachment.id == attachment_id, Attachment.fetch_error.is_(None))
            .values(**values)
        )
        return bool(recorded.rowcount)
