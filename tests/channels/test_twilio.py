"""WhatsApp and SMS through Twilio: signed webhooks in (captured payloads), REST calls out to a local fake."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from bot.db import Database, utcnow
from bot.logs import RedactingFilter
from bot.settings import Settings
from channels import inbox
from channels import twilio_messaging as tw
from channels.base import Button, Reply, Template
from channels.gsm7 import is_gsm7, segments
from channels.models import Contact, Delivery, InboxMessage, OutboxMessage, QueueStatus
from channels.workers import OutboxWorker
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, fake_twilio

PUBLIC = "https://loket.example.go.id"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"
CITIZEN = "whatsapp:+6281234567890"


def captured(name: str, **changes: str) -> dict[str, str]:
    fields: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text())
    return fields | changes


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(tw.router)
    app.state.twilio = tw.TwilioContext(
        db, AUTH_TOKEN, PUBLIC, frozenset({tw.WHATSAPP, tw.SMS}), lambda: None, lambda: None
    )
    with TestClient(app) as test_client:
        yield test_client


def post(
    client: TestClient, path: str, fields: dict[str, str], signed_url: str | None = None
) -> httpx.Response:
    """POST form ``fields`` signed the way Twilio signs them (over the public URL unless told otherwise)."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url or PUBLIC + path, fields)
    return client.post(path, data=fields, headers={tw.SIGNATURE_HEADER: signature})


def stored(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    with db.reading() as session:
        rows = session.execute(
            select(Contact.address, InboxMessage.text, InboxMessage.payload).join(InboxMessage.contact)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_signed_whatsapp_message_is_stored_once_and_answered_with_empty_twiml(
    client: TestClient, db: Database
) -> None:
    first = post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_text"))
    again = post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_text"))  # Twilio's retry

    assert first.status_code == again.status_code == 200
    assert first.headers["content-type"].startswith("text/xml") and first.text == tw.EMPTY_TWIML
    assert again.text == tw.EMPTY_TWIML
    assert stored(db) == [(CITIZEN, "gmn cr bkin ktp yg ilang", {})]


@pytest.mark.parametrize(
    "signature_of",
    [
        None,  # no header at all
        "http://127.0.0.1:8000/webhooks/twilio/whatsapp",  # signed for another URL (behind a proxy)
        "tampered",  # the body changed after signing
    ],
)
def test_a_missing_or_wrong_signature_is_refused(
    client: TestClient, db: Database, signature_of: str | None
) -> None:
    fields = captured("whatsapp_text")
    if signature_of is None:
        response = client.post("/webhooks/twilio/whatsapp", data=fields)
    elif signature_of == "tampered":
        signature = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC + "/webhooks/twilio/whatsapp", fields
        )
        response = client.post(
            "/webhooks/twilio/whatsapp",
            data=fields | {"Body": "transfer"},
            headers={tw.SIGNATURE_HEADER: signature},
        )
    else:
        response = post(client, "/webhooks/twilio/whatsapp", fields, signed_url=signature_of)

    assert response.status_code == 403
    assert stored(db) == []


def test_an_image_without_text_becomes_an_attachment_for_the_dialogue(
    client: TestClient, db: Database
) -> None:
    post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_image"))

    [(_, text, payload)] = stored(db)
    assert text == tw.SHARE_MEDIA
    assert payload["media"] == [
        {"url": captured("whatsapp_image")["MediaUrl0"], "content_type": "image/jpeg", "size": None}
    ]


def test_a_shared_location_becomes_coordinates_for_the_dialogue(client: TestClient, db: Database) -> None:
    post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_location"))

    [(_, text, payload)] = stored(db)
    assert text == tw.SHARE_LOCATION
    assert payload["location"] == {
        "latitude": -6.9147444,
        "longitude": 107.6098111,
        "address": "Jl. Asia Afrika No.8, Bandung",
        "label": "Gedung Merdeka",
    }


def test_a_tapped_quick_reply_sends_its_payload_not_its_title(client: TestClient, db: Database) -> None:
    post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_button"))

    assert stored(db)[0][1] == "/affirm"


def test_a_sticker_gets_a_polite_answer_without_a_dialogue_turn(client: TestClient, db: Database) -> None:
    response = post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_sticker"))

    assert response.status_code == 200
    with db.reading() as session:
        statuses = session.scalars(select(InboxMessage.status)).all()
        replies = session.scalars(select(OutboxMessage.body)).all()
    assert statuses == [QueueStatus.DONE]
    assert "hanya bisa membaca teks, foto, dan lokasi" in replies[0]["text"]


def test_an_sms_sender_is_stored_in_e164_and_linked_to_the_same_whatsapp_number(
    client: TestClient, db: Database
) -> None:
    post(client, "/webhooks/twilio/sms", captured("sms_text", From="+6281234567890"))
    post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_text"))

    with db.reading() as session:
        phones = session.execute(select(Contact.channel, Contact.phone).order_by(Contact.id)).all()
    assert [tuple(row) for row in phones] == [(tw.SMS, "+6281234567890"), (tw.WHATSAPP, "+6281234567890")]


def test_a_request_without_a_message_sid_gets_a_clear_400(client: TestClient, db: Database) -> None:
    fields = captured("whatsapp_text")
    del fields["MessageSid"], fields["SmsSid"], fields["SmsMessageSid"]

    response = post(client, "/webhooks/twilio/whatsapp", fields)

    assert response.status_code == 400 and "MessageSid" in response.json()["detail"]


def test_without_credentials_the_twilio_webhooks_are_off() -> None:
    app = FastAPI()
    app.include_router(tw.router)
    with TestClient(app) as off:
        assert off.post("/webhooks/twilio/whatsapp", data=captured("whatsapp_text")).status_code == 404
        assert off.post("/webhooks/twilio/status", data=captured("status_delivered")).status_code == 404


# --- sending ---------------------------------------------------------------------------------


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def sender(db: Database, fake: FakeTwilio, channel: str = tw.WHATSAPP, **templates: str) -> tw.TwilioSender:
    from_ = "whatsapp:+14155238886" if channel == tw.WHATSAPP else "+14155550100"
    return tw.TwilioSender(channel, db, ACCOUNT_SID, AUTH_TOKEN, from_, fake.url, PUBLIC, templates)


def queue(
    db: Database,
    reply: Reply,
    kind: str = "reply",
    channel: str = tw.WHATSAPP,
    last_seen: timedelta | None = None,
) -> int:
    """Queue ``reply`` for the citizen, who last wrote ``last_seen`` ago (now when None)."""
    address = CITIZEN if channel == tw.WHATSAPP else "+6281234567890"
    message, _ = tw.parse(channel, captured("whatsapp_text", From=address))
    contact_id = inbox.store(db, message).contact_id
    with db.session() as session:
        session.execute(update(InboxMessage).values(status=QueueStatus.DONE))
        session.execute(
            update(Contact)
            .where(Contact.id == contact_id)
            .values(last_inbound_at=utcnow() - (last_seen or timedelta()))
        )
        row = inbox.outbox_row(contact_id, channel, reply, kind)
        session.add(row)
        session.flush()
        return row.id


async def deliver(db: Database, settings: Settings, *senders: tw.TwilioSender) -> None:
    """Let the outbox worker send everything queued, retries included (they are due almost at once)."""
    fast = settings.model_copy(update={"retry_base_seconds": 0.0001, "retry_max_seconds": 0.0001})
    worker = OutboxWorker(db, fast, {sender.channel: sender for sender in senders})
    for _ in range(100_000):
        if not await worker.work_once("test") and not pending(db):
            break
    await worker.aclose()


def pending(db: Database) -> bool:
    with db.reading() as session:
        return (
            session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == QueueStatus.PENDING))
            is not None
        )


def outbox(db: Database, row_id: int) -> OutboxMessage:
    with db.reading() as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        return row


async def test_a_long_whatsapp_answer_goes_out_in_order_in_pieces_of_at_most_1600(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    steps = "\n".join(
        f"{n}. Langkah ke-{n}: " + ", ".join(["bawa berkas asli dan fotokopi"] * 4) for n in range(1, 26)
    )
    queue(db, Reply(text=steps))

    await deliver(db, settings, sender(db, twilio))

    bodies = [message["Body"] for message in twilio.sent_to(CITIZEN)]
    assert len(bodies) == 3 and all(len(body) <= 1600 for body in bodies)
    assert "\n".join(bodies) == steps
    assert all(message["StatusCallback"] == PUBLIC + "/webhooks/twilio/status" for message in twilio.messages)


async def test_up_to_three_short_choices_become_quick_replies_made_once(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    choices = (Button("Setuju", "/affirm"), Button("Tidak setuju", "/deny"))
    queue(db, Reply(text="Setuju?", buttons=choices))
    queue(db, Reply(text="Yakin?", buttons=choices))

    await deliver(db, settings, sender(db, twilio))

    [content] = twilio.contents
    assert content["types"]["twilio/quick-reply"]["actions"] == [
        {"title": "Setuju", "id": "/affirm"},
        {"title": "Tidak setuju", "id": "/deny"},
    ]
    sent = twilio.sent_to(CITIZEN)
    assert [m["ContentSid"] for m in sent] == [content["sid"]] * 2
    assert [json.loads(m["ContentVariables"]) for m in sent] == [{"1": "Setuju?"}, {"1": "Yakin?"}]


async def test_more_than_three_choices_are_numbered_in_the_text(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    menu = tuple(Button(title, f"/{n}") for n, title in enumerate(["KTP", "KK", "Akta", "SKCK"]))
    queue(db, Reply(text="Pilih layanan:", buttons=menu))

    await deliver(db, settings, sender(db, twilio))

    [message] = twilio.sent_to(CITIZEN)
    assert "1. KTP\n2. KK\n3. Akta\n4. SKCK" in message["Body"] and twilio.contents == []


def update_notice() -> Reply:
    return Reply(
        text="Laporan ADU-7K3M-Q9PX sudah selesai.",
        template=Template("complaint_update", {"1": "ADU-7K3M-Q9PX"}),
    )


async def test_inside_the_24_hour_window_a_notification_is_sent_as_it_is(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    queue(db, update_notice(), kind="notification", last_seen=timedelta(hours=23))

    await deliver(db, settings, sender(db, twilio, complaint_update="HXapproved"))

    [message] = twilio.sent_to(CITIZEN)
    assert message["Body"].startswith("Laporan ADU-7K3M-Q9PX sudah selesai") and "ContentSid" not in message


async def test_outside_the_24_hour_window_a_notification_uses_the_approved_template(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    queue(db, update_notice(), kind="notification", last_seen=timedelta(hours=25))

    await deliver(db, settings, sender(db, twilio, complaint_update="HXapproved"))

    [message] = twilio.sent_to(CITIZEN)
    assert message["ContentSid"] == "HXapproved" and "Body" not in message
    assert json.loads(message["ContentVariables"]) == {"1": "ADU-7K3M-Q9PX"}


async def test_a_63016_refusal_falls_back_to_the_template(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    twilio.failures = [(400, 63016)]  # our clock said "inside", WhatsApp says "outside"
    row = queue(db, update_notice(), kind="notification", last_seen=timedelta(hours=2))

    await deliver(db, settings, sender(db, twilio, complaint_update="HXapproved"))

    [refused, template] = twilio.messages
    assert "Body" in refused and not refused["accepted"]
    assert template["ContentSid"] == "HXapproved" and template["accepted"]
    assert outbox(db, row).status == QueueStatus.DONE


async def test_a_63016_reported_later_by_status_callback_queues_the_template_once(
    client: TestClient, db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    queue(db, update_notice(), kind="notification", last_seen=timedelta(hours=2))
    whatsapp = sender(db, twilio, complaint_update="HXapproved")
    await deliver(db, settings, whatsapp)
    [free_form] = twilio.sent_to(CITIZEN)

    failed = captured(
        "status_delivered", MessageSid=free_form["sid"], MessageStatus="failed", ErrorCode="63016"
    )
    assert post(client, "/webhooks/twilio/status", failed).status_code == 204
    assert post(client, "/webhooks/twilio/status", failed).status_code == 204  # repeated callback
    await deliver(db, settings, whatsapp)

    [_, template] = twilio.sent_to(CITIZEN)
    assert template["ContentSid"] == "HXapproved"


async def test_without_an_approved_template_an_old_conversation_is_not_messaged(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    row = queue(db, update_notice(), kind="notification", last_seen=timedelta(days=3))

    await deliver(db, settings, sender(db, twilio))

    assert twilio.messages == []
    assert outbox(db, row).status == QueueStatus.FAILED and "template" in (outbox(db, row).last_error or "")


async def test_21610_marks_the_citizen_opted_out_and_later_notifications_are_skipped(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    twilio.failures = [(400, 21610)]
    row = queue(db, Reply(text="Halo"))

    await deliver(db, settings, sender(db, twilio))

    assert outbox(db, row).status == QueueStatus.FAILED and len(twilio.messages) == 1  # never retried
    with db.session() as session:
        contact_id = outbox(db, row).contact_id
        assert session.get(Contact, contact_id).opted_out  # type: ignore[union-attr]
        assert not inbox.queue_notification(session, contact_id, update_notice())


async def test_an_opt_out_reported_before_the_sender_recorded_the_message_still_counts(
    client: TestClient, db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    row = queue(db, Reply(text="Halo"))

    def status_first(sid: str) -> None:  # Twilio's callback overtakes its answer to the REST call
        failed = captured("status_delivered", MessageSid=sid, MessageStatus="failed", ErrorCode="21610")
        assert post(client, "/webhooks/twilio/status", failed).status_code == 204

    twilio.before_answer = status_first
    await deliver(db, settings, sender(db, twilio))

    with db.session() as session:
        contact_id = outbox(db, row).contact_id
        assert session.get(Contact, contact_id).opted_out  # type: ignore[union-attr]
        assert not inbox.queue_notification(session, contact_id, update_notice())


async def test_a_bad_number_is_not_retried_and_stops_proactive_messages(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    twilio.failures = [(400, 21211)]
    row = queue(db, Reply(text="Halo"))

    await deliver(db, settings, sender(db, twilio))

    with db.session() as session:
        contact = session.get(Contact, outbox(db, row).contact_id)
        assert contact is not None and contact.unreachable_reason and not contact.opted_out
        assert not inbox.queue_notification(session, contact.id, update_notice())


async def test_a_rate_limit_after_the_first_part_resends_only_the_rest(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    twilio.failures = [None, (429, 20429)]  # the first part goes through, the second is refused once
    queue(db, Reply(text="\n".join(["a" * 1500, "b" * 1500, "c" * 1500])))

    await deliver(db, settings, sender(db, twilio))

    assert [message["Body"][0] for message in twilio.messages] == ["a", "b", "b", "c"]
    assert [message["Body"][0] for message in twilio.sent_to(CITIZEN)] == ["a", "b", "c"]


async def test_sms_through_twilio_is_gsm7_in_at_most_three_segments_each(
    db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    text = "Syarat “KTP” hilang 😊:\n" + "\n".join(
        f"- Surat kehilangan dari kepolisian no. {n}" for n in range(30)
    )
    queue(db, Reply(text=text, buttons=(Button("Ya", "/affirm"),)), channel=tw.SMS)

    await deliver(db, settings, sender(db, twilio, channel=tw.SMS))

    bodies = [message["Body"] for message in twilio.sent_to("+6281234567890")]
    assert len(bodies) > 1 and all(is_gsm7(body) and segments(body) <= 3 for body in bodies)
    assert bodies[0].startswith('Syarat "KTP" hilang')
    assert bodies[-1].endswith("1. Ya\nBalas dengan nomornya.")


def test_status_callbacks_out_of_order_never_move_a_delivery_back(client: TestClient, db: Database) -> None:
    sid = "SMaaaabbbbccccddddeeeeffff00001111"
    for status in ("delivered", "sent", "queued"):
        assert (
            post(
                client, "/webhooks/twilio/status", captured("status_delivered", MessageStatus=status)
            ).status_code
            == 204
        )
    post(client, "/webhooks/twilio/status", captured("status_delivered", MessageStatus="read"))
    post(
        client,
        "/webhooks/twilio/status",
        captured("status_delivered", MessageStatus="failed", ErrorCode="30008"),
    )

    with db.reading() as session:
        delivery = session.execute(select(Delivery).where(Delivery.provider_message_id == sid)).scalar_one()
    assert (delivery.status, delivery.error_code) == ("read", None)


def test_an_unsigned_or_incomplete_status_callback_is_refused(client: TestClient) -> None:
    unsigned = client.post("/webhooks/twilio/status", data=captured("status_delivered"))
    incomplete = post(client, "/webhooks/twilio/status", {"MessageSid": "SM1"})

    assert unsigned.status_code == 403 and incomplete.status_code == 400


def test_error_codes_map_to_what_loket_does() -> None:
    assert tw.outcome_of(21610) is tw.Outcome.OPTED_OUT
    assert tw.outcome_of(63016) is tw.Outcome.TEMPLATE
    assert tw.outcome_of(21211) is tw.Outcome.BAD_NUMBER
    assert tw.outcome_of(30007) is tw.Outcome.ALERT
    assert tw.outcome_of(20429) is tw.Outcome.RETRY
    assert tw.outcome_of(None, 503) is tw.Outcome.RETRY and tw.outcome_of(99999, 400) is tw.Outcome.ALERT


async def test_tokens_and_phone_numbers_stay_out_of_the_logs(
    client: TestClient, db: Database, settings: Settings, twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RedactingFilter())  # what bot.logs.configure installs on the app's handler
    with caplog.at_level(logging.DEBUG):
        post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_sticker"))
        post(client, "/webhooks/twilio/whatsapp", captured("whatsapp_text"), signed_url="http://wrong")
        twilio.failures = [(400, 30007)]  # an alert, logged with Twilio's message naming the number
        queue(db, Reply(text="Halo"))
        await deliver(db, settings, sender(db, twilio))

    assert "Twilio refused a message" in caplog.text  # the failure is logged...
    assert "81234567890" not in caplog.text and AUTH_TOKEN not in caplog.text  # ...without the number
