"""The Telegram channel: verified updates in (once per update_id), replies out through PTB to a local fake
Bot API, in order, split, with keyboards, paced, retried or given up by Telegram's answer."""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import logs
from bot.cli import main
from bot.db import Database, utcnow
from bot.metrics import REGISTRY
from bot.settings import Settings, get_settings
from channels import contacts, inbox, queue, telegram
from channels.base import Button, Reply, TransientSendError
from channels.models import InboxMessage, OutboxMessage, QueueStatus
from channels.workers import OutboxWorker
from tests.e2e.conftest import free_port, wait_for
from tests.fake_telegram import TOKEN, FakeTelegram, fake_telegram

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
SECRET = "loket-webhook-secret_2025"
CHAT = "812345670"  # Siti's private chat in the fixtures
MENU = Reply(
    text="Halo, saya Loket. Saya bisa membantu Anda:",
    buttons=(
        Button("Info layanan", "/ask_howto"),
        Button("Buat pengaduan", "/file_complaint"),
        Button("Cek status", "/check_status"),
    ),
)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.started = self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def fixture(name: str) -> dict[str, Any]:
    """A captured Update from tests/fixtures/telegram."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def pressed(key: str, keyboard_of: int | None = None) -> dict[str, Any]:
    """The callback_query fixture with ``key`` as the tapped button's data; with ``keyboard_of``, the
    keyboard it was on is the one Loket rendered for that outbox row."""
    update = copy.deepcopy(fixture("callback_query.json"))
    if keyboard_of is not None:
        keyboard = update["callback_query"]["message"]["reply_markup"]["inline_keyboard"]
        for index, row in enumerate(keyboard):
            row[0]["callback_data"] = telegram.callback_key(keyboard_of, index)
    update["callback_query"]["data"] = key
    return update


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fake_telegram() as running:
        yield running


@pytest.fixture
async def telegram_bot(fake: FakeTelegram) -> AsyncIterator[telegram.TelegramBot]:
    bot = telegram.TelegramBot(telegram.build_application(TOKEN, fake.url))
    yield bot
    await bot.stop()


def webhook_app(db: Database, fake: FakeTelegram) -> FastAPI:
    app = FastAPI()
    app.include_router(telegram.router)
    bot = telegram.TelegramBot(telegram.build_application(TOKEN, fake.url)).bot
    app.state.telegram = telegram.TelegramContext(db, SECRET, bot, lambda: None, lambda: None)
    return app


@pytest.fixture
def client(db: Database, fake: FakeTelegram) -> Iterator[TestClient]:
    with TestClient(webhook_app(db, fake)) as test_client:
        yield test_client


def post(client: TestClient, update: dict[str, Any] | bytes, secret: str | None = SECRET) -> httpx.Response:
    """POST an update as Telegram does (``secret=None`` sends no secret header)."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[telegram.SECRET_HEADER] = secret
    return client.post(telegram.WEBHOOK_PATH, content=body, headers=headers)


def inbox_rows(db: Database) -> list[InboxMessage]:
    with db.reading() as session:
        return list(session.scalars(select(InboxMessage).order_by(InboxMessage.id)).all())


def outbox_rows(db: Database) -> list[OutboxMessage]:
    with db.reading() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def offered_menu(db: Database, address: str = CHAT) -> int:
    """A menu Loket sent to ``address`` earlier; the id of its outbox row."""
    contact = contacts.contact_for(db, telegram.CHANNEL, address)
    with db.session() as session:
        row = inbox.outbox_row(contact.id, telegram.CHANNEL, MENU, "reply")
        row.status = QueueStatus.DONE
        session.add(row)
        session.flush()
        return row.id


def queue_reply(db: Database, reply: Reply) -> int:
    """A reply waiting in the outbox for the fixtures' chat; its row id."""
    contact = contacts.contact_for(db, telegram.CHANNEL, CHAT)
    with db.session() as session:
        row = inbox.outbox_row(contact.id, telegram.CHANNEL, reply, "reply")
        session.add(row)
        session.flush()
        return row.id


def answer_turn(db: Database, *replies: Reply) -> None:
    """Play the dialogue worker for the next inbox message: claim it and queue ``replies``."""
    message = queue.claim_next(db, InboxMessage, "dialogue", lease_seconds=30)
    assert message is not None
    assert inbox.complete(db, message, "dialogue", list(replies))


def worker(
    db: Database, settings: Settings, bot: telegram.TelegramBot, interval: float = 0, **kwargs: Any
) -> OutboxWorker:
    return OutboxWorker(db, settings, {telegram.CHANNEL: telegram.TelegramSender(bot, interval)}, **kwargs)


async def drain(outbox: OutboxWorker) -> None:
    while await outbox.work_once("sender-1"):
        pass


def citizen_calls(fake: FakeTelegram) -> list[tuple[str, dict[str, Any]]]:
    """What reached Telegram for the citizen (not the bot's own getMe), in order."""
    return [(call.method, call.params) for call in fake.calls if call.method != "getMe"]


# Webhook: verification, deduplication, what each kind of update becomes.


@pytest.mark.parametrize("secret", [None, "", "loket-webhook-secret_2024"])
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(
    client: TestClient, db: Database, secret: str | None
) -> None:
    response = post(client, fixture("private_text.json"), secret=secret)

    assert response.status_code == 403
    assert inbox_rows(db) == []


def test_without_a_token_or_a_secret_the_webhook_is_off(db: Database, settings: Settings) -> None:
    app = FastAPI()
    app.include_router(telegram.router)
    bot = telegram.TelegramBot(telegram.build_application(TOKEN, "http://127.0.0.1:9"))
    app.state.telegram = telegram.webhook_context(settings, db, bot, lambda: None, lambda: None)

    with TestClient(app) as off:
        refused = post(off, fixture("private_text.json"), secret="")

    assert telegram.TelegramBot.from_settings(settings) is None  # no LOKET_TELEGRAM_BOT_TOKEN: no bot at all
    assert app.state.telegram is None  # no LOKET_TELEGRAM_SECRET_TOKEN: nothing to check updates against
    assert refused.status_code == 404 and refused.json()["error"] == "channel_off"


def test_a_redelivered_update_is_acknowledged_but_stored_once(client: TestClient, db: Database) -> None:
    first = post(client, fixture("private_text.json"))
    again = post(client, fixture("private_text_retry.json"))

    assert (first.status_code, first.json()) == (200, {"status": "queued"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    [message] = inbox_rows(db)
    assert (message.contact.address, message.text, message.status) == (
        CHAT,
        "gmn cr bkin ktp yg ilang",
        "pending",
    )
    assert message.provider_message_id == "864201001"


def test_the_start_button_greets_and_a_typed_slash_never_picks_an_intent(
    client: TestClient, db: Database
) -> None:
    post(client, fixture("start_command.json"))
    typed = fixture("private_text.json") | {"update_id": 864201020}
    typed["message"] = typed["message"] | {"text": "/lapor@loket_test_bot jalan rusak"}
    post(client, typed)

    assert [row.text for row in inbox_rows(db)] == ["/greet", "lapor jalan rusak"]


async def test_a_pressed_button_reaches_the_dialogue_as_its_payload_after_the_press_is_answered(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    menu = offered_menu(db)

    response = post(client, pressed(telegram.callback_key(menu, 1), keyboard_of=menu))
    [message] = inbox_rows(db)
    answer_turn(db, Reply(text="Silakan ceritakan masalahnya."))
    await drain(worker(db, settings, telegram_bot))

    assert response.json() == {"status": "queued"}
    assert message.text == "/file_complaint"
    reply = {
        "chat_id": int(CHAT),
        "text": "Silakan ceritakan masalahnya.",
        "reply_markup": {"remove_keyboard": True},
    }
    assert citizen_calls(fake) == [
        ("answerCallbackQuery", {"callback_query_id": "3488837163316352011"}),
        ("sendMessage", reply),
    ]


async def test_a_button_of_another_chat_counts_as_its_title_and_an_unknown_one_is_answered_politely(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    someone_elses = offered_menu(db, address="955501234")
    foreign = pressed(telegram.callback_key(someone_elses, 1), keyboard_of=someone_elses)
    unknown = pressed("o999999:7") | {"update_id": 864201021}

    post(client, foreign)
    post(client, unknown)
    await drain(worker(db, settings, telegram_bot))

    titled, expired = inbox_rows(db)
    assert (titled.text, titled.status) == ("Buat pengaduan", "pending")  # read like a typed title
    assert (expired.text, expired.status) == ("", "done")  # nothing for the dialogue
    answers = fake.sent("answerCallbackQuery")
    assert len(answers) == 2 and "text" not in answers[0].params
    assert answers[1].params["text"] == "Pilihan ini sudah tidak berlaku. Silakan tulis pesan Anda."


def test_a_shared_location_goes_to_the_dialogue_with_its_coordinates(
    client: TestClient, db: Database
) -> None:
    post(client, fixture("location.json"))
    post(client, fixture("venue.json"))

    pin, venue = inbox_rows(db)
    assert (pin.text, pin.payload) == (
        "/share_location",
        {"location": {"latitude": -6.914744, "longitude": 107.60981}},
    )
    assert venue.payload["location"]["label"] == "Gedung Sate"


def test_a_photo_is_attached_in_its_largest_size_with_the_caption_as_text(
    client: TestClient, db: Database
) -> None:
    post(client, fixture("photo.json"))
    post(client, fixture("photo_caption.json"))

    alone, captioned = inbox_rows(db)
    assert alone.text == "/share_media"
    assert alone.payload == {
        "media": [{"url": "tg-file:AgACAgUAAxkBAAIBPWk2large", "content_type": "image/jpeg", "size": 183260}]
    }
    assert captioned.text == "jalan berlubang depan SDN 2 Cibeunying"
    assert captioned.payload["media"][0]["url"] == "tg-file:AgACAgUAAxkBAAIBPmk2large"


async def test_a_too_large_picture_or_a_pdf_is_not_attached_and_the_citizen_is_told_why(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    post(client, fixture("document_photo_too_large.json"))
    post(client, fixture("document_pdf.json"))
    await drain(worker(db, settings, telegram_bot))

    assert [(row.status, row.payload) for row in inbox_rows(db)] == [("done", {}), ("done", {})]
    told = [call.params["text"] for call in fake.sent(chat_id=int(CHAT))]
    assert "terlalu besar (maksimal 10 MB)" in told[0]
    assert "hanya foto (JPG, PNG, atau WEBP)" in told[1]


def test_a_caption_still_reaches_the_dialogue_when_its_picture_is_refused(
    client: TestClient, db: Database
) -> None:
    update = fixture("document_photo_too_large.json")
    update["message"]["caption"] = "sampah menumpuk di pasar"

    post(client, update)

    [message] = inbox_rows(db)
    [notice] = outbox_rows(db)
    assert (message.text, message.payload, message.status) == ("sampah menumpuk di pasar", {}, "pending")
    assert "terlalu besar" in notice.body["text"]


async def test_the_citizens_own_number_is_recorded_and_someone_elses_is_refused(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    post(client, fixture("contact_other.json"))
    after_other = contacts.contact_for(db, telegram.CHANNEL, CHAT).phone
    post(client, fixture("contact_own.json"))
    post(client, fixture("contact_own.json"))  # redelivered: confirmed once
    await drain(worker(db, settings, telegram_bot))

    assert after_other is None
    assert contacts.contact_for(db, telegram.CHANNEL, CHAT).phone == "+6281234567890"
    assert [call.params["text"] for call in fake.sent()] == [
        "Maaf, kami hanya mencatat nomor telepon milik Anda sendiri. Kontak orang lain tidak kami simpan.",
        "Terima kasih, nomor telepon Anda sudah kami catat.",
    ]
    assert all("6285722223333" not in json.dumps(row.payload) for row in inbox_rows(db))


async def test_an_edited_message_is_not_run_again_and_gets_one_notice(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    post(client, fixture("private_text.json"))
    edited = post(client, fixture("edited_message.json"))
    post(client, fixture("edited_message.json"))
    moving = post(client, fixture("edited_live_location.json"))
    await drain(worker(db, settings, telegram_bot))

    original, edit = inbox_rows(db)
    assert (original.text, original.status) == ("gmn cr bkin ktp yg ilang", "pending")
    assert (edit.text, edit.status) == ("", "done")
    assert edited.json() == {"status": "queued"} and moving.json() == {"status": "ignored"}
    assert [call.params["text"] for call in fake.sent()] == [
        "Pesan yang diubah tidak kami proses ulang; silakan kirim pesan baru."
    ]


def test_group_chats_are_acknowledged_and_ignored(client: TestClient, db: Database) -> None:
    before = REGISTRY.get_sample_value("loket_telegram_ignored_total", {"reason": "group_chat"}) or 0

    response = post(client, fixture("group_message.json"))

    assert (response.status_code, response.json()) == (200, {"status": "ignored"})
    assert inbox_rows(db) == []
    assert REGISTRY.get_sample_value("loket_telegram_ignored_total", {"reason": "group_chat"}) == before + 1


async def test_a_sticker_is_answered_with_what_loket_can_read(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    post(client, fixture("sticker.json"))
    await drain(worker(db, settings, telegram_bot))

    assert "hanya bisa membaca teks, foto, dan lokasi" in fake.sent()[0].params["text"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"update_id": 864201030, "message": {"text": ', "not valid JSON"),
        (b'[{"update_id": 864201030}]', "integer update_id"),
        (b'{"update_id": 864201030, "message": {"text": "halo"}}', "malformed"),
    ],
)
def test_a_malformed_body_gets_400_with_what_is_wrong(
    client: TestClient, db: Database, body: bytes, detail: str
) -> None:
    response = post(client, body)

    assert response.status_code == 400 and detail in response.json()["detail"]
    assert inbox_rows(db) == []


# Sending: parts, keyboards, pacing and Telegram's errors.


def long_steps() -> str:
    return "\n".join(
        f"{n}. Siapkan berkas nomor {n}: fotokopi KTP, kartu keluarga, dan surat pengantar dari kelurahan."
        for n in range(1, 61)
    )


async def test_a_long_reply_arrives_as_two_messages_in_order_with_the_buttons_on_the_last(
    db: Database, settings: Settings, fake: FakeTelegram, telegram_bot: telegram.TelegramBot
) -> None:
    text = long_steps()
    row = queue_reply(db, Reply(text=text, buttons=(Button("Ya", "/affirm"), Button("Tidak", "/deny"))))

    await drain(worker(db, settings, telegram_bot))

    first, last = fake.sent(chat_id=int(CHAT))
    assert len(text) > 5000 and len(first.params["text"]) <= telegram.MAX_TEXT_CHARS
    assert f"{first.params['text']}\n{last.params['text']}" == text  # cut at a line break, nothing lost
    assert "reply_markup" not in first.params
    assert last.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Ya", "callback_data": f"o{row}:0"}],
            [{"text": "Tidak", "callback_data": f"o{row}:1"}],
        ]
    }
    [sent] = outbox_rows(db)
    assert (sent.status, sent.provider_message_id) == ("done", "1001,1002")


def test_text_is_split_at_spaces_when_a_paragraph_has_no_line_break() -> None:
    words = " ".join(["pelayanan"] * 1000)

    parts = telegram.split(words, telegram.MAX_TEXT_CHARS)

    assert len(parts) == 3 and " ".join(parts) == words
    assert all(len(part) <= telegram.MAX_TEXT_CHARS and set(part.split()) == {"pelayanan"} for part in parts)


async def test_a_429_is_retried_no_earlier_than_retry_after_and_the_part_sent_is_not_sent_again(
    db: Database, settings: Settings, fake: FakeTelegram, telegram_bot: telegram.TelegramBot
) -> None:
    row = queue_reply(db, Reply(text=long_steps(), buttons=(Button("Ya", "/affirm"),)))
    clock = Clock()
    outbox = worker(db, settings, telegram_bot, clock=clock)
    fake.rate_limit_next("sendMessage", retry_after=3, after=1)  # the second part hits flood control

    await outbox.work_once("sender-1")
    [waiting] = outbox_rows(db)
    clock.now += timedelta(seconds=2.9)
    early = await outbox.work_once("sender-1")
    clock.now = waiting.available_at
    await outbox.work_once("sender-1")

    assert (waiting.status, waiting.parts_sent) == ("pending", 1)
    assert waiting.available_at >= clock.started + timedelta(seconds=3)
    assert early is False
    delivered = [call.params["text"] for call in fake.sent()]
    assert len(delivered) == 2 and f"{delivered[0]}\n{delivered[1]}" == long_steps()
    assert [call.status for call in fake.calls if call.method == "sendMessage"] == [200, 429, 200]
    assert fake.sent()[1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"o{row}:0"
    [done] = outbox_rows(db)
    assert done.status == "done"


async def test_a_citizen_who_blocked_the_bot_is_marked_unreachable_and_not_retried(
    db: Database, settings: Settings, fake: FakeTelegram, telegram_bot: telegram.TelegramBot
) -> None:
    queue_reply(db, Reply(text="Laporan ADU-7K3Q-9M2X sudah diverifikasi."))
    fake.block_next()

    await drain(worker(db, settings, telegram_bot))

    [failed] = outbox_rows(db)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "blocked" in (contacts.contact_for(db, telegram.CHANNEL, CHAT).unreachable_reason or "")
    with db.session() as session:  # so later ticket updates are not even queued for them
        assert inbox.queue_notification(session, failed.contact_id, Reply(text="Laporan selesai")) is False


async def test_an_answer_to_a_button_press_that_is_too_old_is_given_up_at_once(
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    menu = offered_menu(db)
    post(client, pressed(telegram.callback_key(menu, 0), keyboard_of=menu))
    fake.fail_next(
        "answerCallbackQuery",
        400,
        "Bad Request: query is too old and response timeout expired or query id is invalid",
    )

    await drain(worker(db, settings, telegram_bot))

    answer = next(row for row in outbox_rows(db) if row.kind == telegram.CALLBACK_ANSWER)
    assert (answer.status, answer.attempts) == ("failed", 1)
    assert contacts.contact_for(db, telegram.CHANNEL, CHAT).unreachable_reason is None
    assert inbox_rows(db)[0].text == "/ask_howto"  # the choice itself still goes to the dialogue


async def test_a_location_question_shows_a_location_button_which_the_next_plain_reply_removes(
    db: Database, settings: Settings, fake: FakeTelegram, telegram_bot: telegram.TelegramBot
) -> None:
    queue_reply(db, Reply(text="Di mana lokasi masalahnya?", custom={"request": "location"}))
    queue_reply(db, Reply(text="Terima kasih, lokasinya sudah kami catat."))

    await drain(worker(db, settings, telegram_bot))

    asked, thanked = fake.sent()
    assert asked.params["reply_markup"] == {
        "keyboard": [[{"text": "Kirim lokasi saya", "request_location": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert thanked.params["reply_markup"] == {"remove_keyboard": True}


async def test_messages_to_one_chat_are_paced(
    db: Database, settings: Settings, fake: FakeTelegram, telegram_bot: telegram.TelegramBot
) -> None:
    queue_reply(db, Reply(text=long_steps()))

    await drain(worker(db, settings, telegram_bot, interval=0.5))

    first, second = fake.sent()
    assert second.at - first.at >= 0.4


async def test_telegram_unreachable_at_start_up_is_tried_again_before_the_first_send(
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.fail_next("getMe", 502, "Bad Gateway")
    queue_reply(db, Reply(text="Halo"))

    with caplog.at_level(logging.WARNING):
        await telegram_bot.start()  # does not raise: the app keeps starting
    await drain(worker(db, settings, telegram_bot))

    assert "Telegram is not reachable yet" in caplog.text
    assert [call.status for call in fake.calls if call.method == "getMe"] == [502, 200]
    assert [call.params["text"] for call in fake.sent()] == ["Halo"]


async def test_a_rejected_token_keeps_the_replies_for_later(db: Database, fake: FakeTelegram) -> None:
    wrong = telegram.TelegramBot(telegram.build_application("7123456789:" + "X" * 35, fake.url))
    queue_reply(db, Reply(text="Halo"))
    with db.reading() as session:
        message = session.scalars(select(OutboxMessage)).one()

    with pytest.raises(TransientSendError, match="bot token was rejected"):
        await telegram.TelegramSender(wrong, 0).send(message)
    await wrong.stop()


# Logs.


@pytest.fixture
def production_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The app's own logging set-up (``bot.logs.configure``), captured at DEBUG."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in ("telegram", "httpx")}
    logs.configure("DEBUG")
    caplog.handler.addFilter(logs.RedactingFilter())
    root.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    yield caplog
    root.handlers[:], root.level = saved_handlers, saved_level
    for name, level in noisy.items():
        logging.getLogger(name).setLevel(level)


async def test_the_token_and_citizens_details_stay_out_of_the_logs(
    production_logging: pytest.LogCaptureFixture,
    client: TestClient,
    db: Database,
    settings: Settings,
    fake: FakeTelegram,
    telegram_bot: telegram.TelegramBot,
) -> None:
    wrong_token = "7123456789:" + "Z" * 35
    wrong = telegram.TelegramBot(telegram.build_application(wrong_token, fake.url))
    post(client, fixture("private_text.json"))
    post(client, fixture("contact_own.json"))
    post(client, fixture("group_message.json"))
    post(client, fixture("private_text.json"), secret="wrong")
    await drain(worker(db, settings, telegram_bot))  # the replies to the contact, sent
    queue_reply(db, Reply(text="Halo Siti, nomor Anda 081234567890"))
    fake.block_next()
    await drain(worker(db, settings, telegram_bot))  # a failed send
    try:
        await telegram.TelegramSender(wrong, 0).send(outbox_rows(db)[-1])
    except TransientSendError:
        logging.getLogger("channels.workers").exception("send failed")  # with PTB's error in the traceback
    await wrong.stop()

    logged = production_logging.text
    assert "Telegram update ignored: group_chat" in logged
    assert "The token `[TOKEN]` was rejected" in logged  # PTB's own message, masked inside the traceback
    for secret in (TOKEN, TOKEN.split(":")[1], wrong_token.split(":")[1], SECRET):
        assert secret not in logged
    for personal in (CHAT, "6281234567890", "081234567890", "Siti", "ktp"):
        assert personal not in logged
    assert all(TOKEN not in (row.last_error or "") for row in outbox_rows(db))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"POST http://127.0.0.1:8081/bot{TOKEN}/sendMessage",
            "POST http://127.0.0.1:8081/bot[TOKEN]/sendMessage",
        ),
        (
            f"The token `{TOKEN}` was rejected by the server.",
            "The token `[TOKEN]` was rejected by the server.",
        ),
        ("jam 08:30, antrian 3:1", "jam 08:30, antrian 3:1"),
    ],
)
def test_bot_tokens_are_masked_wherever_they_appear(text: str, expected: str) -> None:
    assert logs.redact(text) == expected


# Operator commands.


@pytest.fixture
def cli_environment(monkeypatch: pytest.MonkeyPatch, fake: FakeTelegram, tmp_path: Path) -> Iterator[None]:
    for name, value in {
        "LOKET_VAR_DIR": str(tmp_path / "var"),
        "LOKET_TELEGRAM_BOT_TOKEN": TOKEN,
        "LOKET_TELEGRAM_SECRET_TOKEN": SECRET,
        "LOKET_TELEGRAM_API_BASE_URL": fake.url,
        "LOKET_PUBLIC_BASE_URL": "https://loket.example.go.id/",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_set_webhook_registers_the_public_url_with_the_secret(
    cli_environment: None, fake: FakeTelegram
) -> None:
    result = CliRunner().invoke(main, ["telegram", "set-webhook"])

    assert result.exit_code == 0, result.output
    assert fake.webhook == {
        "url": "https://loket.example.go.id/webhooks/telegram",
        "secret_token": SECRET,
        "allowed_updates": ["message", "edited_message", "callback_query"],
        "drop_pending_updates": False,
    }
    assert (
        "@loket_test_bot" in result.output
        and "https://loket.example.go.id/webhooks/telegram" in result.output
    )
    assert TOKEN not in result.output and SECRET not in result.output


@pytest.mark.parametrize(
    ("unset", "wrong_token", "message"),
    [
        ("LOKET_PUBLIC_BASE_URL", False, "LOKET_PUBLIC_BASE_URL is not set"),
        ("LOKET_TELEGRAM_SECRET_TOKEN", False, "LOKET_TELEGRAM_SECRET_TOKEN is not set"),
        ("LOKET_TELEGRAM_BOT_TOKEN", False, "LOKET_TELEGRAM_BOT_TOKEN is not set"),
        (None, True, "the bot token was rejected"),
    ],
)
def test_set_webhook_says_what_is_missing_and_never_prints_the_token(
    cli_environment: None,
    fake: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    unset: str | None,
    wrong_token: bool,
    message: str,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    if wrong_token:
        monkeypatch.setenv("LOKET_TELEGRAM_BOT_TOKEN", "7123456789:" + "Q" * 35)
    get_settings.cache_clear()

    result = CliRunner().invoke(main, ["telegram", "set-webhook"])

    assert result.exit_code == 1 and message in result.output
    assert "Q" * 35 not in result.output and fake.webhook == {}


@pytest.fixture
def running_app(db: Database, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The webhook served on 127.0.0.1:LOKET_PORT, as ``loket serve`` would."""
    port = free_port()
    monkeypatch.setenv("LOKET_PORT", str(port))
    get_settings.cache_clear()
    config = uvicorn.Config(
        webhook_app(db, fake), host="127.0.0.1", port=port, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20)
    yield
    server.should_exit = True
    thread.join(20)


def test_poll_forwards_updates_to_the_running_app_and_confirms_them_only_then(
    cli_environment: None, running_app: None, db: Database, fake: FakeTelegram
) -> None:
    fake.webhook = {"url": "https://loket.example.go.id/webhooks/telegram"}
    fake.queue_update(fixture("private_text.json"))
    fake.queue_update(fixture("location.json"))

    result = CliRunner().invoke(main, ["telegram", "poll", "--max-updates", "2", "--timeout", "1"])

    assert result.exit_code == 0, result.output
    assert "forwarded 2 update(s)" in result.output
    assert [(row.provider_message_id, row.text) for row in inbox_rows(db)] == [
        ("864201001", "gmn cr bkin ktp yg ilang"),
        ("864201003", "/share_location"),
    ]
    methods = [call.method for call in fake.calls if call.method != "getMe"]
    assert methods[0] == "deleteWebhook" and fake.webhook == {}
    offsets = [call.params.get("offset") for call in fake.calls if call.method == "getUpdates"]
    assert offsets == [None, 864201004]  # confirmed (offset past them) only after the app took both
    assert fake.updates == []
    assert TOKEN not in result.output


def test_poll_stops_without_confirming_an_update_the_app_refused(
    cli_environment: None,
    running_app: None,
    db: Database,
    fake: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOKET_TELEGRAM_SECRET_TOKEN", "not-the-apps-secret")
    get_settings.cache_clear()
    fake.queue_update(fixture("private_text.json"))

    result = CliRunner().invoke(main, ["telegram", "poll", "--max-updates", "1", "--timeout", "0"])

    assert result.exit_code == 1 and "answered 403" in result.output
    assert inbox_rows(db) == []
    assert [update["update_id"] for update in fake.updates] == [864201001]  # Telegram still holds it
