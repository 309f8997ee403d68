"""The SMS gateway channel: signed webhooks in, one or more signed SMS out, nothing without the secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.db import Database
from channels import inbox, sms_gateway
from channels.base import Button, PermanentSendError, Reply, TransientSendError
from channels.gsm7 import is_gsm7, segments
from channels.models import Contact, InboxMessage, OutboxMessage, QueueStatus
from tests.fakes import FakeGateway, fake_sms_gateway

SECRET = "gateway-secret-for-tests"


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(sms_gateway.router)
    app.state.sms_gateway = sms_gateway.GatewayContext(db, SECRET, lambda: None)
    with TestClient(app) as test_client:
        yield test_client


def post(client: TestClient, body: bytes, content_type: str, signature: str | None = None) -> httpx.Response:
    """POST ``body`` signed with the right secret, or with ``signature`` as given ("" sends none)."""
    headers = {"Content-Type": content_type}
    given = sms_gateway.signature(SECRET, body) if signature is None else signature
    if given:
        headers[sms_gateway.SIGNATURE_HEADER] = given
    return client.post("/webhooks/sms-gateway", content=body, headers=headers)


def sms_json(**fields: Any) -> bytes:
    return json.dumps(
        {"from": "0812-3456-7890", "to": "1708", "text": "syarat skck apa", "id": "gw-1"} | fields
    ).encode()


def test_a_signed_sms_is_stored_once_with_the_sender_in_e164(client: TestClient, db: Database) -> None:
    first = post(client, sms_json(), "application/json")
    again = post(client, sms_json(), "application/json")

    assert first.json() == {"status": "queued"} and again.json() == {"status": "duplicate"}
    with db.reading() as session:
        rows = session.execute(select(Contact.address, InboxMessage.text).join(InboxMessage.contact)).all()
    assert rows == [("+6281234567890", "syarat skck apa")]


def test_a_form_encoded_sms_is_accepted_too(client: TestClient, db: Database) -> None:
    body = urlencode({"from": "+6285711112222", "to": "1708", "text": "halo", "id": "gw-2"}).encode()

    assert post(client, body, "application/x-www-form-urlencoded").json() == {"status": "queued"}


@pytest.mark.parametrize("signature", ["", "deadbeef", "sha256=" + "0" * 64])
def test_a_missing_or_wrong_signature_is_refused(client: TestClient, db: Database, signature: str) -> None:
    response = post(client, sms_json(), "application/json", signature=signature)

    assert response.status_code == 403
    with db.reading() as session:
        assert session.scalars(select(InboxMessage)).all() == []


def test_malformed_messages_get_a_clear_4xx(client: TestClient) -> None:
    not_json = b"{from: 0812"
    bad_number = sms_json(**{"from": "halo"})
    no_id = json.dumps({"from": "08123456789", "text": "x"}).encode()

    assert post(client, not_json, "application/json").status_code == 422
    assert "phone number" in post(client, bad_number, "application/json").json()["detail"]
    assert "'id' is missing" in post(client, no_id, "application/json").json()["detail"]


def test_without_a_secret_the_channel_is_off(db: Database) -> None:
    app = FastAPI()
    app.include_router(sms_gateway.router)
    with TestClient(app) as off:
        assert off.post("/webhooks/sms-gateway", content=sms_json()).status_code == 404


def test_phone_numbers_stay_out_of_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        post(client, sms_json(id="gw-9"), "application/json")
        post(client, sms_json(id="gw-10"), "application/json", signature="bad")

    assert "3456" not in caplog.text


@pytest.fixture
def gateway() -> Iterator[str]:
    with fake_sms_gateway(SECRET) as url:
        yield url


def queued_reply(db: Database, reply: Reply) -> OutboxMessage:
    stored = inbox.store(db, sms_gateway.parse(sms_json(id="gw-in"), "application/json"))
    with db.session() as session:
        row = inbox.outbox_row(stored.contact_id, sms_gateway.CHANNEL, reply, "reply")
        session.add(row)
    with db.reading() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.status == QueueStatus.PENDING)).one()


async def test_a_long_reply_goes_out_as_signed_gsm7_sms_in_order(db: Database, gateway: str) -> None:
    lines = [
        f"{n}. Langkah ke-{n}: datang ke kantor dengan membawa berkas asli dan fotokopi" for n in range(1, 13)
    ]
    reply = Reply(text="\n".join(lines), buttons=(Button("Ya", "/affirm"), Button("Tidak", "/deny")))
    sender = sms_gateway.SmsGatewaySender(gateway, SECRET)

    provider_ids = await sender.send(queued_reply(db, reply))

    sent = FakeGateway.received
    assert len(sent) > 1 and all(item["valid"] for item in sent)
    assert all(item["to"] == "+6281234567890" for item in sent)
    assert all(is_gsm7(item["text"]) and segments(item["text"]) <= 3 for item in sent)
    assert sent[0]["text"].startswith("1. Langkah ke-1")
    assert "\n".join(item["text"] for item in sent).endswith("1. Ya\n2. Tidak\nBalas dengan nomornya.")
    assert provider_ids and provider_ids.startswith("gw-out-1")


async def test_gateway_failures_are_retried_or_given_up_by_their_kind(db: Database, gateway: str) -> None:
    sender = sms_gateway.SmsGatewaySender(gateway, SECRET)
    message = queued_reply(db, Reply(text="Halo"))

    FakeGateway.answers = [503]
    with pytest.raises(TransientSendError):
        await sender.send(message)
    FakeGateway.answers = [400]
    with pytest.raises(PermanentSendError):
        await sender.send(message)
