"""Downloading the photos and documents citizens attach to complaints, within size and type limits.

A channel only hands over a reference: Twilio an authenticated media URL
(https://www.twilio.com/docs/messaging/api/media-resource), Telegram a file id that ``getFile``
turns into a download path (https://core.telegram.org/bots/api#getfile). Once a complaint is filed,
the maintenance job fetches its attachments into ``{var_dir}/media/``:

- at most ``LOKET_MEDIA_MAX_BYTES`` each, counted while streaming (Twilio's webhook says nothing of
  the size, and a header may lie);
- only the accepted types, as the server that holds the file reports them;
- credentials are sent only to the provider API origin in the settings, never to another address
  a payload names;
- a failure that will not go away (too large, wrong type, gone, refused) is recorded on the
  attachment; anything else is tried again later, with a growing delay.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from sqlalchemy import CursorResult, or_, select, update

from bot.db import Database
from bot.settings import Settings
from complaints.models import Attachment

logger = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
TELEGRAM_PREFIX = "tg-file:"
CLAIM = timedelta(minutes=5)  # another instance leaves an attachment alone while one fetches it
RETRY_BASE = timedelta(minutes=1)
MAX_ATTEMPTS = 8
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Refused(Exception):
    """The file will never be fetched: the reason is kept on the attachment."""


class Unavailable(Exception):
    """The file could not be fetched now; it is tried again later."""


class Source(Protocol):
    """Where one channel's files are fetched from."""

    def handles(self, reference: str) -> bool: ...

    @contextmanager
    def open(self, client: httpx.Client, reference: str) -> Iterator[httpx.Response]: ...


@dataclass(frozen=True)
class TwilioMedia:
    """Media of WhatsApp messages: GET with the account's credentials, on the configured API origin."""

    api_base_url: str
    account_sid: str
    auth_token: str

    def handles(self, reference: str) -> bool:
        return _origin(reference) == _origin(self.api_base_url)

    @contextmanager
    def open(self, client: httpx.Client, reference: str) -> Iterator[httpx.Response]:
        # Twilio answers with a redirect to short-lived storage; httpx drops the credentials when a
        # redirect leaves the origin.
        auth = (self.account_sid, self.auth_token)
        with client.stream("GET", reference, auth=auth, follow_redirects=True) as response:
            yield response


@dataclass(frozen=True)
class TelegramMedia:
    """Files of Telegram messages: ``getFile`` for the path, then the file under ``/file/bot<token>/``."""

    api_base_url: str
    token: str

    def handles(self, reference: str) -> bool:
        return reference.startswith(TELEGRAM_PREFIX)

    @contextmanager
    def open(self, client: httpx.Client, reference: str) -> Iterator[httpx.Response]:
        base = self.api_base_url.rstrip("/")
        found = client.get(
            f"{base}/bot{self.token}/getFile", params={"file_id": reference[len(TELEGRAM_PREFIX) :]}
        )
        if found.status_code in (400, 404):
            raise Refused("gone")
        try:
            path = found.json()["result"].get("file_path") if found.status_code == 200 else None
        except (ValueError, KeyError, AttributeError) as error:
            raise Unavailable("getFile answered something unreadable") from error
        if found.status_code != 200:
            raise Unavailable(f"getFile answered {found.status_code}")
        if not path:  # files over 20 MB have no download path
            raise Refused("too_large")
        with client.stream("GET", f"{base}/file/bot{self.token}/{path}") as response:
            yield response


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def download(
    client: httpx.Client, source: Source, reference: str, target: Path, max_bytes: int
) -> tuple[str, int]:
    """Fetch ``reference`` into ``target`` (present only once complete); its content type and size."""
    partial = target.with_name(target.name + ".part")
    try:
        with source.open(client, reference) as response:
            content_type = _acceptable(response, max_bytes)
            size = 0
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise Refused("too_large")
                    file.write(chunk)
        partial.replace(target)
        return content_type, size
    except (httpx.TransportError, OSError) as error:  # the network, or the disk (full, not writable)
        raise Unavailable(type(error).__name__) from error
    finally:
        with suppress(OSError):  # nothing was written, or the folder itself is the problem
            partial.unlink(missing_ok=True)


def _acceptable(response: httpx.Response, max_bytes: int) -> str:
    """The file's content type, if the answer is a file Loket keeps; raises otherwise."""
    if response.status_code in (403, 404, 410):
        raise Refused("refused" if response.status_code == 403 else "gone")
    if response.status_code != 200:
        raise Unavailable(f"answered {response.status_code}")
    content_type = str(response.headers.get("content-type", "")).split(";")[0].strip().lower()
    if content_type not in EXTENSIONS:
        raise Refused("type")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused("too_large")
    return content_type


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


def sources_from(settings: Settings) -> list[Source]:
    """The media sources of the channels the settings turn on."""
    found: list[Source] = []
    twilio_token = settings.twilio_auth_token.get_secret_value()
    if settings.twilio_account_sid and twilio_token:
        found.append(TwilioMedia(settings.twilio_api_base_url, settings.twilio_account_sid, twilio_token))
    telegram_token = settings.telegram_bot_token.get_secret_value()
    if telegram_token:
        found.append(TelegramMedia(settings.telegram_api_base_url, telegram_token))
    return found
