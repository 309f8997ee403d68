"""Photos attached to complaints are downloaded from the channel, within size and type limits."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from bot.db import Database, utcnow
from channels import media
from complaints import workflow
from complaints.attachments import fetch_pending
from complaints.calendar import WorkingCalendar
from complaints.models import Attachment, Privacy
from tests.fake_telegram import fake_telegram
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG's first bytes, then 10 kB
MEDIA_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/MM0001/Media/ME0001"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def file_with(seeded: Database, citizen: int, *references: str) -> int:
    """File a complaint carrying attachments as a channel referenced them; its id."""
    draft = workflow.Draft(
        citizen,
        "whatsapp",
        "Jalan berlubang di depan sekolah",
        "jalan-rusak",
        Privacy.BIASA,
        "Siti",
        attachments=tuple({"url": url, "content_type": "image/jpeg", "size": None} for url in references),
    )
    with seeded.session() as session:
        return workflow.file_complaint(session, draft, WorkingCalendar()).id


def attachments(db: Database) -> list[Attachment]:
    with db.reading() as session:
        return list(session.scalars(select(Attachment).order_by(Attachment.id)))


def fetch(
    db: Database, sources: list[media.Source], folder: Path, max_bytes: int = 1_000_000, later: float = 0
) -> int:
    return fetch_pending(db, sources, folder / "media", max_bytes, utcnow() + timedelta(hours=later))


def twilio_source(fake: FakeTwilio) -> media.TwilioMedia:
    return media.TwilioMedia(fake.url, ACCOUNT_SID, AUTH_TOKEN)


def test_a_whatsapp_photo_is_stored_privately_with_its_size(
    seeded: Database, citizen: int, twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio.media[MEDIA_PATH] = (200, "image/jpeg", PHOTO)
    file_with(seeded, citizen, twilio.url + MEDIA_PATH)

    assert fetch(seeded, [twilio_source(twilio)], tmp_path) == 1

    [attachment] = attachments(seeded)
    stored = Path(attachment.stored_path or "")
    assert stored.read_bytes() == PHOTO and stored.suffix == ".jpg" and stored.is_relative_to(tmp_path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert (attachment.size_bytes, attachment.fetch_error) == (len(PHOTO), None)
    assert fetch(seeded, [twilio_source(twilio)], tmp_path) == 0  # nothing is fetched twice


@pytest.mark.parametrize(
    ("served", "reason"),
    [
        ((200, "image/jpeg", PHOTO), "too_large"),  # found out while streaming: no Content-Length
        ((200, "text/html", b"<html>login</html>"), "type"),
        ((404, "application/json", b"{}"), "gone"),
    ],
)
def test_a_file_loket_must_not_keep_is_refused_and_leaves_nothing_behind(
    seeded: Database,
    citizen: int,
    twilio: FakeTwilio,
    tmp_path: Path,
    served: tuple[int, str, bytes],
    reason: str,
) -> None:
    twilio.media[MEDIA_PATH] = served
    file_with(seeded, citizen, twilio.url + MEDIA_PATH)

    fetch(seeded, [twilio_source(twilio)], tmp_path, max_bytes=4096)

    [attachment] = attachments(seeded)
    assert (attachment.stored_path, attachment.fetch_error) == (None, reason)
    assert [path for path in tmp_path.glob("media/**/*") if path.is_file()] == []
    fetch(seeded, [twilio_source(twilio)], tmp_path, later=48)
    assert twilio.media_requests == [MEDIA_PATH]  # a refusal is final


def test_credentials_go_only_to_the_configured_twilio_origin(
    seeded: Database, citizen: int, twilio: FakeTwilio, tmp_path: Path
) -> None:
    with fake_twilio() as elsewhere:  # a payload naming another server must not receive the token
        elsewhere.media[MEDIA_PATH] = (200, "image/jpeg", PHOTO)
        file_with(seeded, citizen, elsewhere.url + MEDIA_PATH)

        fetch(seeded, [twilio_source(twilio)], tmp_path)

        assert elsewhere.media_requests == []
    assert attachments(seeded)[0].fetch_error == "untrusted_source"


def test_a_provider_error_is_retried_later_and_then_stored(
    seeded: Database, citizen: int, twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio.media[MEDIA_PATH] = (503, "application/json", b"{}")
    file_with(seeded, citizen, twilio.url + MEDIA_PATH)

    fetch(seeded, [twilio_source(twilio)], tmp_path)
    fetch(seeded, [twilio_source(twilio)], tmp_path)  # too soon: not asked again
    [waiting] = attachments(seeded)
    twilio.media[MEDIA_PATH] = (200, "image/png", PHOTO)
    fetch(seeded, [twilio_source(twilio)], tmp_path, later=1)

    assert (waiting.fetch_attempts, waiting.fetch_error, waiting.stored_path) == (1, None, None)
    assert len(twilio.media_requests) == 2
    assert (attachments(seeded)[0].stored_path or "").endswith(".png")


def test_a_telegram_photo_is_found_with_get_file_and_stored(
    seeded: Database, citizen: int, tmp_path: Path
) -> None:
    with fake_telegram() as telegram:
        telegram.files["AgACAgUAAxkBAAIB"] = ("photos/file_7.jpg", "image/jpeg", PHOTO)
        file_with(seeded, citizen, "tg-file:AgACAgUAAxkBAAIB", "tg-file:unknown-file-id")

        fetch(seeded, [media.TelegramMedia(telegram.url, telegram.token)], tmp_path)

    found, missing = attachments(seeded)
    assert Path(found.stored_path or "").read_bytes() == PHOTO
    assert (missing.stored_path, missing.fetch_error) == (None, "gone")


def test_a_disk_that_cannot_take_the_file_delays_the_download_without_failing_the_job(
    seeded: Database, citizen: int, twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio.media[MEDIA_PATH] = (200, "image/jpeg", PHOTO)
    file_with(seeded, citizen, twilio.url + MEDIA_PATH)
    (tmp_path / "media").write_text("a file where the media folder should be")

    assert fetch(seeded, [twilio_source(twilio)], tmp_path) == 0

    [attachment] = attachments(seeded)
    assert (attachment.stored_path, attachment.fetch_error, attachment.fetch_attempts) == (None, None, 1)


def test_a_photo_erased_while_it_was_downloading_is_not_kept(
    seeded: Database, citizen: int, twilio: FakeTwilio, tmp_path: Path
) -> None:
    twilio.media[MEDIA_PATH] = (200, "image/jpeg", PHOTO)
    file_with(seeded, citizen, twilio.url + MEDIA_PATH)

    class ErasedMeanwhile(media.TwilioMedia):
        @contextmanager
        def open(self, client: httpx.Client, reference: str) -> Iterator[httpx.Response]:
            with super().open(client, reference) as response:
                with seeded.session() as session:  # HAPUS DATA runs while the file streams in
                    session.execute(update(Attachment).values(source_url=None, fetch_error="erased"))
                yield response

    fetch(seeded, [ErasedMeanwhile(twilio.url, ACCOUNT_SID, AUTH_TOKEN)], tmp_path)

    [attachment] = attachments(seeded)
    assert (attachment.stored_path, attachment.fetch_error) == (None, "erased")
    assert [path for path in tmp_path.glob("media/**/*") if path.is_file()] == []
