"""Downloading the photos and documents citizens attach to complaints, within size and type limits.

A channel only hands over a reference: Twilio an authenticated media URL
(https://www.twilio.com/docs/messaging/api/media-resource), Telegram a file id that ``getFile``
turns into a download path (https://core.telegram.org/bots/api#getfile). Once a complaint is filed,
the maintenance job fetches its attachments into ``{var_dir}/media/`` with ``download``:

- at most ``LOKET_MEDIA_MAX_BYTES`` each, counted while streaming (Twilio's webhook says nothing of
  the size, and a header may lie);
- only the accepted types, as the server that holds the file reports them;
- credentials are sent only to the provider API origin in the settings, never to another address
  a payload names;
- a failure that will not go away (too large, wrong type, gone, refused) is ``Refused``; anything
  else is ``Unavailable``. Which complaint attachments to fetch, and what is recorded on them, is
  complaints/attachments.py's (channels know nothing of complaints).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from bot.settings import Settings

logger = logging.getLogger(__name__)

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
TELEGRAM_PREFIX = "tg-file:"
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
